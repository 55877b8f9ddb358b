// Host token sampling: temperature, top-k and top-p (nucleus) filtering, then an inverse-CDF draw
// with a caller-supplied uniform (counter-based, so a sample does not depend on batch composition),
// over the fixed-point masses of sampling_mass.hpp.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"
#include "kernels/sampling_mass.hpp"

namespace r1::ops::host {

void sample_tokens(const Tensor& logits, const SamplingParams& p, const Tensor& uniforms, Tensor& tokens) {
  const int64_t rows = logits.rows(), vocab = logits.cols();
  R1_CHECK(uniforms.defined() && uniforms.is_host() && uniforms.dtype() == DType::f64 && uniforms.numel() == rows,
           "sample_tokens: uniforms ", uniforms.describe(), " should be host f64 with ", rows, " elements");
  check_numel("sample_tokens", tokens, rows, "tokens");
  R1_CHECK(tokens.dtype() == DType::i32 && tokens.is_host(), "sample_tokens: tokens must be host i32");
  R1_CHECK(p.temperature >= 0 && p.top_p > 0 && p.top_p <= 1 && p.top_k >= 0, "sample_tokens: bad parameters");
  int32_t* out = tokens.data<int32_t>();
  dispatch_float(logits, "sample_tokens", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* lg = logits.data<T>();
    const double* u = uniforms.data<double>();
    parallel_for("sample_tokens", rows, [=](int64_t r) {
      const T* row = lg + r * vocab;
      if (p.temperature == 0) {  // greedy; ties to the lower id
        int64_t best = 0;
        for (int64_t v = 1; v < vocab; ++v)
          if (row[v] > row[best]) best = v;
        out[r] = int32_t(best);
        return;
      }
      std::vector<int32_t> order(static_cast<size_t>(vocab));
      std::iota(order.begin(), order.end(), 0);
      auto higher = [&](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
      int64_t keep = p.top_k > 0 ? std::min<int64_t>(p.top_k, vocab) : vocab;
      std::partial_sort(order.begin(), order.begin() + keep, order.end(), higher);
      // Fixed-point masses (sampling_mass.hpp): the CUDA sampler draws the same token.
      const double mx = double(row[order[0]]) / p.temperature;
      std::vector<uint64_t> mass(static_cast<size_t>(keep));
      uint64_t total = 0;
      for (int64_t i = 0; i < keep; ++i) total += (mass[size_t(i)] = sample_mass(double(row[order[size_t(i)]]) / p.temperature - mx));
      // Nucleus: the shortest prefix whose mass reaches top_p of the total.
      int64_t nucleus = keep;
      uint64_t kept = total;
      if (p.top_p < 1) {
        const uint64_t target = nucleus_target(total, p.top_p);
        uint64_t cum = 0;
        for (int64_t i = 0; i < keep; ++i) {
          cum += mass[size_t(i)];
          if (cum >= target) {
            nucleus = i + 1;
            kept = cum;
            break;
          }
        }
      }
      const uint64_t target = pick_target(kept, u[r]);
      uint64_t cum = 0;
      int32_t chosen = order[size_t(nucleus - 1)];
      for (int64_t i = 0; i < nucleus; ++i) {
        cum += mass[size_t(i)];
        if (cum >= target) {
          chosen = order[size_t(i)];
          break;
        }
      }
      out[r] = chosen;
    });
  });
}

}  // namespace r1::ops::host
