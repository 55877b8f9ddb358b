// CUDA top-p sampling without sorting whole rows (temperature > 0, no top-k): the same draw as the
// host sampler (sampling_mass.hpp's fixed-point masses) from a histogram and two small sorts. A
// token's bin is floor(-128 x) for x = (logit - max) / T (4096 bins; bins grow as logits fall, so
// every bin is a contiguous stretch of the row's sorted order, and tokens past the last bin weigh
// nothing). Per row:
//   1. the largest logit;
//   2. every bin's exact integer mass;
//   3. from the bins' running sums: the bin where the nucleus ends (its mass reaches top_p of the
//      total), and the bins where the drawn token can lie whatever the nucleus' exact end inside that
//      bin (the draw's target lies between pick_target(mass before the bin + 1) and
//      pick_target(mass through the bin));
//   4. the tokens of those bins, as sort keys (descending logit, ties by ascending id), in two
//      segments: the nucleus bin, and the draw bins before it;
//   5. one segmented radix sort of those few keys;
//   6. the exact nucleus end inside its bin, the exact draw target, and the token, by running sums
//      over the sorted segments from the mass of the bins before them.
// All sums are exact integers, so the result is the host's token whatever order atomics add in.
// Nothing waits for the device (the op can be recorded in a CUDA graph).
#include <cub/cub.cuh>

#include <algorithm>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"
#include "kernels/cuda/cuda_sampling_keys.cuh"
#include "kernels/cuda/cuda_sampling_nucleus.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kBins = 4096;
constexpr double kBinsPerUnit = 128.0;  // bin width 1/128 of x = (logit - max) / T
constexpr int kScanThreads = 256;
constexpr int kHistogramThreads = 512;
constexpr int64_t kTokensPerBlock = 16384;  // of a row, in the max, histogram and gather kernels

static_assert(kScanThreads == kChunkThreads, "block_find runs with the scan kernels' block size");

// Bin of a logit: floor(128 (max - logit) / T) in f32 (the same arithmetic in every kernel, and
// non-decreasing as the logit falls), capped at the last bin (NaN too).
__device__ __forceinline__ int mass_bin(float logit, float max_logit, float inv_temperature) {
  const float d = __fmul_rn(__fmul_rn(__fsub_rn(max_logit, logit), inv_temperature), float(kBinsPerUnit));
  return d < float(kBins - 1) ? int(d) : kBins - 1;
}

struct RowState {
  uint32_t max_bits;        // orderable bits of the row's largest logit
  int nucleus_bin;          // the bin where the nucleus ends
  int pick_first, pick_last;  // draw bins before the nucleus bin (first > last: none)
  uint64_t nucleus_carry;   // mass of the bins before nucleus_bin
  uint64_t nucleus_target;  // nucleus_target(total, top_p)
  uint64_t pick_carry;      // mass of the bins before pick_first
};

struct NucleusArgs {
  const float* logits;  // [rows, vocab]
  int64_t rows, vocab;
  int id_bits;
  double temperature, top_p;
  const double* uniforms;
  RowState* state;       // [rows]
  uint64_t* histogram;   // [rows, kBins]
  uint64_t* keys;        // [rows, vocab]: gathered keys, row r's in [r vocab, (r + 1) vocab)
  uint64_t* sorted;      // [rows, vocab]
  int* begins;           // [2 rows]: segment 2r = row r's nucleus bin (from the row's start),
  int* ends;             //           segment 2r + 1 = its draw bins (down from the row's end)
  int32_t* tokens;
};

__device__ __forceinline__ float max_logit(const NucleusArgs& a, int64_t r) {
  return from_orderable_bits(a.state[r].max_bits);
}

// Calls f(v, logit) for the tokens [first, last) of a row, this thread's share, four at a time
// (16-byte loads) when the row allows.
template <class F>
__device__ __forceinline__ void for_tokens(const float* row, int64_t first, int64_t last, F&& f) {
  if ((reinterpret_cast<uintptr_t>(row + first) & 15) == 0 && (last - first) % 4 == 0) {
    for (int64_t v = first + 4 * threadIdx.x; v < last; v += 4 * blockDim.x) {
      const float4 x = *reinterpret_cast<const float4*>(row + v);
      f(v, x.x);
      f(v + 1, x.y);
      f(v + 2, x.z);
      f(v + 3, x.w);
    }
  } else {
    for (int64_t v = first + threadIdx.x; v < last; v += blockDim.x) f(v, row[v]);
  }
}

// Grid (blocks per row, rows).
__global__ void row_max_kernel(NucleusArgs a) {
  using Reduce = cub::BlockReduce<uint32_t, kScanThreads>;
  __shared__ typename Reduce::TempStorage storage;
  const int64_t r = blockIdx.y, first = int64_t(blockIdx.x) * kTokensPerBlock;
  const int64_t last = min(a.vocab, first + kTokensPerBlock);
  const float* row = a.logits + r * a.vocab;
  uint32_t m = 0;
  for_tokens(row, first, last, [&](int64_t, float logit) { m = max(m, orderable_bits(logit)); });
  m = Reduce(storage).Reduce(m, [](uint32_t x, uint32_t y) { return x > y ? x : y; });
  if (threadIdx.x == 0) atomicMax(&a.state[r].max_bits, m);
}

// Grid (blocks per row, rows): bin masses of a block's tokens in shared memory, then added to the row's.
__global__ void histogram_kernel(NucleusArgs a) {
  __shared__ unsigned long long bins[kBins];
  for (int b = threadIdx.x; b < kBins; b += blockDim.x) bins[b] = 0;
  __syncthreads();
  const int64_t r = blockIdx.y, first = int64_t(blockIdx.x) * kTokensPerBlock;
  const int64_t last = min(a.vocab, first + kTokensPerBlock);
  const float* row = a.logits + r * a.vocab;
  const float top = max_logit(a, r), inv_t = float(1.0 / a.temperature);
  const double top_scaled = double(top) / a.temperature;
  for_tokens(row, first, last, [&](int64_t, float logit) {
    const uint64_t mass = sample_mass(double(logit) / a.temperature - top_scaled);
    if (mass != 0) atomicAdd(&bins[mass_bin(logit, top, inv_t)], (unsigned long long)mass);
  });
  __syncthreads();
  unsigned long long* out = reinterpret_cast<unsigned long long*>(a.histogram) + r * kBins;
  for (int b = threadIdx.x; b < kBins; b += blockDim.x)
    if (bins[b] != 0) atomicAdd(&out[b], bins[b]);
}

// The first index whose running sum reaches `target` in a block's shared array of running sums.
__device__ int first_reaching(const uint64_t* running, int n, uint64_t target) {
  __shared__ int found;
  __syncthreads();
  if (threadIdx.x == 0) found = -1;
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    if (running[i] >= target && (i == 0 || running[i - 1] < target)) found = i;  // exactly one i
  __syncthreads();
  return found;
}

// One block per row: the nucleus bin and the draw bins (step 3); resets the row's two segments.
__global__ void locate_kernel(NucleusArgs a) {
  using Scan = cub::BlockScan<uint64_t, kScanThreads>;
  __shared__ typename Scan::TempStorage storage;
  __shared__ uint64_t running[kBins];
  const int64_t r = blockIdx.x;
  const uint64_t* hist = a.histogram + r * kBins;
  uint64_t carry = 0;
  for (int b0 = 0; b0 < kBins; b0 += kScanThreads) {
    uint64_t inclusive = 0, aggregate = 0;
    Scan(storage).InclusiveSum(hist[b0 + threadIdx.x], inclusive, aggregate);
    running[b0 + threadIdx.x] = carry + inclusive;
    carry += aggregate;
    __syncthreads();  // storage is reused
  }
  const uint64_t total = carry;
  const uint64_t target = nucleus_target(total, a.top_p);
  int nucleus_bin = first_reaching(running, kBins, target);
  if (nucleus_bin < 0) nucleus_bin = kBins - 1;  // only for NaN logits (sums always reach the target)
  const uint64_t nucleus_carry = running[nucleus_bin] - hist[nucleus_bin];
  const double u = a.uniforms[r];
  const uint64_t lowest = pick_target(nucleus_carry + 1, u);
  int pick_first = 0, pick_last = -1;
  uint64_t pick_carry = 0;
  if (lowest <= nucleus_carry) {  // the draw may land before the nucleus bin
    const uint64_t highest = min(pick_target(running[nucleus_bin], u), nucleus_carry);
    pick_first = first_reaching(running, nucleus_bin, lowest);
    pick_last = first_reaching(running, nucleus_bin, highest);
    pick_carry = running[pick_first] - hist[pick_first];
  }
  if (threadIdx.x == 0) {
    RowState& s = a.state[r];
    s.nucleus_bin = nucleus_bin;
    s.pick_first = pick_first;
    s.pick_last = pick_last;
    s.nucleus_carry = nucleus_carry;
    s.nucleus_target = target;
    s.pick_carry = pick_carry;
    a.begins[2 * r] = a.ends[2 * r] = int(r * a.vocab);
    a.begins[2 * r + 1] = a.ends[2 * r + 1] = int((r + 1) * a.vocab);
  }
}

// Grid (blocks per row, rows): the keys of the nucleus bin's tokens (segment 2r, growing up) and of
// the draw bins' (segment 2r + 1, growing down).
__global__ void gather_kernel(NucleusArgs a) {
  const int64_t r = blockIdx.y, first = int64_t(blockIdx.x) * kTokensPerBlock;
  const int64_t last = min(a.vocab, first + kTokensPerBlock);
  const float* row = a.logits + r * a.vocab;
  const float top = max_logit(a, r), inv_t = float(1.0 / a.temperature);
  const RowState& s = a.state[r];
  const int nucleus_bin = s.nucleus_bin, pick_first = s.pick_first, pick_last = s.pick_last;
  for_tokens(row, first, last, [&](int64_t v, float logit) {
    const int bin = mass_bin(logit, top, inv_t);
    if (bin == nucleus_bin)
      a.keys[atomicAdd(&a.ends[2 * r], 1)] = token_key(logit, uint64_t(v), a.id_bits);
    else if (bin >= pick_first && bin <= pick_last)
      a.keys[atomicSub(&a.begins[2 * r + 1], 1) - 1] = token_key(logit, uint64_t(v), a.id_bits);
  });
}

// One block per row (step 6).
__global__ void resolve_kernel(NucleusArgs a) {
  const int64_t r = blockIdx.x;
  const RowState& s = a.state[r];
  const double top = double(max_logit(a, r)) / a.temperature;
  // Segment 2r (the nucleus bin) and 2r + 1 (the draw bins before it), sorted, and their masses.
  const uint64_t* bin_keys = a.sorted + a.begins[2 * r];
  const uint64_t* pick_keys = a.sorted + a.begins[2 * r + 1];
  const int64_t bin_count = a.ends[2 * r] - a.begins[2 * r], pick_count = a.ends[2 * r + 1] - a.begins[2 * r + 1];
  const auto bin_mass = [&](int64_t i) { return key_mass(bin_keys[i], a.id_bits, a.temperature, top); };
  const auto pick_mass = [&](int64_t i) { return key_mass(pick_keys[i], a.id_bits, a.temperature, top); };
  const Found end = block_find(bin_count, s.nucleus_carry, s.nucleus_target, bin_mass);
  const int64_t nucleus_last = end.index >= 0 ? end.index : bin_count - 1;  // found by construction
  const uint64_t target = pick_target(end.cum, a.uniforms[r]);
  int32_t token = 0;
  if (target > s.nucleus_carry) {  // in the nucleus bin
    const Found pick = block_find(nucleus_last + 1, s.nucleus_carry, target, bin_mass);
    token = key_id(bin_keys[pick.index >= 0 ? pick.index : nucleus_last], a.id_bits);
  } else {
    const Found pick = block_find(pick_count, s.pick_carry, target, pick_mass);
    token = key_id(pick_keys[pick.index >= 0 ? pick.index : pick_count - 1], a.id_bits);
  }
  if (threadIdx.x == 0) a.tokens[r] = token;
}

}  // namespace

void sample_nucleus(const float* logits, int64_t rows, int64_t vocab, double temperature, double top_p,
                    const double* uniforms, int32_t* tokens) {
  NucleusArgs a{.logits = logits, .rows = rows, .vocab = vocab, .id_bits = bits_for(vocab), .temperature = temperature,
                .top_p = top_p, .uniforms = uniforms, .tokens = tokens};  // the buffers below
  const int64_t total = rows * vocab;
  DeviceBuffer state(size_t(rows) * sizeof(RowState)), histogram(size_t(rows) * kBins * sizeof(uint64_t));
  DeviceBuffer keys(size_t(total) * sizeof(uint64_t)), sorted(size_t(total) * sizeof(uint64_t));
  DeviceBuffer offsets(size_t(4 * rows) * sizeof(int));
  a.state = state.as<RowState>();
  a.histogram = histogram.as<uint64_t>();
  a.keys = keys.as<uint64_t>();
  a.sorted = sorted.as<uint64_t>();
  a.begins = offsets.as<int>();
  a.ends = a.begins + 2 * rows;
  CUDA_CHECK(cudaMemsetAsync(a.state, 0, state.bytes(), stream()));
  CUDA_CHECK(cudaMemsetAsync(a.histogram, 0, histogram.bytes(), stream()));
  const dim3 row_grid(unsigned((vocab + kTokensPerBlock - 1) / kTokensPerBlock), unsigned(rows));
  {
    OpProfileScope phase("sample_tokens.histogram");
    row_max_kernel<<<row_grid, kScanThreads, 0, stream()>>>(a);
    CUDA_CHECK_LAUNCH();
    histogram_kernel<<<row_grid, kHistogramThreads, 0, stream()>>>(a);
    CUDA_CHECK_LAUNCH();
    locate_kernel<<<unsigned(rows), kScanThreads, 0, stream()>>>(a);
    CUDA_CHECK_LAUNCH();
    gather_kernel<<<row_grid, kScanThreads, 0, stream()>>>(a);
    CUDA_CHECK_LAUNCH();
  }
  {
    OpProfileScope phase("sample_tokens.sort");
    const int end_bit = 32 + a.id_bits;
    size_t temp_bytes = 0;
    CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeys(nullptr, temp_bytes, a.keys, a.sorted, int(total), int(2 * rows),
                                                       a.begins, a.ends, 0, end_bit, stream()));
    DeviceBuffer temp(temp_bytes);
    CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeys(temp.as<void>(), temp_bytes, a.keys, a.sorted, int(total),
                                                       int(2 * rows), a.begins, a.ends, 0, end_bit, stream()));
  }
  OpProfileScope phase("sample_tokens.scan");
  resolve_kernel<<<unsigned(rows), kScanThreads, 0, stream()>>>(a);
  CUDA_CHECK_LAUNCH();
}

}  // namespace r1::ops::cuda
