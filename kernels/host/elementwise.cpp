// Host elementwise kernels and deterministic reductions (fill, add, axpy, scale, mul, sums,
// dtype conversion, column copies).
#include <cstring>
#include <vector>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

void fill(Tensor& x, double value) {
  check_host("fill", x);
  if (x.dtype() == DType::i32) {
    int32_t* p = x.data<int32_t>();
    parallel_for("fill_i32", x.numel(), [=](int64_t i) { p[i] = int32_t(value); });
    return;
  }
  dispatch_float(x, "fill", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = x.data<T>();
    parallel_for("fill", x.numel(), [=](int64_t i) { p[i] = T(value); });
  });
}

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  check_numel("add", a, out.numel(), "a");
  check_numel("add", b, out.numel(), "b");
  dispatch_float(out, "add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T* po = out.data<T>();
    parallel_for("add", out.numel(), [=](int64_t i) { po[i] = pa[i] + pb[i]; });
  });
}

void axpy(double alpha, const Tensor& x, Tensor& y) {
  check_numel("axpy", x, y.numel(), "x");
  dispatch_float(y, "axpy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    T al = T(alpha);
    parallel_for("axpy", y.numel(), [=](int64_t i) { py[i] += al * px[i]; });
  });
}

void scale(Tensor& x, double s) {
  dispatch_float(x, "scale", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = x.data<T>();
    T f = T(s);
    parallel_for("scale", x.numel(), [=](int64_t i) { p[i] *= f; });
  });
}

void mul(const Tensor& a, const Tensor& b, Tensor& out) {
  check_numel("mul", a, out.numel(), "a");
  check_numel("mul", b, out.numel(), "b");
  dispatch_float(out, "mul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T* po = out.data<T>();
    parallel_for("mul", out.numel(), [=](int64_t i) { po[i] = pa[i] * pb[i]; });
  });
}

// Blocked reduction: fixed-size blocks summed in parallel, then the block sums in order.
template <class T, class F>
static double blocked_sum(const T* p, int64_t n, F term) {
  constexpr int64_t kBlock = 4096;
  int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(size_t(std::max<int64_t>(blocks, 1)), 0.0);
  double* pp = partial.data();
  parallel_for("blocked_sum", blocks, [=](int64_t b) {
    pp[b] = sum4(b * kBlock, std::min(n, (b + 1) * kBlock), [&](int64_t i) { return term(double(p[i])); });
  });
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

double sum_squares(const Tensor& x) {
  return dispatch_float(x, "sum_squares", [&](auto tag) {
    using T = typename decltype(tag)::type;
    return blocked_sum(x.data<T>(), x.numel(), [](double v) { return v * v; });
  });
}

std::vector<double> sum_squares_each(const std::vector<Tensor>& parts) {
  std::vector<double> sums;
  sums.reserve(parts.size());
  for (const Tensor& part : parts) sums.push_back(sum_squares(part));
  return sums;
}

double sum(const Tensor& x) {
  return dispatch_float(x, "sum", [&](auto tag) {
    using T = typename decltype(tag)::type;
    return blocked_sum(x.data<T>(), x.numel(), [](double v) { return v; });
  });
}

template <class S, class D>
static void convert_loop(const Tensor& src, Tensor& dst) {
  const S* ps = static_cast<const S*>(src.raw());
  D* pd = static_cast<D*>(dst.raw());
  parallel_for("convert", dst.numel(), [=](int64_t i) {
    if constexpr (std::is_same_v<S, bf16>) pd[i] = D(float(ps[i]));
    else if constexpr (std::is_same_v<D, bf16>) pd[i] = bf16(float(ps[i]));
    else pd[i] = D(ps[i]);
  });
}

void convert(const Tensor& src, Tensor& dst) {
  check_numel("convert", src, dst.numel(), "src");
  auto with_dst = [&](auto stag) {
    using S = typename decltype(stag)::type;
    switch (dst.dtype()) {
      case DType::f32: return convert_loop<S, float>(src, dst);
      case DType::f64: return convert_loop<S, double>(src, dst);
      case DType::bf16: return convert_loop<S, bf16>(src, dst);
      default: throw Error("convert: unsupported destination " + dst.describe());
    }
  };
  switch (src.dtype()) {
    case DType::f32: return with_dst(type_tag<float>{});
    case DType::f64: return with_dst(type_tag<double>{});
    case DType::bf16: return with_dst(type_tag<bf16>{});
    default: throw Error("convert: unsupported source " + src.describe());
  }
}

void copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t ncols, Accumulate acc) {
  check_same_dtype("copy_columns", src, dst);
  int64_t rows = dst.rows(), sc = src.cols(), dc = dst.cols();
  R1_CHECK(src.rows() == rows, "copy_columns: ", src.describe(), " and ", dst.describe(), " differ in rows");
  R1_CHECK(src_col >= 0 && src_col + ncols <= sc && dst_col >= 0 && dst_col + ncols <= dc,
           "copy_columns: column range out of bounds");
  dispatch_float(dst, "copy_columns", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ps = src.data<T>();
    T* pd = dst.data<T>();
    bool add = acc == Accumulate::yes;
    parallel_for("copy_columns", rows, [=](int64_t r) {
      const T* s = ps + r * sc + src_col;
      T* d = pd + r * dc + dst_col;
      if (add)
        for (int64_t j = 0; j < ncols; ++j) d[j] += s[j];
      else
        for (int64_t j = 0; j < ncols; ++j) d[j] = s[j];
    });
  });
}

}  // namespace r1::ops::host
