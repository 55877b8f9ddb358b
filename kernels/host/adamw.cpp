// Host AdamW step over the flat parameter buffer, in PyTorch's order (torch.optim.AdamW,
// decoupled weight decay): p *= 1 - lr*wd (decay segments only); m = b1 m + (1-b1) g;
// v = b2 v + (1-b2) g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps), g being the
// gradient times grad_scale; the compute copy `weights` (when defined) follows the new values.
// Only elements inside a segment are touched.
#include <algorithm>
#include <cmath>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

namespace {
// Segments must lie inside the buffer and must not overlap (an element is updated at most once).
void check_segments(const std::vector<ParamSegment>& segments, int64_t numel) {
  std::vector<ParamSegment> sorted = segments;
  std::sort(sorted.begin(), sorted.end(), [](const ParamSegment& a, const ParamSegment& b) { return a.offset < b.offset; });
  int64_t covered_to = 0;
  for (const ParamSegment& s : sorted) {
    R1_CHECK(s.offset >= 0 && s.size >= 0 && s.offset + s.size <= numel, "adamw_step: segment [", s.offset, ", ",
             s.offset + s.size, ") is outside the parameter buffer of ", numel, " elements");
    R1_CHECK(s.size == 0 || s.offset >= covered_to, "adamw_step: segment starting at ", s.offset,
             " overlaps the previous one ending at ", covered_to);
    if (s.size > 0) covered_to = s.offset + s.size;
  }
}
}  // namespace

void adamw_step(Tensor& params, const Tensor& grads, Tensor& m, Tensor& v, const std::vector<ParamSegment>& segments,
                const AdamWParams& p, Tensor& weights) {
  check_same_dtype("adamw_step", params, grads);
  check_same_dtype("adamw_step", params, m);
  check_same_dtype("adamw_step", params, v);
  int64_t numel = params.numel();
  check_numel("adamw_step", grads, numel, "grads");
  check_numel("adamw_step", m, numel, "m");
  check_numel("adamw_step", v, numel, "v");
  R1_CHECK(p.step >= 1, "adamw_step: step count must be >= 1, got ", p.step);
  check_segments(segments, numel);
  double bias_correction1 = 1.0 - std::pow(p.beta1, double(p.step));
  double bias_correction2 = 1.0 - std::pow(p.beta2, double(p.step));
  double step_size = p.lr / bias_correction1;
  double bias_correction2_sqrt = std::sqrt(bias_correction2);
  dispatch_float(params, "adamw_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T *pp = params.data<T>(), *pm = m.data<T>(), *pv = v.data<T>();
    const T* pg = grads.data<T>();
    T b1 = T(p.beta1), b2 = T(p.beta2), one_minus_b1 = T(1.0 - p.beta1), one_minus_b2 = T(1.0 - p.beta2);
    T eps = T(p.eps), neg_step = T(-step_size), bc2_sqrt = T(bias_correction2_sqrt);
    const bool scaled = p.grad_scale != 1.0;
    const T grad_scale = T(p.grad_scale);  // as ops::scale rounds the factor
    for (const ParamSegment& seg : segments) {
      T decay = T(seg.decay ? 1.0 - p.lr * p.weight_decay : 1.0);
      T *sp = pp + seg.offset, *sm = pm + seg.offset, *sv = pv + seg.offset;
      const T* sg = pg + seg.offset;
      parallel_for("adamw_step", seg.size, [=](int64_t i) {
        T g = scaled ? T(sg[i] * grad_scale) : sg[i];
        T mi = b1 * sm[i] + one_minus_b1 * g;
        T vi = b2 * sv[i] + one_minus_b2 * g * g;
        sm[i] = mi;
        sv[i] = vi;
        T denom = std::sqrt(vi) / bc2_sqrt + eps;
        sp[i] = sp[i] * decay + neg_step * mi / denom;
      });
    }
  });
  if (!weights.defined()) return;
  check_numel("adamw_step", weights, numel, "weights");
  for (const ParamSegment& seg : segments) {
    if (seg.size == 0) continue;
    Tensor w = weights.flat(seg.offset, {seg.size});
    convert(params.flat(seg.offset, {seg.size}), w);
  }
}

}  // namespace r1::ops::host
