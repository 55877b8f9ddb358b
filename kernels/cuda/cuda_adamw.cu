// CUDA AdamW step over the flat f32 parameter buffer, in PyTorch's order (decoupled weight decay):
// p *= 1 - lr*wd (decay segments only); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). One launch covers every segment: the segment
// table (offsets, sizes' prefix sums, decay flags) is uploaded and each thread finds its segment by
// binary search. Elements outside all segments are untouched.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

struct AdamWConstants {
  float b1, b2, one_minus_b1, one_minus_b2, eps, neg_step, bc2_sqrt, decay_factor;
};

// Segment s covers work items [prefix[s], prefix[s+1]) and buffer elements offset[s] + (i - prefix[s]).
__global__ void adamw_kernel(float* params, const float* grads, float* m, float* v, const int64_t* offset,
                             const int64_t* prefix, const unsigned char* decay, int segments, int64_t total,
                             AdamWConstants c) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int lo = 0, hi = segments - 1;  // last segment with prefix[s] <= i
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (prefix[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    const int64_t e = offset[lo] + (i - prefix[lo]);
    const float g = grads[e];
    const float mi = c.b1 * m[e] + c.one_minus_b1 * g;
    const float vi = c.b2 * v[e] + c.one_minus_b2 * g * g;
    m[e] = mi;
    v[e] = vi;
    const float denom = sqrtf(vi) / c.bc2_sqrt + c.eps;
    const float decay_factor = decay[lo] ? c.decay_factor : 1.0f;
    params[e] = params[e] * decay_factor + c.neg_step * mi / denom;
  }
}

// Segments lie inside the buffer and do not overlap (an element is updated at most once).
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
                const AdamWParams& p) {
  const char* op = "adamw_step";
  const int64_t numel = params.numel();
  float* pp = device_ptr<float>(params, op, "params");
  const float* pg = device_ptr<float>(grads, op, "grads");
  float* pm = device_ptr<float>(m, op, "m");
  float* pv = device_ptr<float>(v, op, "v");
  check_device_numel(op, grads, numel, "grads");
  check_device_numel(op, m, numel, "m");
  check_device_numel(op, v, numel, "v");
  R1_CHECK(p.step >= 1, op, ": step count must be >= 1, got ", p.step);
  check_segments(segments, numel);
  std::vector<int64_t> offset, prefix;
  std::vector<unsigned char> decay;
  int64_t total = 0;
  for (const ParamSegment& s : segments) {
    if (s.size == 0) continue;
    offset.push_back(s.offset);
    prefix.push_back(total);
    decay.push_back(s.decay ? 1 : 0);
    total += s.size;
  }
  if (total == 0) return;
  const double bias_correction1 = 1.0 - std::pow(p.beta1, double(p.step));
  const double bias_correction2 = 1.0 - std::pow(p.beta2, double(p.step));
  AdamWConstants c;
  c.b1 = float(p.beta1);
  c.b2 = float(p.beta2);
  c.one_minus_b1 = float(1.0 - p.beta1);
  c.one_minus_b2 = float(1.0 - p.beta2);
  c.eps = float(p.eps);
  c.neg_step = float(-p.lr / bias_correction1);
  c.bc2_sqrt = float(std::sqrt(bias_correction2));
  c.decay_factor = float(1.0 - p.lr * p.weight_decay);
  DeviceBuffer d_offset = upload(offset), d_prefix = upload(prefix), d_decay = upload(decay);
  adamw_kernel<<<grid_blocks(total), kThreads, 0, stream()>>>(pp, pg, pm, pv, d_offset.as<int64_t>(),
                                                               d_prefix.as<int64_t>(), d_decay.as<unsigned char>(),
                                                               checked_int(int64_t(offset.size()), op, "segments"), total,
                                                               c);
  CUDA_CHECK_LAUNCH();
}

}  // namespace r1::ops::cuda
