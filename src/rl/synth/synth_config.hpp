// SynthConfig: the verifiable reasoning task the program generates itself (multi-term integer
// arithmetic with a step-by-step solution), so tiny runs need no downloaded data.
#pragma once
#include <cstdint>
#include <string>

#include "core/config_visitor.hpp"

namespace r1 {

struct SynthConfig {
  std::string task = "arithmetic";
  int64_t min_terms = 2, max_terms = 3;    // operands per problem
  int64_t min_digits = 1, max_digits = 2;  // digits per operand
  std::string operators = "+-";            // drawn uniformly for each operation
  int64_t heldout_every = 10;              // 1 in N problems (by a hash of the problem) is held out
  // Share of worked solutions (SFT examples, pretraining documents) that state the answer directly
  // instead of computing step by step — mixed-quality data, so RL can learn which style pays.
  double direct_share = 0.0;
  // Share of pretraining documents written as a chat turn with <think>/<answer> tags, as a real base
  // model has seen such text: what lets RL start straight from the base model (R1-Zero).
  double tagged_share = 0.0;
  void visit(ConfigVisitor& v);
};

}  // namespace r1
