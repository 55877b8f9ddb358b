// Top-p sampling for rows without a top-k cut (cuda_sampling_nucleus.cu): the host sampler's draw
// from a histogram of token masses and a sort of only the tokens near the nucleus and draw
// thresholds. logits f32 [rows, vocab], uniforms f64 [rows] and tokens i32 [rows] on the device;
// temperature > 0, top_p in (0, 1], rows * vocab < 2^31, vocab <= 2^19.
#pragma once
#include <cstdint>

namespace r1::ops::cuda {

void sample_nucleus(const float* logits, int64_t rows, int64_t vocab, double temperature, double top_p,
                    const double* uniforms, int32_t* tokens);

}  // namespace r1::ops::cuda
