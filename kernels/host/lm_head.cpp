// Host LM head with softmax cross-entropy, in row chunks: only one [chunk_rows, V] logits buffer
// exists at a time (never [N, V]). The forward saves log p(target), the log-sum-exp and optionally
// the entropy; the backward recomputes each chunk's logits from h, w and the saved lse, then forms
// dh (overwritten) and dw (accumulated) with BLAS. The saving variant also keeps softmax - onehot
// for all rows, from which lm_head_backward_saved forms dh and dw without the logits GEMM.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"
#include "kernels/host/row_lse.hpp"

namespace r1::ops::host {

namespace {

struct LmHeadShape {
  int64_t rows = 0, vocab = 0, dim = 0;
};

LmHeadShape check_lm_head(const char* op, const Tensor& h, const Tensor& w, const Tensor& targets, int64_t chunk_rows) {
  check_host(op, h);
  check_host(op, targets);
  check_same_dtype(op, h, w);
  LmHeadShape s{h.rows(), w.rows(), h.cols()};
  R1_CHECK(w.cols() == s.dim, op, ": hidden ", h.describe(), " and head weight ", w.describe(), " differ in width");
  R1_CHECK(chunk_rows >= 1, op, ": chunk_rows = ", chunk_rows, " (must be >= 1)");
  R1_CHECK(targets.dtype() == DType::i32, op, ": targets must be i32, got ", targets.describe());
  check_numel(op, targets, s.rows, "targets");
  const int32_t* pt = targets.data<int32_t>();
  for (int64_t n = 0; n < s.rows; ++n)
    R1_CHECK(pt[n] < s.vocab, op, ": target ", pt[n], " at row ", n, " is not below the vocabulary size ", s.vocab);
  return s;
}

}  // namespace

namespace {

// The forward of both entry points; unit_dlogits undefined: not saved.
void lm_head_forward_impl(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale,
                          int64_t chunk_rows, Tensor& logp, Tensor& lse, Tensor& entropy, Tensor* unit_dlogits) {
  const LmHeadShape s = check_lm_head("lm_head_forward", h, w, targets, chunk_rows);
  if (unit_dlogits) {
    check_same_dtype("lm_head_forward_saving", h, *unit_dlogits);
    check_numel("lm_head_forward_saving", *unit_dlogits, s.rows * s.vocab, "unit_dlogits");
  }
  check_same_dtype("lm_head_forward", h, logp);
  check_same_dtype("lm_head_forward", h, lse);
  check_numel("lm_head_forward", logp, s.rows, "logp");
  check_numel("lm_head_forward", lse, s.rows, "lse");
  const bool want_entropy = entropy.defined();
  if (want_entropy) {
    check_same_dtype("lm_head_forward", h, entropy);
    check_numel("lm_head_forward", entropy, s.rows, "entropy");
  }
  dispatch_float(h, "lm_head_forward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t chunk = std::min(chunk_rows, std::max<int64_t>(s.rows, 1)), vocab = s.vocab;
    std::vector<T> logits(size_t(chunk * vocab));  // [chunk_rows, V], reused by every chunk
    T* pz = logits.data();
    const int32_t* pt = targets.data<int32_t>();
    T* plogp = logp.data<T>();
    T* plse = lse.data<T>();
    T* pent = want_entropy ? entropy.data<T>() : nullptr;
    T* psaved = unit_dlogits ? unit_dlogits->data<T>() : nullptr;
    for (int64_t r0 = 0; r0 < s.rows; r0 += chunk) {
      const int64_t m = std::min(chunk, s.rows - r0);
      blas_gemm(false, true, m, vocab, s.dim, logit_scale, h.data<T>() + r0 * s.dim, s.dim, w.data<T>(), s.dim, 0.0, pz,
                vocab);
      parallel_for("lm_head_forward", m, [=](int64_t i) {
        const T* z = pz + i * vocab;
        const int64_t n = r0 + i;
        const double row_lse = row_log_sum_exp(z, vocab);
        plse[n] = T(row_lse);
        plogp[n] = pt[n] < 0 ? T(0) : T(double(z[pt[n]]) - row_lse);
        if (pent) {
          // H = -sum p log p = sum p (lse - z).
          double h_sum = 0;
          for (int64_t v = 0; v < vocab; ++v) {
            const double zv = double(z[v]);
            h_sum += std::exp(zv - row_lse) * (row_lse - zv);
          }
          pent[n] = T(h_sum);
        }
        if (psaved) {  // softmax - onehot(target); zero rows without a target
          T* u = psaved + n * vocab;
          for (int64_t v = 0; v < vocab; ++v) u[v] = pt[n] < 0 ? T(0) : T(std::exp(double(z[v]) - row_lse));
          if (pt[n] >= 0) u[pt[n]] = T(std::exp(double(z[pt[n]]) - row_lse) - 1.0);
        }
      });
    }
  });
}

}  // namespace

void lm_head_forward(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale, int64_t chunk_rows,
                     Tensor& logp, Tensor& lse, Tensor& entropy) {
  lm_head_forward_impl(h, w, targets, logit_scale, chunk_rows, logp, lse, entropy, nullptr);
}

void lm_head_forward_saving(const Tensor& h, const Tensor& w, const Tensor& targets, double logit_scale,
                            int64_t chunk_rows, Tensor& logp, Tensor& lse, Tensor& entropy, Tensor& unit_dlogits) {
  lm_head_forward_impl(h, w, targets, logit_scale, chunk_rows, logp, lse, entropy, &unit_dlogits);
}

void lm_head_backward(const Tensor& h, const Tensor& w, const Tensor& targets, const Tensor& lse, const Tensor& dlogp,
                      double logit_scale, int64_t chunk_rows, Tensor& dh, Tensor& dw) {
  const LmHeadShape s = check_lm_head("lm_head_backward", h, w, targets, chunk_rows);
  check_same_dtype("lm_head_backward", h, lse);
  check_same_dtype("lm_head_backward", h, dlogp);
  check_same_dtype("lm_head_backward", h, dh);
  check_same_dtype("lm_head_backward", h, dw);
  check_numel("lm_head_backward", lse, s.rows, "lse");
  check_numel("lm_head_backward", dlogp, s.rows, "dlogp");
  check_numel("lm_head_backward", dh, s.rows * s.dim, "dh");
  check_numel("lm_head_backward", dw, s.vocab * s.dim, "dw");
  dispatch_float(h, "lm_head_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t chunk = std::min(chunk_rows, std::max<int64_t>(s.rows, 1)), vocab = s.vocab, dim = s.dim;
    std::vector<T> buffer(size_t(chunk * vocab));  // [chunk_rows, V]: logits, then dlogits in place
    T* pz = buffer.data();
    const T* ph = h.data<T>();
    const T* pw = w.data<T>();
    const int32_t* pt = targets.data<int32_t>();
    const T* plse = lse.data<T>();
    const T* pdlogp = dlogp.data<T>();
    for (int64_t r0 = 0; r0 < s.rows; r0 += chunk) {
      const int64_t m = std::min(chunk, s.rows - r0);
      blas_gemm(false, true, m, vocab, dim, logit_scale, ph + r0 * dim, dim, pw, dim, 0.0, pz, vocab);
      // dlogits (with respect to h W^T) = logit_scale * dlogp * (onehot(target) - softmax).
      parallel_for("lm_head_backward", m, [=](int64_t i) {
        T* z = pz + i * vocab;
        const int64_t n = r0 + i;
        if (pt[n] < 0) {
          for (int64_t v = 0; v < vocab; ++v) z[v] = T(0);
          return;
        }
        const double g = logit_scale * double(pdlogp[n]), row_lse = double(plse[n]);
        for (int64_t v = 0; v < vocab; ++v) z[v] = T(-g * std::exp(double(z[v]) - row_lse));
        z[pt[n]] = T(double(z[pt[n]]) + g);
      });
      blas_gemm(false, false, m, dim, vocab, 1.0, pz, vocab, pw, dim, 0.0, dh.data<T>() + r0 * dim, dim);
      blas_gemm(true, false, vocab, dim, m, 1.0, pz, vocab, ph + r0 * dim, dim, 1.0, dw.data<T>(), dim);
    }
  });
}

void lm_head_backward_saved(const Tensor& h, const Tensor& w, const Tensor& unit_dlogits, const Tensor& dlogp,
                            double logit_scale, Tensor& dh, Tensor& dw) {
  const char* op = "lm_head_backward_saved";
  check_host(op, h);
  check_same_dtype(op, h, w);
  check_same_dtype(op, h, unit_dlogits);
  check_same_dtype(op, h, dlogp);
  check_same_dtype(op, h, dh);
  check_same_dtype(op, h, dw);
  const int64_t rows = h.rows(), vocab = w.rows(), dim = h.cols();
  R1_CHECK(w.cols() == dim, op, ": hidden ", h.describe(), " and head weight ", w.describe(), " differ in width");
  check_numel(op, unit_dlogits, rows * vocab, "unit_dlogits");
  check_numel(op, dlogp, rows, "dlogp");
  check_numel(op, dh, rows * dim, "dh");
  check_numel(op, dw, vocab * dim, "dw");
  dispatch_float(h, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ph = h.data<T>();
    const T* pg = dlogp.data<T>();
    // dw += U^T (g * h) with g = -logit_scale * dlogp.
    std::vector<T> scaled(size_t(rows * dim));
    for (int64_t n = 0; n < rows; ++n)
      for (int64_t j = 0; j < dim; ++j)
        scaled[size_t(n * dim + j)] = T(-logit_scale * double(pg[n]) * double(ph[n * dim + j]));
    blas_gemm(true, false, vocab, dim, rows, 1.0, unit_dlogits.data<T>(), vocab, scaled.data(), dim, 1.0, dw.data<T>(),
              dim);
    // dh = g * (U W), row by row.
    T* pdh = dh.data<T>();
    blas_gemm(false, false, rows, dim, vocab, 1.0, unit_dlogits.data<T>(), vocab, w.data<T>(), dim, 0.0, pdh, dim);
    for (int64_t n = 0; n < rows; ++n)
      for (int64_t j = 0; j < dim; ++j) pdh[n * dim + j] = T(-logit_scale * double(pg[n]) * double(pdh[n * dim + j]));
  });
}

}  // namespace r1::ops::host
