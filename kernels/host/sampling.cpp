// Host token sampling: temperature, top-k and top-p (nucleus) filtering, then an inverse-CDF draw
// with a caller-supplied uniform (counter-based, so a sample does not depend on batch composition),
// over the fixed-point masses of sampling_mass.hpp.
#include <algorithm>
#include <cmath>
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
      // Fixed-point masses (sampling_mass.hpp): the CUDA sampler draws the same token. Tokens are
      // visited in sorted order (descending logit, ties by ascending id) only as far as the nucleus
      // and the draw need: a heap yields them one at a time instead of sorting the vocabulary.
      int64_t best = 0;
      for (int64_t v = 1; v < vocab; ++v)
        if (row[v] > row[best]) best = v;
      const double mx = double(row[best]) / p.temperature;
      auto higher = [&](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
      auto lower = [&](int32_t a, int32_t b) { return higher(b, a); };  // heap top = highest
      std::vector<int32_t> heap(static_cast<size_t>(vocab));
      for (int64_t v = 0; v < vocab; ++v) heap[size_t(v)] = int32_t(v);
      std::vector<int32_t> order;  // the sorted prefix visited so far
      std::vector<uint64_t> mass;  // masses of `order`
      auto next = [&] {  // appends the next token in sorted order
        std::pop_heap(heap.begin(), heap.end(), lower);
        order.push_back(heap.back());
        heap.pop_back();
        mass.push_back(sample_mass(double(row[order.back()]) / p.temperature - mx));
      };
      uint64_t total = 0;  // over the top-k (or the whole vocabulary)
      const int64_t keep = p.top_k > 0 ? std::min<int64_t>(p.top_k, vocab) : vocab;
      if (keep < vocab) {
        std::make_heap(heap.begin(), heap.end(), lower);
        while (int64_t(order.size()) < keep) next();
        for (uint64_t w : mass) total += w;
      } else {
        for (int64_t v = 0; v < vocab; ++v) {
          const double x = double(row[v]) / p.temperature - mx;
          if (x > -32) total += sample_mass(x);  // exp(-32) * 2^44 < 0.5 rounds to no mass
        }
        std::make_heap(heap.begin(), heap.end(), lower);
      }
      // Walks the sorted prefix to the first token whose cumulative mass reaches `target` (<= the
      // mass of the first `limit` tokens); returns its index.
      auto reach = [&](uint64_t target, int64_t limit) {
        uint64_t cum = 0;
        for (int64_t i = 0; i < limit; ++i) {
          if (i == int64_t(order.size())) next();
          cum += mass[size_t(i)];
          if (cum >= target) return i;
        }
        return limit - 1;
      };
      // Nucleus: the shortest prefix whose mass reaches top_p of the total.
      int64_t nucleus = keep;
      uint64_t kept = total;
      if (p.top_p < 1) {
        nucleus = reach(nucleus_target(total, p.top_p), keep) + 1;
        kept = 0;
        for (int64_t i = 0; i < nucleus; ++i) kept += mass[size_t(i)];
      }
      out[r] = order[size_t(reach(pick_target(kept, u[r]), nucleus))];
    });
  });
}

}  // namespace r1::ops::host
