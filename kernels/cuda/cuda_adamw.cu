// CUDA AdamW step over the flat f32 parameter buffer, in PyTorch's order (decoupled weight decay):
// p *= 1 - lr*wd (decay segments only); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps), with g the gradient times grad_scale (the
// clipping coefficient, rounded to f32 as ops::scale rounds) and, when asked, the compute copy
// (bf16) of each updated value written in the same pass (as ops::convert writes it): one read of
// the gradients and one write of the weights instead of three extra passes. One launch covers every
// segment: the segment table (offsets, sizes' prefix sums, decay flags) is uploaded; each thread
// takes four consecutive work items and finds their segment by binary search once. Elements
// outside all segments are untouched.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

struct AdamWConstants {
  float b1, b2, one_minus_b1, one_minus_b2, eps, neg_step, bc2_sqrt, decay_factor, grad_scale;
  bool scaled;
};

constexpr int kItemsPerThread = 4;

struct AdamWItem {
  float p, g, m, v;
};

__device__ __forceinline__ AdamWItem adamw_update(AdamWItem x, float decay_factor, const AdamWConstants& c) {
  const float g = c.scaled ? x.g * c.grad_scale : x.g;
  x.m = c.b1 * x.m + c.one_minus_b1 * g;
  x.v = c.b2 * x.v + c.one_minus_b2 * g * g;
  const float denom = sqrtf(x.v) / c.bc2_sqrt + c.eps;
  x.p = x.p * decay_factor + c.neg_step * x.m / denom;
  return x;
}

template <class W>
__device__ __forceinline__ void store4(W* dst, const float (&x)[4]) {
  if constexpr (std::is_same_v<W, float>) {
    *reinterpret_cast<float4*>(dst) = make_float4(x[0], x[1], x[2], x[3]);
  } else if constexpr (std::is_same_v<W, bf16_t>) {
    const __nv_bfloat162 lo = __floats2bfloat162_rn(x[0], x[1]), hi = __floats2bfloat162_rn(x[2], x[3]);
    uint2 raw;
    raw.x = *reinterpret_cast<const unsigned*>(&lo);
    raw.y = *reinterpret_cast<const unsigned*>(&hi);
    *reinterpret_cast<uint2*>(dst) = raw;
  } else {
    for (int k = 0; k < 4; ++k) dst[k] = convert_value<W>(x[k]);
  }
}

// Segment s covers work items [prefix[s], prefix[s+1]) and buffer elements offset[s] + (i - prefix[s]).
// Four items in one segment starting at a 16-byte-aligned element move as float4s.
template <class W>
__global__ void adamw_kernel(float* params, const float* grads, float* m, float* v, W* weights, const int64_t* offset,
                             const int64_t* prefix, const unsigned char* decay, int segments, int64_t total,
                             AdamWConstants c) {
  const int64_t groups = (total + kItemsPerThread - 1) / kItemsPerThread;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < groups; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t first = t * kItemsPerThread;
    int lo = 0, hi = segments - 1;  // last segment with prefix[s] <= first
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (prefix[mid] <= first) lo = mid;
      else hi = mid - 1;
    }
    const int64_t e0 = offset[lo] + (first - prefix[lo]);
    const bool whole = first + kItemsPerThread <= total && (lo + 1 >= segments || prefix[lo + 1] >= first + kItemsPerThread);
    if (whole && e0 % 4 == 0) {
      const float4 p4 = *reinterpret_cast<const float4*>(params + e0), g4 = *reinterpret_cast<const float4*>(grads + e0);
      const float4 m4 = *reinterpret_cast<const float4*>(m + e0), v4 = *reinterpret_cast<const float4*>(v + e0);
      const float decay_factor = decay[lo] ? c.decay_factor : 1.0f;
      const AdamWItem a = adamw_update({p4.x, g4.x, m4.x, v4.x}, decay_factor, c);
      const AdamWItem b = adamw_update({p4.y, g4.y, m4.y, v4.y}, decay_factor, c);
      const AdamWItem d = adamw_update({p4.z, g4.z, m4.z, v4.z}, decay_factor, c);
      const AdamWItem f = adamw_update({p4.w, g4.w, m4.w, v4.w}, decay_factor, c);
      *reinterpret_cast<float4*>(params + e0) = make_float4(a.p, b.p, d.p, f.p);
      *reinterpret_cast<float4*>(m + e0) = make_float4(a.m, b.m, d.m, f.m);
      *reinterpret_cast<float4*>(v + e0) = make_float4(a.v, b.v, d.v, f.v);
      if (weights) store4(weights + e0, {a.p, b.p, d.p, f.p});
      continue;
    }
    for (int64_t i = first; i < min(total, first + kItemsPerThread); ++i) {
      while (lo + 1 < segments && prefix[lo + 1] <= i) ++lo;  // the items may cross into the next segment
      const int64_t e = offset[lo] + (i - prefix[lo]);
      const AdamWItem x = adamw_update({params[e], grads[e], m[e], v[e]}, decay[lo] ? c.decay_factor : 1.0f, c);
      params[e] = x.p;
      m[e] = x.m;
      v[e] = x.v;
      if (weights) weights[e] = convert_value<W>(x.p);
    }
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
                const AdamWParams& p, Tensor& weights) {
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
  c.grad_scale = float(p.grad_scale);
  c.scaled = p.grad_scale != 1.0;
  DeviceBuffer d_offset = upload(offset), d_prefix = upload(prefix), d_decay = upload(decay);
  const int count = checked_int(int64_t(offset.size()), op, "segments");
  const unsigned blocks = grid_blocks((total + kItemsPerThread - 1) / kItemsPerThread);
  auto launch = [&](auto* w) {
    adamw_kernel<<<blocks, kThreads, 0, stream()>>>(pp, pg, pm, pv, w, d_offset.as<int64_t>(), d_prefix.as<int64_t>(),
                                                    d_decay.as<unsigned char>(), count, total, c);
    CUDA_CHECK_LAUNCH();
  };
  if (!weights.defined()) {
    launch(static_cast<float*>(nullptr));
    return;
  }
  check_device_numel(op, weights, numel, "weights");
  dispatch_float(weights, op, "weights", [&](auto tw) {
    using W = typename decltype(tw)::type;
    launch(static_cast<W*>(weights.raw()));
  });
}

}  // namespace r1::ops::cuda
