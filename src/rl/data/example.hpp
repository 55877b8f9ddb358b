// Example: one training/evaluation item as token ids — a prompt (no loss), a response (the part
// trained on or generated), and for verifiable tasks the gold answer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

struct Example {
  int64_t id = 0;                // stable index within its dataset (keys the sampling streams)
  std::vector<int32_t> prompt;   // empty for pretraining documents
  std::vector<int32_t> response; // empty for RL prompts
  std::string question, gold;    // text of the problem and its reference answer (verifiable tasks)
};

}  // namespace r1
