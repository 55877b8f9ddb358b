// pass@k against hand-computed binomial ratios and against brute-force enumeration of every k-subset
// of the n samples (the definition the estimator is unbiased for); the majority vote of the first k
// answers (equivalent answers vote together, ties to the first seen, no answer no vote).
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "core/error.hpp"
#include "rl/stages/eval_metrics.hpp"

using namespace r1;

namespace {

// Share of the k-subsets of n samples (the first c correct) holding at least one correct sample.
double brute_force_pass_at_k(int n, int c, int k) {
  int64_t subsets = 0, hits = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) != k) continue;
    ++subsets;
    hits += (mask & ((1u << c) - 1)) != 0;
  }
  return double(hits) / double(subsets);
}

ScoredRollout answered(const char* answer) {
  ScoredRollout s;
  if (answer) s.answer = answer;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_eval_metrics)

BOOST_AUTO_TEST_CASE(pass_at_k_matches_the_binomial_ratio) {
  BOOST_TEST(std::fabs(pass_at_k(4, 1, 1) - 0.25) < 1e-15);
  BOOST_TEST(std::fabs(pass_at_k(4, 1, 2) - 0.5) < 1e-15);            // 1 - C(3,2)/C(4,2) = 1 - 3/6
  BOOST_TEST(std::fabs(pass_at_k(4, 2, 2) - 5.0 / 6.0) < 1e-15);      // 1 - C(2,2)/C(4,2)
  BOOST_TEST(std::fabs(pass_at_k(10, 3, 5) - (1 - 21.0 / 252.0)) < 1e-15);
  BOOST_TEST(pass_at_k(5, 0, 3) == 0.0);
  BOOST_TEST(pass_at_k(5, 5, 1) == 1.0);
  BOOST_TEST(pass_at_k(5, 3, 3) == 1.0);  // only 2 wrong samples: any 3 hold a correct one
  BOOST_CHECK_THROW(pass_at_k(4, 5, 1), Error);
  BOOST_CHECK_THROW(pass_at_k(4, 1, 5), Error);
}

BOOST_AUTO_TEST_CASE(pass_at_k_matches_brute_force_enumeration) {
  for (int n = 1; n <= 10; ++n)
    for (int c = 0; c <= n; ++c)
      for (int k = 1; k <= n; ++k)
        BOOST_TEST(std::fabs(pass_at_k(n, c, k) - brute_force_pass_at_k(n, c, k)) < 1e-12,
                   "n " << n << " c " << c << " k " << k);
}

BOOST_AUTO_TEST_CASE(majority_of_the_first_k_answers) {
  const std::vector<ScoredRollout> group = {answered("4"), answered(nullptr), answered("3"), answered("3.0"),
                                            answered("5")};
  BOOST_TEST(*majority_answer(group, 1) == "4");
  BOOST_TEST(*majority_answer(group, 3) == "4");  // 4 and 3 tie: the first seen
  BOOST_TEST(*majority_answer(group, 4) == "3");  // "3" and "3.0" vote together
  BOOST_TEST(*majority_answer(group, 99) == "3");
  BOOST_TEST(!majority_answer({answered(nullptr)}, 1).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
