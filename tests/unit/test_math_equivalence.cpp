// answers_equivalent on hand-written cases, one group per normalisation rule, each with equal and
// not-equal pairs (the expected verdicts are the mathematical truth, written by hand), plus the
// bounded-time guarantees on adversarial inputs.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "rl/rewards/answer_extraction.hpp"
#include "rl/rewards/answer_normalization.hpp"
#include "rl/rewards/math_equivalence.hpp"

using namespace r1::rewards;

namespace {

struct Case {
  const char* predicted;
  const char* gold;
  bool equivalent;
};

void check_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    BOOST_TEST(answers_equivalent(c.predicted, c.gold) == c.equivalent,
               "predicted \"" << c.predicted << "\" gold \"" << c.gold << "\" expected "
                              << (c.equivalent ? "equivalent" : "different") << " (normalised \""
                              << normalize_answer(c.predicted) << "\" vs \"" << normalize_answer(c.gold) << "\")");
    // The verdict does not depend on which side is the reference.
    BOOST_TEST(answers_equivalent(c.gold, c.predicted) == c.equivalent,
               "swapped: \"" << c.gold << "\" vs \"" << c.predicted << "\"");
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_math_equivalence)

BOOST_AUTO_TEST_CASE(integers_and_decimals) {
  check_cases({
      {"42", "42", true},
      {"42", "43", false},
      {"+7", "7", true},
      {"-7", "7", false},
      {"007", "7", true},
      {"5.", "5", true},
      {"5.0", "5", true},
      {"0.50", "0.5", true},
      {".5", "0.5", true},
      {"3.14", "3.15", false},
      {"1000000", "1000001", false},  // integers compare exactly, not within 1e-6
      {"123456789012345678901234567890", "123456789012345678901234567890", true},
      {"123456789012345678901234567891", "123456789012345678901234567890", false},
      {"2.9999999", "3", false},
      {"0.0000672", "0.0000673", false},
      {".0000672", "0.0000672", true},
      {"0.333333333", "\\frac{1}{3}", true},  // decimals within relative 1e-6
      {"0.33", "\\frac{1}{3}", false},
  });
}

BOOST_AUTO_TEST_CASE(thousands_separators) {
  check_cases({
      {"1,000", "1000", true},
      {"1\\,000", "1000", true},
      {"1{,}000", "1000", true},
      {"10,\\!080", "10080", true},
      {"11,\\! 111,\\! 111,\\! 100", "11111111100", true},
      {"1,234,567.5", "1234567.5", true},
      {"1,000", "100", false},
      {"58,500", "58500", true},
      {"\\$32,\\!348", "32348", true},
      {"1,2", "12", false},  // not a thousands grouping: a list of two answers
  });
}

BOOST_AUTO_TEST_CASE(fractions_and_mixed_numbers) {
  check_cases({
      {"1/2", "0.5", true},
      {"1/2", "1/3", false},
      {"\\frac{1}{2}", "0.5", true},
      {"\\dfrac{3}{4}", "\\frac34", true},
      {"\\tfrac{3}{4}", "0.75", true},
      {"\\frac 59", "\\frac{5}{9}", true},
      {"\\frac9{19}", "9/19", true},
      {"\\frac{270}7", "\\frac{270}{7}", true},
      {"\\frac12", "\\frac{1}{3}", false},
      {"1\\frac{4}{5}", "\\frac{9}{5}", true},
      {"137 \\frac{1}{2}", "137.5", true},
      {"-2\\frac12", "-2.5", true},
      {"1\\frac{4}{5}", "\\frac{4}{5}", false},
      {"\\frac{14}{3}", "4.6667", false},
      {"\\frac{14}{3}", "4.666666667", true},
      {"\\frac{-3}{8}", "-\\frac{3}{8}", true},
  });
}

BOOST_AUTO_TEST_CASE(percentages) {
  check_cases({
      {"50\\%", "50", true},
      {"50%", "0.5", true},
      {"50\\%", "50\\%", true},
      {"50", "0.5", false},  // without a percent sign 50 is 50
      {"25\\%", "50", false},
      {"12.5\\%", "\\frac{1}{8}", true},
      {"50 percent", "50\\%", true},
  });
}

BOOST_AUTO_TEST_CASE(text_wrappers_units_and_prefixes) {
  check_cases({
      {"\\text{Evelyn}", "Evelyn", true},
      {"\\text{evelyn}", "\\text{Evelyn}", true},
      {"Evelyn", "Evlyne", false},
      {"\\text{east}", "\\text{west}", false},
      {"\\mathrm{(C)}", "C", true},
      {"\\text{(C)}", "(D)", false},
      {"5.4 \\text{ cents}", "5.4", true},
      {"864 \\mbox{ inches}^2", "864", true},
      {"15\\mbox{ cm}^2", "15", true},
      {"15\\mbox{ cm}^2", "225", false},
      {"\\frac{270}7\\text{ degrees}", "\\frac{270}{7}", true},
      {"12 cm", "12", true},
      {"12 square units", "12", true},
      {"90^\\circ", "90", true},
      {"90^{\\circ}", "90", true},
      {"90\\degree", "90", true},
      {"90^\\circ", "45^\\circ", false},
      {"\\$18.90", "18.9", true},
      {"\\$36", "36", true},
      {"x = 5", "5", true},
      {"x=5", "6", false},
      {"y = 2x + 3", "2x+3", true},
      {"y=2x+3", "2x - y + 3 = 0", true},  // the same line written as an equation
      {"y=2x+3", "y = 3x + 2", false},
      {"5x - 7y + 11z + 4 = 0", "-10x+14y-22z-8=0", true},
      {"5x - 7y + 11z + 4 = 0", "5x - 7y + 11z - 4 = 0", false},
      {"x \\in [-2,7]", "[-2, 7]", true},
      {"\\frac{10}{2} = 5", "5", true},
      {"k = \\frac{3}{2}", "1.5", true},
  });
}

BOOST_AUTO_TEST_CASE(spacing_and_delimiters) {
  check_cases({
      {"\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", true},
      {"\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{3})", false},
      {"3 \\! \\sqrt{13}", "3\\sqrt{13}", true},
      {"3\\,\\sqrt{13}", "3 \\sqrt {13}", true},
      {"$\\frac{3}{56}$", "\\frac{3}{56}", true},
      {"\\(\\frac{3}{56}\\)", "\\frac{3}{56}", true},
      {"\\displaystyle\\frac{3}{56}", "\\frac{3}{56}", true},
      {"\\boxed{7}", "7", true},
      {"7.", "7", true},
      {"  7  ", "7", true},
  });
}

BOOST_AUTO_TEST_CASE(tuples_sets_intervals_and_lists) {
  check_cases({
      {"(1, 2)", "(1,2)", true},
      {"(1, 2)", "(2, 1)", false},  // tuples are ordered
      {"(6,31,-1)", "(6, 31, -1)", true},
      {"(6,31,-1)", "(6,31)", false},
      {"\\{1, 2, 3\\}", "\\{3, 1, 2\\}", true},  // sets are not
      {"\\{1, 2\\}", "\\{1, 3\\}", false},
      {"\\left\\{1\\pm\\sqrt{5},-2\\right\\}", "\\{-2, 1-\\sqrt5, 1+\\sqrt5\\}", true},
      {"[1, 2)", "[1,2)", true},
      {"[1,2)", "[1,2]", false},  // bracket kinds matter
      {"(1,2)", "[1,2]", false},
      {"(3,4]", "(3, 4]", true},
      {"(-\\infty, 0]", "(-\\infty,0]", true},
      {"(-\\infty, 0]", "(\\infty, 0]", false},
      {"(2,\\infty)", "(2, \\infty)", true},
      {"(2,\\infty)", "(3, \\infty)", false},
      {"(0,9) \\cup (9,36)", "(9,36)\\cup(0,9)", true},
      {"(0,9) \\cup (9,36)", "(0,9] \\cup (9,36)", false},
      {"(-\\infty, 2) \\cup (3, \\infty)", "(-\\infty,2)\\cup(3,\\infty)", true},
      {"\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]", "[\\pi^2/8, 5\\pi^2/4]", true},
      {"1,-2", "-2, 1", true},  // several answers: order-insensitive
      {"1,-2", "1, 2", false},
      {"3, 5, 7", "7,5,3", true},
      {"3, 5, 7", "3, 5", false},
      {"1 \\pm \\sqrt{19}", "1+\\sqrt{19}, 1-\\sqrt{19}", true},
      {"1 \\pm \\sqrt{19}", "1+\\sqrt{19}", false},
      {"3 \\pm 2 \\sqrt{2}", "3-2\\sqrt2,3+2\\sqrt2", true},
      {"1,-2", "(1,-2)", false},
      {"x=1, x=-2", "1,-2", true},
      {"\\{-2, 1\\}", "1,-2", true},  // a set literal against a bare list of answers
      {"\\left\\{1 - \\sqrt{19}, 1 + \\sqrt{19}\\right\\}", "1 \\pm \\sqrt{19}", true},
      {"\\{-2, 1\\}", "1,2", false},
      {"\\{1, 2\\}", "(1,2)", false},
  });
}

BOOST_AUTO_TEST_CASE(constants_roots_and_powers) {
  check_cases({
      {"\\pi", "3.14159265", true},
      {"\\pi", "3.14", false},
      {"2\\pi", "2 \\pi", true},
      {"288 \\pi", "288\\pi", true},
      {"7\\pi", "\\pi\\cdot 7", true},
      {"18+2\\pi", "2\\pi + 18", true},
      {"\\frac{20000}{\\pi}", "20000/\\pi", true},
      {"\\sqrt{2}", "\\sqrt2", true},
      {"11\\sqrt2", "11 \\sqrt{2}", true},
      {"2\\sqrt{5}", "\\sqrt{20}", true},
      {"2\\sqrt{5}", "\\sqrt{10}", false},
      {"\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", true},
      {"\\sqrt[3]{8}", "2", true},
      {"\\sqrt[3]{-8}", "-2", true},
      {"2^{10}", "1024", true},
      {"2^10", "1024", true},
      {"x^{-1}", "\\frac{1}{x}", true},
      {"e^{i\\pi}", "-1", true},
      {"\\infty", "\\infty", true},
      {"\\infty", "-\\infty", false},
      {"6 - 5i", "-5i + 6", true},
      {"6 - 5i", "6 + 5i", false},
      {"1+274i", "274i+1", true},
      {"5!", "120", true},
      {"\\binom{5}{2}", "10", true},
      {"|-3|", "3", true},
      {"\\cos^{-1}(0)", "\\frac{\\pi}{2}", true},  // inverse, not a reciprocal
      {"\\arctan 1", "\\frac{\\pi}{4}", true},
      {"\\sin^{2}\\frac{\\pi}{4}", "\\frac12", true},
      {"0.\\overline{3}", "\\frac{1}{3}", true},  // repeating decimals
      {"0.1\\overline{6}", "\\frac{1}{6}", true},
      {"0.\\overline{3}", "0.34", false},
  });
}

BOOST_AUTO_TEST_CASE(symbolic_expressions) {
  check_cases({
      {"p - q", "-q + p", true},
      {"p - q", "q - p", false},
      {"2k+2", "2(k+1)", true},
      {"2k+2", "2k+1", false},
      {"(a+5)(b+2)", "ab + 2a + 5b + 10", true},
      {"(a+5)(b+2)", "(a+2)(b+5)", false},
      {"x^3+3x-6", "3x + x^3 - 6", true},
      {"x^5 - x^4 + x^3 - x^2 + x - 1", "(x-1)(x^4+x^2+1)", true},
      {"x^8 + x^7 + x^6 + x^5 + x^4 + x^3 + x^2 + x + 1", "\\frac{x^9-1}{x-1}", true},
      {"6r^2-4r-24", "2(3r^2-2r-12)", true},
      {"3R^2", "3r^2", false},  // variables are case-sensitive
      {"\\frac{11+9a}{20}", "\\frac{11}{20} + \\frac{9a}{20}", true},
      {"15x - 80", "5(3x-16)", true},
      {"\\cot x", "\\frac{\\cos x}{\\sin x}", true},
      {"\\cot x", "\\tan x", false},
      {"\\sin^2 x + \\cos^2 x", "1", true},
      {"\\sin 2x", "2\\sin x\\cos x", true},
      {"\\ln(x^2)", "2\\ln x", true},
      {"\\log_2 8", "3", true},
      {"8n^2 + 4n + 1", "4n(2n+1)+1", true},
      {"2x \\times 3", "6x", true},
      {"x \\div 2", "\\frac{x}{2}", true},
      {"\\theta + 1", "1+\\theta", true},
      {"\\alpha", "\\beta", false},
      {"x_1 + x_2", "x_2 + x_1", true},
      {"x_1 + x_2", "x_1 + x_3", false},
  });
}

BOOST_AUTO_TEST_CASE(matrices_and_vectors) {
  check_cases({
      {"\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}",
       "\\begin{pmatrix} -\\frac{1}{3} \\\\ \\frac{2}{3} \\\\ \\frac{5}{3} \\end{pmatrix}", true},
      {"\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", "\\begin{pmatrix} -1/3 \\\\ 5/3 \\\\ 2/3 \\end{pmatrix}",
       false},
      {"\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{bmatrix}-1&0\\\\0&-1\\end{bmatrix}", true},
      {"\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{pmatrix} 0 & -1 \\\\ -1 & 0 \\end{pmatrix}", false},
      {"\\begin{pmatrix} 1 & 2 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", false},
      {"\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}", "(-2, -14, -7)", true},
      {"\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}", "(-2, -7, -14)", false},
  });
}

BOOST_AUTO_TEST_CASE(base_subscripts_and_plain_words) {
  check_cases({
      {"52_8", "52", true},
      {"4210_{5}", "4210_5", true},
      {"52_8", "42", false},
      {"\\text{even}", "even", true},
      {"\\text{even}", "odd", false},
      {"\\text{ellipse}", "Ellipse", true},
      {"\\text{No}", "no", true},
      {"\\text{Yes}", "no", false},
      {"\\text{(C)}", "c", true},  // a multiple-choice option ignores case
      {"(C)", "(B)", false},
      {"R", "r", false},  // lone letters are variables
      {"x", "y", false},
      {"", "5", false},
      {"5", "", false},
  });
}

BOOST_AUTO_TEST_CASE(adversarial_inputs_are_fast_and_do_not_throw) {
  std::vector<std::string> inputs;
  inputs.push_back(std::string(5000, '{') + "1" + std::string(5000, '}'));
  inputs.push_back(std::string(400, '{') + "1" + std::string(400, '}'));  // under the length cap
  inputs.push_back(std::string(100000, '9'));
  inputs.push_back(std::string(100000, '('));
  std::string nested_fraction = "1";
  for (int i = 0; i < 60; ++i) nested_fraction = "\\frac{" + nested_fraction + "}{2}";
  inputs.push_back(nested_fraction);
  std::string nested_roots = "2";
  for (int i = 0; i < 120; ++i) nested_roots = "\\sqrt{" + nested_roots + "}";
  inputs.push_back(nested_roots);
  std::string long_sum;
  for (int i = 0; i < 120; ++i) long_sum += "x^{" + std::to_string(i) + "}+";
  long_sum += "1";
  inputs.push_back(long_sum);
  std::string many_items;
  for (int i = 0; i < 240; ++i) many_items += std::to_string(i) + ",";
  inputs.push_back(many_items);
  inputs.push_back(std::string(300, '(') + "1,2" + std::string(300, ']'));
  inputs.push_back("\\pm\\pm\\pm\\pm\\pm\\pm\\pm\\pm 1");
  auto fraction = [](int k) { return "\\frac{" + std::to_string(k) + "}{" + std::to_string(k + 1) + "}"; };
  std::string sixty_fractions, sixty_reversed;  // 60 x 60 element comparisons against its reverse
  for (int k = 0; k < 60; ++k) {
    sixty_fractions.append(k ? "," : "").append(fraction(k));
    sixty_reversed.append(k ? "," : "").append(fraction(59 - k));
  }
  inputs.push_back(sixty_fractions);
  inputs.push_back(sixty_reversed);
  inputs.push_back(std::string(900, '|'));
  inputs.push_back("\\begin{pmatrix}" + std::string(800, '&') + "\\end{pmatrix}");
  inputs.push_back(std::string("\xff\xfe\x80 \\frac{\xc3", 10));
  inputs.push_back("10^{10^{10^{10}}}");
  inputs.push_back("99999999999999999999999999999!");
  std::string many_boxes;
  for (int i = 0; i < 30000; ++i) many_boxes += "\\boxed{";
  inputs.push_back(many_boxes);

  auto start = std::chrono::steady_clock::now();
  for (const std::string& a : inputs) {
    for (const std::string& b : inputs) BOOST_CHECK_NO_THROW(answers_equivalent(a, b));
    BOOST_CHECK_NO_THROW(answers_equivalent(a, "1"));
    BOOST_CHECK_NO_THROW(extract_answer(a));
    BOOST_CHECK_NO_THROW(extract_answer("<answer>" + a + "</answer>"));
  }
  double elapsed = seconds_since(start);
  BOOST_TEST_MESSAGE("adversarial comparisons took " << elapsed << " s");
  BOOST_TEST(elapsed < 2.0);
  // Still correct on the deep but legal ones.
  BOOST_TEST(answers_equivalent(std::string(400, '{') + "1" + std::string(400, '}'), "1"));
  BOOST_TEST(!answers_equivalent(std::string(100000, '9'), std::string(99999, '9') + "8"));
  BOOST_TEST(answers_equivalent(std::string(100000, '9'), std::string(100000, '9')));
  BOOST_TEST(answers_equivalent(sixty_fractions, sixty_reversed));
}

BOOST_AUTO_TEST_SUITE_END()
