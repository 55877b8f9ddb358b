// Judging code completions (the code reward's checks): HumanEval-style problems (a prompt with the
// function's signature and docstring, tests defining check(candidate), the entry point's name), the
// program a completion is judged by — prompt + completion + tests + check(entry_point), as
// human-eval's own harness builds it — and running many such programs in the sandbox in parallel.
#pragma once
#include <string>
#include <vector>

#include "rl/rewards/python_sandbox.hpp"

namespace r1::rewards {

struct CodeProblem {
  std::string task_id, prompt, canonical_solution, test, entry_point;
};

// HumanEval.jsonl (one JSON object per line with the fields above); errors name the file and line.
std::vector<CodeProblem> read_code_problems(const std::string& path);

// The program that passes when the completion (the function's body, or a whole definition after the
// prompt) is correct.
std::string judged_program(const CodeProblem& problem, const std::string& completion);

// Runs every program in its own sandbox, `workers` at a time; results in input order.
std::vector<SandboxResult> run_programs(const std::vector<std::string>& programs, const SandboxLimits& limits,
                                        int workers);

}  // namespace r1::rewards
