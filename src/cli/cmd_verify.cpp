// `r1 verify --in FILE.jsonl [--out FILE]`: runs the accuracy verifier over prediction/gold pairs and
// writes each record back with a boolean `correct` — for users debugging their reward functions.
#include <fstream>
#include <iostream>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "rl/rewards/verify_jsonl.hpp"

namespace r1::cli {

namespace {
int verify(const Args& a, const Comm&) {
  std::string in_path = a.get("--in");
  R1_INPUT_CHECK(!in_path.empty(), "r1 verify: --in FILE.jsonl is required");
  std::ifstream in(in_path);
  R1_INPUT_CHECK(in, in_path, ": cannot open");
  int64_t records = 0, correct = 0;
  if (auto out_path = a.maybe("--out")) {
    std::string tmp = *out_path + ".tmp";
    {
      std::ofstream out(tmp);
      R1_INPUT_CHECK(out, *out_path, ": cannot write");
      correct = rewards::verify_jsonl(in, in_path, out, &records);
    }
    std::rename(tmp.c_str(), out_path->c_str());
  } else {
    correct = rewards::verify_jsonl(in, in_path, std::cout, &records);
  }
  std::cout.flush();
  std::cerr << "r1 verify: " << correct << " of " << records << " correct\n";
  return 0;
}

Registrar reg(Command{"verify", "judge prediction/gold pairs with the accuracy verifier",
                      "Reads JSON lines with `prediction` and `gold` and writes each line back, in order, with a boolean\n"
                      "`correct` added. A summary goes to stderr.",
                      {},
                      {{"--in", "FILE", "input JSONL file"}, {"--out", "FILE", "output file (default: stdout)"}},
                      false,
                      false,
                      verify});
}  // namespace

}  // namespace r1::cli
