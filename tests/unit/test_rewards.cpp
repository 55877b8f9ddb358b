// The rule-based rewards: accuracy, format, language and length (DAPO overlong penalty) on
// hand-made samples with hand-computed expected scores; the registry, the YAML schema of
// RewardSpec and the weighted sum.
#include <boost/test/unit_test.hpp>

#include <string>

#include "core/config_yaml.hpp"
#include "core/error.hpp"
#include "rl/rewards/format_reward.hpp"
#include "rl/rewards/language_reward.hpp"
#include "rl/rewards/length_reward.hpp"
#include "rl/rewards/reward.hpp"

using namespace r1;
using namespace r1::rewards;

namespace {

double score_of(const std::string& name, const Sample& sample) {
  RewardSpec spec;
  spec.name = name;
  return make_reward(spec)->score(sample);
}

Sample response_sample(std::string_view response, std::string_view gold = "") {
  Sample sample;
  sample.response = response;
  sample.gold = gold;
  return sample;
}

double language_share(std::string_view think_text, std::string_view language) {
  std::string response = "<think>" + std::string(think_text) + "</think><answer>1</answer>";
  Sample sample = response_sample(response);
  sample.language = language;
  return score_of("language", sample);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_rewards)

BOOST_AUTO_TEST_CASE(accuracy_reward) {
  BOOST_TEST(score_of("accuracy", response_sample("<think>2+2</think><answer>\\boxed{4}</answer>", "4")) == 1.0);
  BOOST_TEST(score_of("accuracy", response_sample("<think>2+2</think><answer>\\boxed{5}</answer>", "4")) == 0.0);
  BOOST_TEST(score_of("accuracy", response_sample("<think>half</think><answer>0.5</answer>", "\\frac{1}{2}")) == 1.0);
  // The reference may be a full GSM8K solution.
  BOOST_TEST(score_of("accuracy", response_sample("<answer>\\boxed{1,000}</answer>", "so...\n#### 1000")) == 1.0);
  // No extractable answer scores 0 even when the number appears in the text.
  BOOST_TEST(score_of("accuracy", response_sample("<think>the answer is 4", "4")) == 0.0);
  BOOST_TEST(score_of("accuracy", response_sample("", "4")) == 0.0);
}

BOOST_AUTO_TEST_CASE(format_reward) {
  BOOST_TEST(has_think_answer_format("<think>reason</think><answer>4</answer>"));
  BOOST_TEST(has_think_answer_format("  <think>\nreason\n</think>\n\n<answer>\n4\n</answer>\n"));
  BOOST_TEST(has_think_answer_format("<think></think><answer></answer>"));
  BOOST_TEST(!has_think_answer_format("Sure! <think>reason</think><answer>4</answer>"));
  BOOST_TEST(!has_think_answer_format("<think>reason</think>so<answer>4</answer>"));
  BOOST_TEST(!has_think_answer_format("<think>reason</think><answer>4</answer> done"));
  BOOST_TEST(!has_think_answer_format("<answer>4</answer><think>reason</think>"));
  BOOST_TEST(!has_think_answer_format("<think>a</think><think>b</think><answer>4</answer>"));
  BOOST_TEST(!has_think_answer_format("<think>a<answer>4</answer></think><answer>4</answer>"));
  BOOST_TEST(!has_think_answer_format("<think>reason</think>"));
  BOOST_TEST(!has_think_answer_format("<think>reason<answer>4</answer>"));
  BOOST_TEST(score_of("format", response_sample("<think>r</think><answer>4</answer>")) == 1.0);
  BOOST_TEST(score_of("format", response_sample("<think>r</think>4")) == 0.0);
}

BOOST_AUTO_TEST_CASE(language_reward) {
  BOOST_TEST(language_share("First we compute the sum.", "en") == 1.0);
  BOOST_TEST(language_share("First we compute the sum.", "zh") == 0.0);
  // 3 CJK words (我, 们, 和) and 2 Latin words (compute, the).
  BOOST_TEST(language_share("我们 compute the 和", "zh") == 0.6);
  BOOST_TEST(language_share("我们 compute the 和", "en") == 0.4);
  // LaTeX commands, digits, punctuation and lone letters (variables) are neutral.
  BOOST_TEST(language_share("设 $x = \\frac{1}{2}$, 12.5%!", "zh") == 1.0);
  BOOST_TEST(language_share("Let $x = \\frac{\\alpha}{2}$.", "en") == 1.0);
  // Other scripts count as words of no target language: "Пусть" and "Let".
  BOOST_TEST(language_share("Пусть Let", "en") == 0.5);
  // Accented Latin letters stay in one Latin word.
  BOOST_TEST(language_share("café naïve", "en") == 1.0);
  BOOST_TEST(language_share("1 + 2 = 3", "en") == 1.0);  // no words: nothing mixed
  BOOST_TEST(score_of("language", response_sample("no think block at all")) == 0.0);
  // An unterminated think block runs to the end; the answer block is not counted.
  BOOST_TEST(score_of("language", response_sample("<think>we add")) == 1.0);
  BOOST_TEST(score_of("language", response_sample("<think>我们</think><answer>the answer</answer>")) == 0.0);
  // Malformed UTF-8 is neutral, not an error.
  BOOST_TEST(language_share("ok \xff\xfe done", "en") == 1.0);
  // The sample's language overrides the spec's; unknown codes are input errors.
  BOOST_CHECK_THROW(language_share("words", "fr"), InputError);
  RewardSpec spec;
  spec.name = "language";
  spec.language = "xx";
  BOOST_CHECK_THROW(make_reward(spec), InputError);
  LanguageWordCounts counts = count_language_words("数学 is fun", "zh");
  BOOST_TEST(counts.target == 2);
  BOOST_TEST(counts.total == 4);
}

BOOST_AUTO_TEST_CASE(length_reward_matches_dapo) {
  // L_max = 100, L_cache = 20: 0 up to 80 tokens, then linear to -1 at 100.
  BOOST_TEST(overlong_penalty(10, 100, 20, false) == 0.0);
  BOOST_TEST(overlong_penalty(80, 100, 20, false) == 0.0);
  BOOST_TEST(overlong_penalty(85, 100, 20, false) == -0.25);
  BOOST_TEST(overlong_penalty(90, 100, 20, false) == -0.5);
  BOOST_TEST(overlong_penalty(100, 100, 20, false) == -1.0);
  BOOST_TEST(overlong_penalty(101, 100, 20, false) == -1.0);
  BOOST_TEST(overlong_penalty(50, 100, 20, true) == -1.0);  // truncated
  BOOST_TEST(overlong_penalty(100, 100, 0, false) == 0.0);  // no soft window: only the hard limit
  BOOST_TEST(overlong_penalty(101, 100, 0, false) == -1.0);
  BOOST_TEST(overlong_penalty(3, 4, 10, false) == -0.75);  // buffer wider than the limit
  BOOST_CHECK_THROW(overlong_penalty(1, 0, 0, false), r1::Error);

  RewardSpec spec;
  spec.name = "length";
  spec.overlong_buffer = 20;
  Sample sample;
  sample.response_tokens = 95;
  sample.max_response_tokens = 100;
  BOOST_TEST(make_reward(spec)->score(sample) == -0.75);
  spec.overlong_buffer = -1;
  BOOST_CHECK_THROW(make_reward(spec), InputError);
}

BOOST_AUTO_TEST_CASE(registry_and_schema) {
  BOOST_TEST(reward_names() == (std::vector<std::string>{"accuracy", "format", "language", "length"}),
             boost::test_tools::per_element());
  for (const std::string& name : reward_names()) {
    RewardSpec spec;
    spec.name = name;
    BOOST_TEST(make_reward(spec) != nullptr);
  }
  RewardSpec unknown;
  unknown.name = "acuracy";
  try {
    make_reward(unknown);
    BOOST_FAIL("unknown reward accepted");
  } catch (const InputError& e) {
    std::string message = e.what();
    BOOST_TEST(message.find("acuracy") != std::string::npos, message);
    BOOST_TEST(message.find("accuracy, format, language, length") != std::string::npos, message);
  }

  RewardSpec spec;
  read_config(ConfigSource{"rewards.yaml", "name: length\nweight: 0.5\noverlong_buffer: 64\n", {}}, spec);
  BOOST_TEST(spec.name == "length");
  BOOST_TEST(spec.weight == 0.5);
  BOOST_TEST(spec.overlong_buffer == 64);
  BOOST_TEST(spec.language == "en");
  RewardSpec bad;
  BOOST_CHECK_THROW(read_config(ConfigSource{"rewards.yaml", "name: lenght\n", {}}, bad), InputError);
  BOOST_CHECK_THROW(read_config(ConfigSource{"rewards.yaml", "overlong_buffer: -3\n", {}}, bad), InputError);
}

BOOST_AUTO_TEST_CASE(weighted_sum) {
  std::vector<RewardSpec> specs(2);
  specs[0].name = "accuracy";
  specs[0].weight = 1.0;
  specs[1].name = "format";
  specs[1].weight = 0.25;
  WeightedRewards rewards(specs);
  std::vector<double> parts;
  BOOST_TEST(rewards.score(response_sample("<think>r</think><answer>\\boxed{3}</answer>", "3"), &parts) == 1.25);
  BOOST_TEST(parts == (std::vector<double>{1.0, 1.0}), boost::test_tools::per_element());
  BOOST_TEST(rewards.score(response_sample("\\boxed{3}", "3"), &parts) == 1.0);
  BOOST_TEST(parts == (std::vector<double>{1.0, 0.0}), boost::test_tools::per_element());
  BOOST_TEST(rewards.score(response_sample("<think>r</think><answer>2</answer>", "3")) == 0.25);
}

BOOST_AUTO_TEST_SUITE_END()
