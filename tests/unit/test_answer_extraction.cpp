// Final-answer extraction: answer tags, \boxed / \fbox with nested and escaped braces, unclosed
// boxes, "#### " lines and the fallbacks, against hand-written expected strings.
#include <boost/test/unit_test.hpp>

#include <string>

#include "rl/rewards/answer_extraction.hpp"

using namespace r1::rewards;

namespace {
std::string shown(const std::optional<std::string>& value) { return value ? "\"" + *value + "\"" : "<none>"; }
}  // namespace

BOOST_AUTO_TEST_SUITE(test_answer_extraction)

BOOST_AUTO_TEST_CASE(boxed_answers) {
  BOOST_TEST(shown(extract_answer("so the answer is $\\boxed{42}$.")) == "\"42\"");
  BOOST_TEST(shown(extract_answer("\\boxed{1} then \\boxed{2}")) == "\"2\"");
  BOOST_TEST(shown(extract_answer("\\boxed{\\frac{1}{\\sqrt{2}}}")) == "\"\\frac{1}{\\sqrt{2}}\"");
  BOOST_TEST(shown(extract_answer("\\fbox{7}")) == "\"7\"");
  BOOST_TEST(shown(extract_answer("\\boxed{\\{1,2\\}}")) == "\"\\{1,2\\}\"");  // escaped braces are literal
  BOOST_TEST(shown(extract_answer("\\boxed{ (3,4] }")) == "\"(3,4]\"");
  BOOST_TEST(shown(extract_answer("\\boxed {5}")) == "\"5\"");
  BOOST_TEST(shown(extract_answer("the answer is $\\boxed 5$.")) == "\"5\"");
  BOOST_TEST(shown(extract_answer("\\boxed{}")) == "\"\"");
  // An unclosed (truncated) last box is skipped in favour of the last complete one.
  BOOST_TEST(shown(extract_answer("\\boxed{3} and finally \\boxed{\\frac{1}{2")) == "\"3\"");
  BOOST_TEST(shown(extract_answer("\\boxed{\\frac{1}{2")) == "<none>");
  // \boxedx is another command.
  BOOST_TEST(shown(extract_answer("\\boxedx{3}")) == "<none>");
}

BOOST_AUTO_TEST_CASE(answer_tags) {
  BOOST_TEST(shown(extract_answer("<think>maybe \\boxed{1}</think><answer>\\boxed{2}</answer>")) == "\"2\"");
  // Inside an answer tag without a box: the whole content, trimmed (not the box in the reasoning).
  BOOST_TEST(shown(extract_answer("<think>\\boxed{1}</think>\n<answer> 17 </answer>")) == "\"17\"");
  BOOST_TEST(shown(extract_answer("<answer>The total is #### 1,234\nthanks</answer>")) == "\"1,234\"");
  BOOST_TEST(shown(extract_answer("<answer>1</answer> <answer>2</answer>")) == "\"2\"");
  BOOST_TEST(shown(extract_answer("<answer>\\boxed{x=3}</answer>")) == "\"x=3\"");
  // An unterminated tag is no tag: the whole text is searched.
  BOOST_TEST(shown(extract_answer("\\boxed{4} <answer> 5")) == "\"4\"");
  BOOST_TEST(shown(extract_answer("<answer> 5")) == "<none>");
  BOOST_TEST(shown(last_boxed_content("<answer>\\boxed{9}</answer>")) == "\"9\"");
  BOOST_TEST(std::string(last_answer_tag_content("a<answer>b</answer>c").value()) == "b");
  BOOST_TEST(!last_answer_tag_content("</answer><answer>").has_value());
}

BOOST_AUTO_TEST_CASE(gsm8k_lines_and_fallbacks) {
  BOOST_TEST(shown(extract_answer("She makes 9 * 2 = $<<9*2=18>>18.\n#### 18")) == "\"18\"");
  BOOST_TEST(shown(extract_answer("#### 5\nmore text\n#### -3.5  \nend")) == "\"-3.5\"");
  BOOST_TEST(shown(extract_answer("the answer is 12")) == "<none>");
  BOOST_TEST(shown(extract_answer("")) == "<none>");
  BOOST_TEST(extract_gold_answer("  \\frac{14}{3} ") == "\\frac{14}{3}");
  BOOST_TEST(extract_gold_answer("so 9 eggs\n#### 9") == "9");
  BOOST_TEST(extract_gold_answer("Therefore $\\boxed{\\text{east}}$.") == "\\text{east}");
}

BOOST_AUTO_TEST_SUITE_END()
