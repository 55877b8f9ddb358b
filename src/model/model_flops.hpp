// Model FLOPs per token, the numerator of model FLOP utilisation (MFU): 2 FLOPs per multiply-add of
// every matrix a token passes through (attention projections, the dense MLP or the shared and top-k
// routed experts plus the router, the LM head; the embedding lookup is free) and the causal attention
// products (q·k and p·v over (T + 1) / 2 positions on average for sequences of length T). Training
// costs three times the forward (forward + two backward GEMMs).
#pragma once
#include <cstdint>

#include "model/model_config.hpp"

namespace r1 {

double forward_flops_per_token(const ModelConfig& c, int64_t seq_len);
inline double training_flops_per_token(const ModelConfig& c, int64_t seq_len) { return 3 * forward_flops_per_token(c, seq_len); }

}  // namespace r1
