// HumanEval problems through the sandbox: every canonical solution of the committed excerpt
// (tests/data/humaneval, 12 problems) passes its tests, and the same problems with an empty body, a
// wrong return value or a syntax error fail; a malformed line is reported with its file and line.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "rl/rewards/code_check.hpp"

using namespace r1;
using namespace r1::rewards;

BOOST_AUTO_TEST_SUITE(test_code_check)

BOOST_AUTO_TEST_CASE(canonical_solutions_pass_and_wrong_ones_fail) {
  const std::vector<CodeProblem> problems = read_code_problems(r1::test::test_data_path("humaneval/excerpt.jsonl"));
  BOOST_TEST_REQUIRE(problems.size() == 12u);
  std::vector<std::string> good, bad;
  for (const CodeProblem& p : problems) {
    good.push_back(judged_program(p, p.canonical_solution));
    bad.push_back(judged_program(p, "    pass\n"));
    bad.push_back(judged_program(p, "    return 12345\n"));
    bad.push_back(judged_program(p, "    return (\n"));
  }
  SandboxLimits limits;
  limits.wall_seconds = 5;
  limits.cpu_seconds = 3;
  const std::vector<SandboxResult> g = run_programs(good, limits, 2), b = run_programs(bad, limits, 2);
  for (size_t i = 0; i < g.size(); ++i)
    BOOST_TEST(g[i].passed(), problems[i].task_id << ": " << g[i].error << g[i].output);
  for (size_t i = 0; i < b.size(); ++i) BOOST_TEST(!b[i].passed(), problems[i / 3].task_id << " wrong solution " << i % 3);
}

BOOST_AUTO_TEST_CASE(malformed_lines_name_the_file_and_line) {
  const std::string path = "test_code_check_bad.jsonl";
  std::ofstream(path) << "{\"task_id\": \"a\", \"prompt\": \"\", \"test\": \"\", \"entry_point\": \"f\"}\n{not json\n";
  BOOST_CHECK_EXCEPTION(read_code_problems(path), InputError, [&](const InputError& e) {
    return std::string(e.what()).find(path + ":2: not JSON") != std::string::npos;
  });
  std::ofstream(path) << "{\"task_id\": \"a\", \"prompt\": \"\", \"test\": \"\"}\n";
  BOOST_CHECK_EXCEPTION(read_code_problems(path), InputError, [&](const InputError& e) {
    return std::string(e.what()).find(path + ":1: field 'entry_point' missing") != std::string::npos;
  });
}

BOOST_AUTO_TEST_SUITE_END()
