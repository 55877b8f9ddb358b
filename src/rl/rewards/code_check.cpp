// HumanEval-style problems, judged programs, parallel sandbox runs.
#include "rl/rewards/code_check.hpp"

#include <atomic>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace r1::rewards {

std::vector<CodeProblem> read_code_problems(const std::string& path) {
  std::ifstream in(path);
  R1_INPUT_CHECK(in, path, ": cannot open");
  std::vector<CodeProblem> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      R1_INPUT_CHECK(false, path, ":", n, ": not JSON (", e.what(), ")");
    }
    CodeProblem p;
    for (auto [key, field] : {std::pair{"task_id", &p.task_id}, {"prompt", &p.prompt}, {"test", &p.test},
                              {"entry_point", &p.entry_point}}) {
      R1_INPUT_CHECK(j.contains(key) && j[key].is_string(), path, ":", n, ": field '", key, "' missing or not a string");
      *field = j[key].get<std::string>();
    }
    p.canonical_solution = j.value("canonical_solution", "");
    out.push_back(std::move(p));
  }
  return out;
}

std::string judged_program(const CodeProblem& problem, const std::string& completion) {
  return problem.prompt + completion + "\n\n" + problem.test + "\n\ncheck(" + problem.entry_point + ")\n";
}

std::vector<SandboxResult> run_programs(const std::vector<std::string>& programs, const SandboxLimits& limits,
                                        int workers) {
  std::vector<SandboxResult> results(programs.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < programs.size(); i = next++) results[i] = run_python(programs[i], limits);
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < std::max(1, workers); ++w) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  return results;
}

}  // namespace r1::rewards
