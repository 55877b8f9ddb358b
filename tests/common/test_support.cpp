// Implementation of the shared test helpers.
#include "common/test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/rng.hpp"

namespace r1::test {

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed, double stddev) {
  Tensor t = Tensor::empty(shape, dtype);
  CounterRng rng({seed, 0x7e57});
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = rng.normal() * stddev;
    if (dtype == DType::f32) t.data<float>()[i] = float(v);
    else if (dtype == DType::f64) t.data<double>()[i] = v;
    else if (dtype == DType::bf16) t.data<bf16>()[i] = bf16(float(v));
    else throw Error("random_tensor: float dtypes only");
  }
  return t;
}

Tensor random_ints(const Shape& shape, int64_t lo, int64_t hi, uint64_t seed) {
  Tensor t = Tensor::empty(shape, DType::i32);
  CounterRng rng({seed, 0x1d5});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int32_t>()[i] = int32_t(lo + int64_t(rng.below(uint64_t(hi - lo))));
  return t;
}

Tensor cast(const Tensor& t, DType dtype) {
  Tensor out = Tensor::empty(t.shape(), dtype);
  auto v = to_f64_vector(t);
  for (int64_t i = 0; i < out.numel(); ++i) {
    if (dtype == DType::f32) out.data<float>()[i] = float(v[size_t(i)]);
    else if (dtype == DType::f64) out.data<double>()[i] = v[size_t(i)];
    else if (dtype == DType::bf16) out.data<bf16>()[i] = bf16(float(v[size_t(i)]));
    else if (dtype == DType::i32) out.data<int32_t>()[i] = int32_t(v[size_t(i)]);
  }
  return out;
}

std::vector<int32_t> int32_values(const Tensor& t) {
  R1_CHECK(t.dtype() == DType::i32, "int32_values: ", t.describe(), " is not i32");
  const Tensor host = t.is_host() ? t : t.to(Device::host);
  return std::vector<int32_t>(host.data<int32_t>(), host.data<int32_t>() + host.numel());
}

double rel_error(const std::vector<double>& a, const std::vector<double>& b) {
  R1_CHECK(a.size() == b.size(), "rel_error: sizes ", a.size(), " and ", b.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) return INFINITY;
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

double rel_error(const Tensor& a, const Tensor& b) { return rel_error(to_f64_vector(a), to_f64_vector(b)); }

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : to_f64_vector(t)) m = std::max(m, std::fabs(v));
  return m;
}

GradCheckResult check_gradient(Tensor& input, const std::function<double()>& loss, const Tensor& analytic,
                               int64_t max_coords, double step, uint64_t seed) {
  R1_CHECK(input.dtype() == DType::f64 && input.is_host(), "check_gradient needs an f64 host input");
  R1_CHECK(analytic.numel() == input.numel(), "check_gradient: analytic gradient has ", analytic.numel(),
           " elements, input ", input.numel());
  std::vector<int64_t> coords;
  if (input.numel() <= max_coords) {
    for (int64_t i = 0; i < input.numel(); ++i) coords.push_back(i);
  } else {
    CounterRng rng({seed, 0xfd});
    while (int64_t(coords.size()) < max_coords) {
      int64_t c = int64_t(rng.below(uint64_t(input.numel())));
      if (std::find(coords.begin(), coords.end(), c) == coords.end()) coords.push_back(c);
    }
  }
  auto an = to_f64_vector(analytic);
  std::vector<double> fd_vals, an_vals;
  double* p = input.data<double>();
  GradCheckResult r;
  for (int64_t c : coords) {
    double saved = p[c];
    double h = step * std::max(1.0, std::fabs(saved));
    p[c] = saved + h;
    double lp = loss();
    p[c] = saved - h;
    double lm = loss();
    p[c] = saved;
    double fd = (lp - lm) / (2 * h);
    fd_vals.push_back(fd);
    an_vals.push_back(an[size_t(c)]);
    r.max_abs_diff = std::max(r.max_abs_diff, std::fabs(fd - an[size_t(c)]));
  }
  r.checked = int64_t(coords.size());
  r.rel_error = rel_error(an_vals, fd_vals);
  return r;
}

std::string test_data_path(const std::string& relative) {
  const char* env = std::getenv("R1_TEST_DATA");
  std::string base = env ? env : R1_SOURCE_TEST_DATA;
  return base + "/" + relative;
}

}  // namespace r1::test
