// RoPE cos/sin tables [max_positions, rope_dim/2] for a model config, with the context-extension
// variants DeepSeek-V3 and Qwen2 use (linear position interpolation and YaRN), following Hugging
// Face transformers' rope initialisation so imported models compute the same function.
#pragma once
#include <vector>

#include "core/tensor.hpp"
#include "model/model_config.hpp"

namespace r1 {

struct RopeTables {
  Tensor cos, sin;  // [max_positions, rope_dim / 2]
};

// Inverse frequencies (rope_dim / 2 of them) and the magnitude factor applied to cos/sin.
std::vector<double> rope_inverse_frequencies(const ModelConfig& c, double* attention_factor);
RopeTables make_rope_tables(const ModelConfig& c, DType dtype, Device device);

}  // namespace r1
