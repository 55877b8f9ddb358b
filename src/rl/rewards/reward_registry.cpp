// The reward registry: name -> constructor, in one table (see reward.hpp for the rewards).
#include <array>
#include <functional>

#include "core/error.hpp"
#include "rl/rewards/accuracy_reward.hpp"
#include "rl/rewards/format_reward.hpp"
#include "rl/rewards/language_reward.hpp"
#include "rl/rewards/length_reward.hpp"
#include "rl/rewards/reward.hpp"

namespace r1::rewards {

namespace {

struct RegisteredReward {
  const char* name;
  std::unique_ptr<Reward> (*make)(const RewardSpec&);
};

constexpr std::array<RegisteredReward, 4> kRegistry = {{
    {"accuracy", [](const RewardSpec&) -> std::unique_ptr<Reward> { return std::make_unique<AccuracyReward>(); }},
    {"format", [](const RewardSpec&) -> std::unique_ptr<Reward> { return std::make_unique<FormatReward>(); }},
    {"language",
     [](const RewardSpec& spec) -> std::unique_ptr<Reward> { return std::make_unique<LanguageReward>(spec.language); }},
    {"length",
     [](const RewardSpec& spec) -> std::unique_ptr<Reward> {
       R1_INPUT_CHECK(spec.overlong_buffer >= 0, "reward 'length': overlong_buffer must be >= 0, got ",
                      spec.overlong_buffer);
       return std::make_unique<LengthReward>(spec.overlong_buffer);
     }},
}};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

std::vector<std::string> reward_names() {
  std::vector<std::string> names;
  for (const RegisteredReward& entry : kRegistry) names.emplace_back(entry.name);
  return names;
}

std::vector<std::string> reward_languages() { return {"en", "zh"}; }

std::unique_ptr<Reward> make_reward(const RewardSpec& spec) {
  for (const RegisteredReward& entry : kRegistry)
    if (spec.name == entry.name) return entry.make(spec);
  throw InputError("unknown reward '" + spec.name + "' (valid: " + joined(reward_names()) + ")");
}

}  // namespace r1::rewards
