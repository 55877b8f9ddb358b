// Helpers for host kernels: Kokkos parallel loops on the default host execution space (serial in
// Debian's Kokkos; threaded by an OpenMP Kokkos with no code change), float-type dispatch, BLAS GEMM
// for float and double, and argument checks. Loops write disjoint outputs per index and reduce in a
// fixed order, so results are bit-reproducible for a given thread count.
#pragma once
#include <Kokkos_Core.hpp>
#include <cblas.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/tensor.hpp"

namespace r1::ops::host {

using HostSpace = Kokkos::DefaultHostExecutionSpace;

template <class F>
inline void parallel_for(const char* name, int64_t n, const F& f) {
  if (n <= 0) return;
  Kokkos::parallel_for(name, Kokkos::RangePolicy<HostSpace, Kokkos::IndexType<int64_t>>(0, n), f);
}

template <class T> struct type_tag { using type = T; };

// Calls f(type_tag<float>{}) or f(type_tag<double>{}) for the tensor's floating dtype.
template <class F>
inline decltype(auto) dispatch_float(const Tensor& t, const char* op, F&& f) {
  switch (t.dtype()) {
    case DType::f32: return f(type_tag<float>{});
    case DType::f64: return f(type_tag<double>{});
    default: throw Error(std::string(op) + ": host kernels take f32 or f64, got " + t.describe());
  }
}

inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  R1_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch ", a.describe(), " vs ", b.describe());
}
inline void check_numel(const char* op, const Tensor& t, int64_t n, const char* what) {
  R1_CHECK(t.numel() == n, op, ": ", what, " has ", t.describe(), ", expected ", n, " elements");
}
inline void check_host(const char* op, const Tensor& t) {
  R1_CHECK(t.is_host(), op, ": host kernel given ", t.describe());
}

// sum over j in [begin, end) of term(j) in float64, over four interleaved partial sums added in a
// fixed order ((s0 + s1) + (s2 + s3)): one chain of dependent additions runs at the adder's latency,
// which bound the row reductions of norms, attention and the gradient norm.
template <class F>
inline double sum4(int64_t begin, int64_t end, const F& term) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t j = begin;
  for (; j + 4 <= end; j += 4) {
    s0 += term(j);
    s1 += term(j + 1);
    s2 += term(j + 2);
    s3 += term(j + 3);
  }
  for (; j < end; ++j) s0 += term(j);
  return (s0 + s1) + (s2 + s3);
}

inline CBLAS_TRANSPOSE cblas_trans(bool t) { return t ? CblasTrans : CblasNoTrans; }

// Row-major C[m, n] = alpha * op(A) op(B) + beta * C.
inline void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, double beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), int(m), int(n), int(k), float(alpha), a, int(lda), b,
              int(ldb), float(beta), c, int(ldc));
}
inline void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
                      const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb),
              beta, c, int(ldc));
}

}  // namespace r1::ops::host
