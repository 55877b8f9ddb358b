// Rule-based rewards for RL on verifiable tasks. A recipe lists RewardSpecs (name + weight +
// options); make_reward builds each from the registry (reward_registry.cpp) and WeightedRewards
// sums them. Available rewards:
//   accuracy  1 when the answer extracted from the response (answer_extraction.hpp) is equivalent
//             to the reference answer (math_equivalence.hpp), else 0.
//   format    1 when the response is exactly "<think>...</think><answer>...</answer>" with nothing
//             but whitespace around the two blocks (each tag exactly once), else 0.
//   language  share of the words in the <think> block written in the target language (R1's
//             language-consistency reward); see language_reward.hpp for what counts as a word.
//   length    DAPO's soft overlong punishment: 0 while the response has at most
//             max_response_tokens − overlong_buffer tokens, then linear down to −1 at
//             max_response_tokens; −1 when the response was truncated.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_visitor.hpp"

namespace r1::rewards {

// One scored rollout. `response` is the full assistant text, including a "<think>" prefix that the
// prompt template may have pre-filled. `gold` is the reference answer or solution (a bare answer,
// a "#### 42" solution or a text with \boxed{}). `language` overrides RewardSpec::language when set.
struct Sample {
  std::string_view prompt, response, gold, language;
  int64_t response_tokens = 0, max_response_tokens = 0;
  bool truncated = false;
};

class Reward {
 public:
  virtual ~Reward() = default;
  virtual double score(const Sample& sample) const = 0;
};

struct RewardSpec {
  std::string name = "accuracy";
  double weight = 1.0;
  int64_t overlong_buffer = 0;  // length: width of the soft-penalty window in tokens
  std::string language = "en";  // language: target language when the sample names none
  void visit(ConfigVisitor& v);
};

// Unknown name -> r1::InputError listing the valid names.
std::unique_ptr<Reward> make_reward(const RewardSpec& spec);
std::vector<std::string> reward_names();
// Language codes the language reward understands.
std::vector<std::string> reward_languages();

// The weighted sum of several rewards, with the parts kept for logging.
class WeightedRewards {
 public:
  explicit WeightedRewards(const std::vector<RewardSpec>& specs);
  // parts[i] = score of specs[i] (unweighted).
  double score(const Sample& sample, std::vector<double>* parts = nullptr) const;
  const std::vector<RewardSpec>& specs() const { return specs_; }

 private:
  std::vector<RewardSpec> specs_;
  std::vector<std::unique_ptr<Reward>> rewards_;
};

}  // namespace r1::rewards
