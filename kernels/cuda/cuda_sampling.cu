// CUDA token sampling with the host version's semantics: temperature 0 is greedy (first maximum);
// otherwise the tokens are ordered by descending logit, ties to the lower id (a radix sort of 64-bit
// keys: order-preserving logit bits and id, packed with the row index into one device-wide sort when
// they fit, else a segmented sort per row; either way the order is exactly the host's),
// the first top_k are kept, probabilities exp(logit/T - max) in double, the nucleus is the shortest
// prefix whose cumulative probability reaches top_p of the kept mass, and the token is the first
// whose cumulative probability exceeds uniform * nucleus mass. Cumulative sums are block scans with
// a fixed order, so the draw is deterministic. logits f32 [R, V]; tokens i32 on host or device.
#include <cub/cub.cuh>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kSampleThreads = 512;

// Ascending unsigned order equals ascending float order; -0 is folded onto +0 (the host treats them
// as equal, so their ids decide).
__device__ __forceinline__ uint32_t orderable_bits(float x) {
  if (x == 0.0f) x = 0.0f;
  const uint32_t u = __float_as_uint(x);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// keys[r, v] = (orderable(logit) << 32) | (0xffffffff - v): descending keys = descending logits, then
// ascending ids.
__global__ void sort_keys_kernel(const float* logits, int64_t total, int64_t vocab, uint64_t* keys) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const uint32_t id = uint32_t(i % vocab);
    keys[i] = (uint64_t(orderable_bits(logits[i])) << 32) | uint64_t(0xffffffffu - id);
  }
}

__device__ __forceinline__ int32_t key_id(uint64_t key) { return int32_t(0xffffffffu - uint32_t(key & 0xffffffffu)); }

// First maximum of each row (one block per row).
__global__ void greedy_kernel(const float* logits, int64_t vocab, int32_t* tokens) {
  __shared__ float best_v[kSampleThreads];
  __shared__ int64_t best_i[kSampleThreads];
  const float* row = logits + int64_t(blockIdx.x) * vocab;
  float bv = -INFINITY;
  int64_t bi = LLONG_MAX;
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x)
    if (row[v] > bv || (row[v] == bv && v < bi)) {
      bv = row[v];
      bi = v;
    }
  best_v[threadIdx.x] = bv;
  best_i[threadIdx.x] = bi;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      const float ov = best_v[threadIdx.x + stride];
      const int64_t oi = best_i[threadIdx.x + stride];
      if (ov > best_v[threadIdx.x] || (ov == best_v[threadIdx.x] && oi < best_i[threadIdx.x])) {
        best_v[threadIdx.x] = ov;
        best_i[threadIdx.x] = oi;
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) tokens[blockIdx.x] = int32_t(best_i[0] == LLONG_MAX ? 0 : best_i[0]);
}

enum class Find { nothing, reaches, exceeds };  // cum >= threshold / threshold < cum

struct SampleRow {
  const float* logits;  // this row
  const uint64_t* keys;  // this row, sorted descending
  double temperature, max_scaled;
  __device__ double prob(int64_t i) const {
    return exp(double(logits[key_id(keys[i])]) / temperature - max_scaled);
  }
};

struct ScanResult {
  int64_t index;      // first index satisfying the condition, or -1
  double cum_at;      // cumulative probability at that index
  double total;       // sum over [0, limit) (when nothing was found)
};

// Block scan of probabilities over [0, limit) in chunks, stopping at the first index whose
// inclusive cumulative sum satisfies the condition.
__device__ ScanResult scan_find(const SampleRow& row, int64_t limit, Find find, double threshold) {
  using Scan = cub::BlockScan<double, kSampleThreads>;
  __shared__ typename Scan::TempStorage storage;
  __shared__ unsigned long long found;
  __shared__ double found_cum;
  __syncthreads();  // a previous call's readers of `found` are done
  if (threadIdx.x == 0) found = ULLONG_MAX;
  double carry = 0;
  for (int64_t c0 = 0; c0 < limit; c0 += blockDim.x) {
    const int64_t i = c0 + threadIdx.x;
    const double p = i < limit ? row.prob(i) : 0.0;
    double inclusive = 0, aggregate = 0;
    __syncthreads();  // storage and `found` are free for this chunk
    Scan(storage).InclusiveSum(p, inclusive, aggregate);
    const double cum = carry + inclusive;
    const bool hit = i < limit && ((find == Find::reaches && cum >= threshold) || (find == Find::exceeds && threshold < cum));
    if (hit) atomicMin(&found, (unsigned long long)i);
    __syncthreads();
    const unsigned long long first = found;
    if (first != ULLONG_MAX) {
      if (int64_t(first) == i) found_cum = cum;
      __syncthreads();
      const double cum_at = found_cum;
      __syncthreads();  // every thread has read found_cum
      return ScanResult{int64_t(first), cum_at, 0.0};
    }
    carry += aggregate;
  }
  return ScanResult{-1, 0.0, carry};
}

__global__ void sample_kernel(const float* logits, const uint64_t* sorted_keys, int64_t vocab, int64_t keep,
                              double temperature, double top_p, const double* uniforms, int32_t* tokens) {
  const int64_t r = blockIdx.x;
  SampleRow row;
  row.logits = logits + r * vocab;
  row.keys = sorted_keys + r * vocab;
  row.temperature = temperature;
  row.max_scaled = double(row.logits[key_id(row.keys[0])]) / temperature;
  const double total = scan_find(row, keep, Find::nothing, 0.0).total;
  int64_t nucleus = keep;
  double kept = total;
  if (top_p < 1) {
    const ScanResult n = scan_find(row, keep, Find::reaches, top_p * total);
    if (n.index >= 0) {
      nucleus = n.index + 1;
      kept = n.cum_at;
    }
  }
  const ScanResult pick = scan_find(row, nucleus, Find::exceeds, uniforms[r] * kept);
  const int64_t chosen = pick.index >= 0 ? pick.index : nucleus - 1;
  if (threadIdx.x == 0) tokens[r] = key_id(row.keys[chosen]);
}

int bits_for(int64_t n) {  // bits to hold 0 .. n-1
  int b = 0;
  while ((int64_t(1) << b) < n) ++b;
  return b;
}

// Packed keys for one device-wide sort: key = row << (32 + id_bits) | ~orderable(logit) << id_bits | id,
// so ascending keys are rows in order, each by descending logit then ascending id.
__global__ void packed_keys_kernel(const float* logits, int64_t total, int64_t vocab, int id_bits, uint64_t* keys) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const uint64_t row = uint64_t(i / vocab), id = uint64_t(i % vocab);
    keys[i] = (row << (32 + id_bits)) | (uint64_t(~orderable_bits(logits[i])) << id_bits) | id;
  }
}

// Sorted packed keys back into the per-row form sample_kernel reads (orderable(logit) << 32 | ~id),
// in place.
__global__ void unpack_keys_kernel(const uint64_t* packed, int64_t total, int id_bits, uint64_t* keys) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const uint64_t k = packed[i];
    const uint32_t id = uint32_t(k & ((uint64_t(1) << id_bits) - 1));
    const uint32_t bits = ~uint32_t(k >> id_bits);
    keys[i] = (uint64_t(bits) << 32) | uint64_t(0xffffffffu - id);
  }
}

// sorted[r, :] = the keys of row r (sort_keys_kernel's form) in descending order. When row, logit and
// id bits fit one 64-bit key, a single device-wide radix sort over all rows (every SM works, even for
// one row); otherwise a segmented sort (one block per row).
void sort_rows_descending(const float* logits, int64_t rows, int64_t vocab, uint64_t* sorted) {
  const int64_t total = rows * vocab;
  const int id_bits = bits_for(vocab), row_bits = bits_for(rows);
  DeviceBuffer keys(size_t(total) * sizeof(uint64_t));
  size_t temp_bytes = 0;
  if (row_bits + 32 + id_bits <= 64) {
    const int end_bit = row_bits + 32 + id_bits;
    packed_keys_kernel<<<grid_blocks(total), kThreads, 0, stream()>>>(logits, total, vocab, id_bits, keys.as<uint64_t>());
    CUDA_CHECK_LAUNCH();
    CUDA_CHECK(cub::DeviceRadixSort::SortKeys(nullptr, temp_bytes, keys.as<uint64_t>(), sorted, total, 0, end_bit,
                                              stream()));
    DeviceBuffer temp(temp_bytes);
    CUDA_CHECK(cub::DeviceRadixSort::SortKeys(temp.as<void>(), temp_bytes, keys.as<uint64_t>(), sorted, total, 0,
                                              end_bit, stream()));
    unpack_keys_kernel<<<grid_blocks(total), kThreads, 0, stream()>>>(sorted, total, id_bits, sorted);
    CUDA_CHECK_LAUNCH();
    return;
  }
  sort_keys_kernel<<<grid_blocks(total), kThreads, 0, stream()>>>(logits, total, vocab, keys.as<uint64_t>());
  CUDA_CHECK_LAUNCH();
  std::vector<int> offsets(static_cast<size_t>(rows + 1));
  for (int64_t r = 0; r <= rows; ++r) offsets[size_t(r)] = int(r * vocab);
  DeviceBuffer d_offsets = upload(offsets);
  const int* begin = d_offsets.as<int>();
  CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeysDescending(nullptr, temp_bytes, keys.as<uint64_t>(), sorted,
                                                               int(total), int(rows), begin, begin + 1, 0, 64, stream()));
  DeviceBuffer temp(temp_bytes);
  CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeysDescending(temp.as<void>(), temp_bytes, keys.as<uint64_t>(), sorted,
                                                               int(total), int(rows), begin, begin + 1, 0, 64, stream()));
}

}  // namespace

void sample_tokens(const Tensor& logits, const SamplingParams& p, const std::vector<double>& uniforms, Tensor& tokens) {
  const char* op = "sample_tokens";
  const float* pl = device_ptr<float>(logits, op, "logits");
  const int64_t rows = logits.rows(), vocab = logits.cols();
  R1_CHECK(int64_t(uniforms.size()) == rows, op, ": ", uniforms.size(), " uniforms for ", rows, " rows");
  R1_CHECK(tokens.defined() && tokens.dtype() == DType::i32 && tokens.numel() == rows, op, ": tokens ",
           tokens.describe(), " should be i32 with ", rows, " elements");
  R1_CHECK(p.temperature >= 0 && p.top_p > 0 && p.top_p <= 1 && p.top_k >= 0, op, ": bad parameters (temperature ",
           p.temperature, ", top_p ", p.top_p, ", top_k ", p.top_k, ")");
  if (rows == 0) return;
  R1_CHECK(vocab >= 1 && vocab < (int64_t(1) << 31) && rows * vocab < (int64_t(1) << 31), op, ": logits ",
           logits.describe(), " exceed the 32-bit sizes of the sort");
  checked_int(rows, op, "rows");
  DeviceBuffer out_buffer;
  int32_t* out = nullptr;
  if (tokens.device() == Device::cuda) {
    out = static_cast<int32_t*>(tokens.raw());
  } else {
    out_buffer = DeviceBuffer(size_t(rows) * sizeof(int32_t));
    out = out_buffer.as<int32_t>();
  }
  if (p.temperature == 0) {
    greedy_kernel<<<unsigned(rows), kSampleThreads, 0, stream()>>>(pl, vocab, out);
    CUDA_CHECK_LAUNCH();
  } else {
    const int64_t total = rows * vocab;
    DeviceBuffer sorted(size_t(total) * sizeof(uint64_t));
    sort_rows_descending(pl, rows, vocab, sorted.as<uint64_t>());
    DeviceBuffer d_uniforms = upload(uniforms);
    const int64_t keep = p.top_k > 0 ? std::min<int64_t>(p.top_k, vocab) : vocab;
    sample_kernel<<<unsigned(rows), kSampleThreads, 0, stream()>>>(pl, sorted.as<uint64_t>(), vocab, keep,
                                                                    p.temperature, p.top_p, d_uniforms.as<double>(), out);
    CUDA_CHECK_LAUNCH();
  }
  if (tokens.device() != Device::cuda) download_bytes(tokens.raw(), out, size_t(rows) * sizeof(int32_t));
}

}  // namespace r1::ops::cuda
