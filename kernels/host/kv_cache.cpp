// Host kernels for generation with KV caches: writing rows into a cache and attention of new rows
// against each row's cached prefix (GQA caches, or MLA's latent cache read as key and value).
#include <cmath>
#include <vector>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

void scatter_rows(const Tensor& src, const Tensor& rows, Tensor& dst, int64_t dst_col) {
  check_same_dtype("scatter_rows", src, dst);
  const int64_t n = src.rows(), width = src.cols(), dst_rows = dst.rows(), dst_cols = dst.cols();
  check_numel("scatter_rows", rows, n, "rows");
  R1_CHECK(dst_col >= 0 && dst_col + width <= dst_cols, "scatter_rows: columns [", dst_col, ", ", dst_col + width,
           ") outside ", dst.describe());
  const int32_t* r = rows.data<int32_t>();
  for (int64_t i = 0; i < n; ++i)
    R1_CHECK(r[i] >= 0 && r[i] < dst_rows, "scatter_rows: row ", r[i], " outside ", dst.describe());
  dispatch_float(dst, "scatter_rows", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* s = src.data<T>();
    T* d = dst.data<T>();
    parallel_for("scatter_rows", n, [=](int64_t i) {
      for (int64_t j = 0; j < width; ++j) d[int64_t(r[i]) * dst_cols + dst_col + j] = s[i * width + j];
    });
  });
}

void gather_rows(const Tensor& src, const Tensor& rows, Tensor& dst) {
  check_same_dtype("gather_rows", src, dst);
  const int64_t n = dst.rows(), width = dst.cols(), src_rows = src.rows();
  R1_CHECK(src.cols() == width, "gather_rows: ", src.describe(), " and ", dst.describe(), " differ in width");
  check_numel("gather_rows", rows, n, "rows");
  const int32_t* r = rows.data<int32_t>();
  for (int64_t i = 0; i < n; ++i) R1_CHECK(r[i] >= 0 && r[i] < src_rows, "gather_rows: row ", r[i], " outside ", src.describe());
  dispatch_float(dst, "gather_rows", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* s = src.data<T>();
    T* d = dst.data<T>();
    parallel_for("gather_rows", n, [=](int64_t i) {
      for (int64_t j = 0; j < width; ++j) d[i * width + j] = s[int64_t(r[i]) * width + j];
    });
  });
}

void attention_cached(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, int64_t v_dim,
                      const Tensor& row_slot, const Tensor& row_pos, double scale, Tensor& out) {
  R1_CHECK(k_cache.ndim() == 4, "attention_cached: k_cache must be [slots, capacity, Hkv, Dk], got ", k_cache.describe());
  check_same_dtype("attention_cached", q, k_cache);
  check_same_dtype("attention_cached", q, out);
  const int64_t slots = k_cache.size(0), capacity = k_cache.size(1), hkv = k_cache.size(2), dk = k_cache.size(3);
  const bool shared_values = !v_cache.defined();
  const int64_t dv = v_dim, v_stride = shared_values ? dk : v_dim;
  if (shared_values) {
    R1_CHECK(v_dim <= dk, "attention_cached: v_dim ", v_dim, " exceeds the cached key width ", dk);
  } else {
    check_same_dtype("attention_cached", q, v_cache);
    R1_CHECK(v_cache.ndim() == 4 && v_cache.size(0) == slots && v_cache.size(1) == capacity && v_cache.size(2) == hkv &&
                 v_cache.size(3) == v_dim,
             "attention_cached: v_cache ", v_cache.describe(), " does not match k_cache ", k_cache.describe());
  }
  const int64_t n = row_slot.numel();
  R1_CHECK(n == 0 || q.numel() % (n * dk) == 0, "attention_cached: q ", q.describe(), " for ", n, " rows of width ", dk);
  const int64_t hq = n ? q.numel() / (n * dk) : 0;
  R1_CHECK(n == 0 || (hq % hkv == 0 && hq > 0), "attention_cached: ", hq, " query heads for ", hkv, " kv heads");
  check_numel("attention_cached", row_pos, n, "row_pos");
  check_numel("attention_cached", out, n * hq * dv, "out");
  const int32_t *slot = row_slot.data<int32_t>(), *pos = row_pos.data<int32_t>();
  for (int64_t i = 0; i < n; ++i)
    R1_CHECK(slot[i] >= 0 && slot[i] < slots && pos[i] >= 0 && pos[i] < capacity, "attention_cached: row ", i,
             " reads slot ", slot[i], " position ", pos[i], " outside the cache [", slots, ", ", capacity, "]");
  const int64_t group = n ? hq / hkv : 1;
  dispatch_float(out, "attention_cached", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pq = q.data<T>();
    const T* pk = k_cache.data<T>();
    const T* pv = shared_values ? pk : v_cache.data<T>();
    T* po = out.data<T>();
    // One work item per (row, kv head): the group's query heads against the slot's cached prefix,
    // scores and the weighted sum of values as two BLAS GEMMs ([group, Dk] x [Dk, len] and
    // [group, len] x [len, Dv]) like the training forward, the softmax in float64 between them.
    parallel_for("attention_cached", n * hkv, [=](int64_t item) {
      const int64_t row = item / hkv, g = item % hkv, len = int64_t(pos[row]) + 1;
      const T* q_g = pq + (row * hq + g * group) * dk;                    // [group, dk], ld dk
      const T* k_g = pk + (int64_t(slot[row]) * capacity * hkv + g) * dk;  // [len, dk], ld hkv * dk
      const T* v_g = pv + (int64_t(slot[row]) * capacity * hkv + g) * v_stride;  // [len, dv], ld hkv * v_stride
      std::vector<T> p(static_cast<size_t>(group * len));
      std::vector<double> e(static_cast<size_t>(len));
      blas_gemm(false, true, group, len, dk, 1.0, q_g, dk, k_g, hkv * dk, 0.0, p.data(), len);
      for (int64_t h = 0; h < group; ++h) {
        T* ph = p.data() + h * len;
        double mx = -INFINITY;
        for (int64_t j = 0; j < len; ++j) mx = std::max(mx, double(ph[j]) * scale);
        double total = 0;
        for (int64_t j = 0; j < len; ++j) total += (e[size_t(j)] = std::exp(double(ph[j]) * scale - mx));
        for (int64_t j = 0; j < len; ++j) ph[j] = T(e[size_t(j)] / total);
      }
      blas_gemm(false, false, group, dv, len, 1.0, p.data(), len, v_g, hkv * v_stride, 0.0,
                po + (row * hq + g * group) * dv, dv);
    });
  });
}

}  // namespace r1::ops::host
