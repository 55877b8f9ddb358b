// `r1 bench code FILE.jsonl`: every canonical solution of a HumanEval-style file judged in the
// sandbox (rl/rewards/code_check.hpp), --workers at a time: how many pass, and completions judged
// per second.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/command.hpp"
#include "core/log.hpp"
#include "rl/rewards/code_check.hpp"

namespace r1::cli {

namespace {
int bench_code(const Args& a, const Comm& world) {
  const std::string path = a.positionals[0];
  const std::vector<rewards::CodeProblem> problems = rewards::read_code_problems(path);
  R1_INPUT_CHECK(!problems.empty(), path, ": no problems");
  const int workers = int(a.get_int("--workers", int64_t(std::max(1u, std::thread::hardware_concurrency()))));
  R1_INPUT_CHECK(workers >= 1, "r1 bench code: --workers must be >= 1");
  std::vector<std::string> programs;
  for (const auto& p : problems) programs.push_back(rewards::judged_program(p, p.canonical_solution));
  rewards::SandboxLimits limits;
  limits.wall_seconds = a.get_double("--timeout", 10);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<rewards::SandboxResult> results = rewards::run_programs(programs, limits, workers);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int64_t passed = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    passed += results[i].passed();
    if (!results[i].passed() && world.rank() == 0)
      log_line("  " + problems[i].task_id + " failed: " + results[i].error + results[i].output.substr(0, 300));
  }
  char line[300];
  std::snprintf(line, sizeof line, "bench code: %s, %zu canonical solutions, %d workers: %lld passed; %.2f s -> %.1f judged/s",
                path.c_str(), problems.size(), workers, (long long)passed, seconds, double(problems.size()) / seconds);
  log_line(line);
  return passed == int64_t(problems.size()) ? 0 : 1;
}

Registrar reg(Command{"bench code", "judge every canonical solution of a HumanEval-style file in the sandbox", "",
                      {{"FILE", "HumanEval.jsonl (task_id, prompt, canonical_solution, test, entry_point)"}},
                      {{"--workers", "N", "sandboxes at once (default: the cores)", ""},
                       {"--timeout", "S", "wall-clock limit per program", "10"}},
                      false, false, bench_code});
}  // namespace

}  // namespace r1::cli
