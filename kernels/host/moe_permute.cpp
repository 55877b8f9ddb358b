// Host MoE token permutation: the expert-sorted layout (a counting sort of the top-k choices, rows of
// one expert ordered by (token, slot)), the gather of token rows into that layout, the weighted
// scatter back, and their backwards. Every parallel loop writes disjoint rows and sums a token's K
// contributions in slot order, so results are deterministic and race-free.
#include <vector>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

namespace {

void check_routing(const char* op, const MoeRouting& routing) {
  const int64_t rows = routing.tokens * routing.top_k;
  R1_CHECK(routing.row_token.defined() && routing.row_token.is_host() && routing.row_token.numel() == rows &&
               routing.slot_row.defined() && routing.slot_row.is_host() && routing.slot_row.numel() == rows &&
               int64_t(routing.expert_offsets.size()) == routing.experts + 1,
           op, ": routing is not built (tokens=", routing.tokens, ", top_k=", routing.top_k, ", experts=",
           routing.experts, ")");
}

}  // namespace

void moe_build_routing(const Tensor& topk_idx, int64_t n_experts, MoeRouting& routing) {
  check_host("moe_build_routing", topk_idx);
  R1_CHECK(topk_idx.dtype() == DType::i32, "moe_build_routing: topk_idx must be i32, got ", topk_idx.describe());
  R1_CHECK(n_experts >= 1, "moe_build_routing: n_experts = ", n_experts);
  const int64_t tokens = topk_idx.rows(), top_k = topk_idx.cols(), rows = tokens * top_k;
  const int32_t* idx = topk_idx.data<int32_t>();  // [tokens, K]
  routing.tokens = tokens;
  routing.top_k = top_k;
  routing.experts = n_experts;
  routing.expert_offsets.assign(size_t(n_experts + 1), 0);
  routing.row_token = Tensor::zeros({rows}, DType::i32);
  routing.slot_row = Tensor::zeros({rows}, DType::i32);
  int32_t* row_token = routing.row_token.data<int32_t>();
  int32_t* slot_row = routing.slot_row.data<int32_t>();
  // Counting sort: rows per expert, prefix sums, then placement in (token, slot) order.
  for (int64_t i = 0; i < rows; ++i) {
    R1_CHECK(idx[i] >= 0 && idx[i] < n_experts, "moe_build_routing: topk_idx[", i / top_k, ", ", i % top_k, "] = ",
             idx[i], " is not an expert index in [0, ", n_experts, ")");
    ++routing.expert_offsets[size_t(idx[i]) + 1];
  }
  for (int64_t e = 0; e < n_experts; ++e) routing.expert_offsets[size_t(e + 1)] += routing.expert_offsets[size_t(e)];
  std::vector<int64_t> next_row(routing.expert_offsets.begin(), routing.expert_offsets.end() - 1);  // [experts]
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t row = next_row[size_t(idx[i])]++;
    row_token[row] = int32_t(i / top_k);
    slot_row[i] = int32_t(row);
  }
}

void moe_gather(const Tensor& x, const MoeRouting& routing, Tensor& xp) {
  check_routing("moe_gather", routing);
  check_same_dtype("moe_gather", x, xp);
  const int64_t d = x.cols(), rows = routing.tokens * routing.top_k;
  check_numel("moe_gather", x, routing.tokens * d, "x");
  check_numel("moe_gather", xp, rows * d, "xp");
  dispatch_float(x, "moe_gather", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* pxp = xp.data<T>();
    const int32_t* row_token = routing.row_token.data<int32_t>();
    parallel_for("moe_gather", rows, [=](int64_t r) {
      const T* src = px + int64_t(row_token[r]) * d;
      T* dst = pxp + r * d;
      for (int64_t j = 0; j < d; ++j) dst[j] = src[j];
    });
  });
}

void moe_gather_backward(const Tensor& dxp, const MoeRouting& routing, Tensor& dx) {
  check_routing("moe_gather_backward", routing);
  check_same_dtype("moe_gather_backward", dxp, dx);
  const int64_t d = dx.cols(), top_k = routing.top_k;
  check_numel("moe_gather_backward", dx, routing.tokens * d, "dx");
  check_numel("moe_gather_backward", dxp, routing.tokens * top_k * d, "dxp");
  dispatch_float(dx, "moe_gather_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pdxp = dxp.data<T>();
    T* pdx = dx.data<T>();
    const int32_t* slot_row = routing.slot_row.data<int32_t>();
    parallel_for("moe_gather_backward", routing.tokens, [=](int64_t t) {
      T* dst = pdx + t * d;
      for (int64_t j = 0; j < d; ++j) dst[j] = T(0);
      for (int64_t k = 0; k < top_k; ++k) {
        const T* src = pdxp + int64_t(slot_row[t * top_k + k]) * d;
        for (int64_t j = 0; j < d; ++j) dst[j] += src[j];
      }
    });
  });
}

void moe_scatter(const Tensor& yp, const Tensor& weight, const MoeRouting& routing, Tensor& y, Accumulate acc) {
  check_routing("moe_scatter", routing);
  check_same_dtype("moe_scatter", yp, y);
  check_same_dtype("moe_scatter", weight, y);
  const int64_t d = y.cols(), top_k = routing.top_k;
  check_numel("moe_scatter", y, routing.tokens * d, "y");
  check_numel("moe_scatter", yp, routing.tokens * top_k * d, "yp");
  check_numel("moe_scatter", weight, routing.tokens * top_k, "weight");
  dispatch_float(y, "moe_scatter", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pyp = yp.data<T>();
    const T* pw = weight.data<T>();
    T* py = y.data<T>();
    const int32_t* slot_row = routing.slot_row.data<int32_t>();
    const bool accumulate = acc == Accumulate::yes;
    parallel_for("moe_scatter", routing.tokens, [=](int64_t t) {
      T* dst = py + t * d;
      if (!accumulate)
        for (int64_t j = 0; j < d; ++j) dst[j] = T(0);
      for (int64_t k = 0; k < top_k; ++k) {
        const T w = pw[t * top_k + k];
        const T* src = pyp + int64_t(slot_row[t * top_k + k]) * d;
        for (int64_t j = 0; j < d; ++j) dst[j] += w * src[j];
      }
    });
  });
}

void moe_scatter_backward(const Tensor& dy, const Tensor& yp, const Tensor& weight, const MoeRouting& routing,
                          Tensor& dyp, Tensor& dweight) {
  check_routing("moe_scatter_backward", routing);
  check_same_dtype("moe_scatter_backward", dy, yp);
  check_same_dtype("moe_scatter_backward", dy, weight);
  check_same_dtype("moe_scatter_backward", dy, dyp);
  check_same_dtype("moe_scatter_backward", dy, dweight);
  const int64_t d = dy.cols(), top_k = routing.top_k, rows = routing.tokens * top_k;
  check_numel("moe_scatter_backward", dy, routing.tokens * d, "dy");
  check_numel("moe_scatter_backward", yp, rows * d, "yp");
  check_numel("moe_scatter_backward", dyp, rows * d, "dyp");
  check_numel("moe_scatter_backward", weight, rows, "weight");
  check_numel("moe_scatter_backward", dweight, rows, "dweight");
  dispatch_float(dy, "moe_scatter_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pdy = dy.data<T>();
    const T* pyp = yp.data<T>();
    const T* pw = weight.data<T>();
    T* pdyp = dyp.data<T>();
    T* pdw = dweight.data<T>();
    const int32_t* slot_row = routing.slot_row.data<int32_t>();
    // Token t owns rows slot_row[t*K .. t*K+K), so writes of different tokens never overlap.
    parallel_for("moe_scatter_backward", routing.tokens, [=](int64_t t) {
      const T* g = pdy + t * d;
      for (int64_t k = 0; k < top_k; ++k) {
        const int64_t row = slot_row[t * top_k + k];
        const T w = pw[t * top_k + k];
        const T* src = pyp + row * d;
        T* dst = pdyp + row * d;
        double dot = 0;
        for (int64_t j = 0; j < d; ++j) {
          dst[j] = w * g[j];
          dot += double(g[j]) * double(src[j]);
        }
        pdw[t * top_k + k] = T(dot);
      }
    });
  });
}

}  // namespace r1::ops::host
