// Fixed-point token probabilities shared by the host and CUDA samplers, so both draw exactly the same
// token from the same logits and uniform whatever order they add in: a token's mass is
// round(exp(logit / T - max / T) * 2^44) (the most likely token weighs exactly 2^44; a token below
// ~1e-13 of it weighs nothing), sums are exact 64-bit integers, and the nucleus and draw thresholds
// are integer products with 53-bit fractions of top_p and the uniform. In sorted order (descending
// logit, ties by ascending id) the nucleus ends at the first token whose cumulative mass reaches
// nucleus_target(total, top_p), and the drawn token is the first whose cumulative mass reaches
// pick_target(nucleus mass, u).
#pragma once
#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define R1_HOST_DEVICE __host__ __device__
#else
#define R1_HOST_DEVICE
#endif

namespace r1::ops {

// x = logit / T - max_logit / T <= 0.
R1_HOST_DEVICE inline uint64_t sample_mass(double x) { return uint64_t(llrint(exp(x) * 0x1p44)); }

// ceil(top_p * total) with top_p rounded up to 53 fractional bits; top_p in (0, 1].
R1_HOST_DEVICE inline uint64_t nucleus_target(uint64_t total, double top_p) {
  const uint64_t p = uint64_t(ceil(top_p * 0x1p53));
  const unsigned __int128 product = (unsigned __int128)p * total;
  const unsigned __int128 low_mask = ((unsigned __int128)1 << 53) - 1;
  return uint64_t(product >> 53) + ((product & low_mask) != 0 ? 1 : 0);
}

// floor(u * kept) + 1 with u rounded down to 53 fractional bits; u in [0, 1): in [1, kept].
R1_HOST_DEVICE inline uint64_t pick_target(uint64_t kept, double u) {
  const uint64_t w = uint64_t(floor(u * 0x1p53));
  return uint64_t(((unsigned __int128)w * kept) >> 53) + 1;
}

}  // namespace r1::ops
