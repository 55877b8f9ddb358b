// BatchLayout: what every module needs to know about the packed token batch it processes —
// sequences are concatenated row ranges (no padding), each with its own positions.
#pragma once
#include <cstdint>

#include "core/tensor.hpp"
#include "kernels/ops_types.hpp"

namespace r1 {

struct BatchLayout {
  int64_t tokens = 0;
  Tensor positions;       // i32 [tokens], on the model's device
  ops::SeqOffsets seqs;   // host, sequences as row ranges
  double aux_loss_weight = 0;  // weight of each sequence's MoE balance loss (0 = off)
};

}  // namespace r1
