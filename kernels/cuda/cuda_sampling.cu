// CUDA token sampling with the host version's semantics (the fixed-point masses of
// sampling_mass.hpp, so host and device draw the same token): temperature 0 is greedy (first
// maximum); otherwise tokens are ordered by descending logit, ties to the lower id, the first top_k
// are kept, the nucleus is the shortest prefix whose mass reaches top_p of the kept mass, and the
// token is the first whose cumulative mass reaches uniform * nucleus mass. Without a top-k cut,
// cuda_sampling_nucleus.cu draws from a histogram and sorts only the tokens near the thresholds;
// with one, the order comes from one device-wide radix sort of 64-bit keys (row, order-preserving
// logit bits and id packed) and the cumulative masses from a two-level scan: chunk sums over many
// blocks, then one block per row (exact integers: deterministic). logits f32 [R, V]; uniforms f64
// [R] and tokens i32 [R] on the host or the device. Nothing waits for the device when both are on
// it (the op can be recorded in a CUDA graph).
#include <algorithm>
#include <climits>
#include <cstdint>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"
#include "kernels/cuda/cuda_sampling_keys.cuh"
#include "kernels/cuda/cuda_sampling_nucleus.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kSampleThreads = 512;

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

__device__ __forceinline__ double row_max_scaled(const uint64_t* row_keys, int id_bits, double temperature) {
  return double(key_logit(row_keys[0], id_bits)) / temperature;
}

// chunk_sums[r, c] = total mass of sorted positions [c * kChunk, (c + 1) * kChunk) of row r below
// `keep` (exact integer sums). Grid (chunks, rows).
constexpr int kPerThread = 8, kChunk = kChunkThreads * kPerThread;

__global__ void chunk_sums_kernel(const uint64_t* sorted_keys, int64_t vocab, int id_bits, int64_t keep,
                                  double temperature, uint64_t* chunk_sums) {
  using Reduce = cub::BlockReduce<uint64_t, kChunkThreads>;
  __shared__ typename Reduce::TempStorage storage;
  const int64_t r = blockIdx.y, chunks = gridDim.x;
  const uint64_t* keys = sorted_keys + r * vocab;
  const double max_scaled = row_max_scaled(keys, id_bits, temperature);
  const int64_t first = int64_t(blockIdx.x) * kChunk + int64_t(threadIdx.x) * kPerThread;
  uint64_t s = 0;
  for (int j = 0; j < kPerThread; ++j)
    if (first + j < keep) s += key_mass(keys[first + j], id_bits, temperature, max_scaled);
  s = Reduce(storage).Sum(s);
  if (threadIdx.x == 0) chunk_sums[r * chunks + blockIdx.x] = s;
}

// The first sorted position below `limit` whose cumulative mass reaches `target`: the chunk (a scan
// of the chunk sums), then the position inside it. Exact integers: the two levels agree.
__device__ Found find_position(const uint64_t* keys, int id_bits, const uint64_t* sums, int64_t chunks, int64_t limit,
                               double temperature, double max_scaled, uint64_t target) {
  const Found c = block_find(chunks, 0, target, [&](int64_t i) { return sums[i]; });
  if (c.index < 0) return c;
  const int64_t begin = c.index * kChunk, end = min(limit, begin + kChunk);
  const Found p = block_find(end - begin, c.cum - sums[c.index], target, [&](int64_t i) {
    return key_mass(keys[begin + i], id_bits, temperature, max_scaled);
  });
  return p.index >= 0 ? Found{begin + p.index, p.cum} : Found{end - 1, c.cum};
}

// One block per row: the kept mass, the nucleus (the shortest prefix reaching top_p of it) and the
// drawn token (sampling_mass.hpp).
__global__ void sample_kernel(const uint64_t* sorted_keys, int id_bits, const uint64_t* chunk_sums, int64_t chunks,
                              int64_t vocab, int64_t keep, double temperature, double top_p, const double* uniforms,
                              int32_t* tokens) {
  const int64_t r = blockIdx.x;
  const uint64_t* keys = sorted_keys + r * vocab;
  const uint64_t* sums = chunk_sums + r * chunks;
  const double max_scaled = row_max_scaled(keys, id_bits, temperature);
  const uint64_t total = block_find(chunks, 0, ~uint64_t(0), [&](int64_t i) { return sums[i]; }).cum;
  int64_t nucleus = keep;
  uint64_t kept = total;
  if (top_p < 1) {
    const Found n =
        find_position(keys, id_bits, sums, chunks, keep, temperature, max_scaled, nucleus_target(total, top_p));
    if (n.index >= 0) {
      nucleus = n.index + 1;
      kept = n.cum;
    }
  }
  const int64_t nucleus_chunks = (nucleus + kChunk - 1) / kChunk;
  const Found pick = find_position(keys, id_bits, sums, nucleus_chunks, nucleus, temperature, max_scaled,
                                   pick_target(kept, uniforms[r]));
  if (threadIdx.x == 0) tokens[r] = key_id(keys[pick.index >= 0 ? pick.index : nucleus - 1], id_bits);
}

// Packed keys for one device-wide sort: key = row << (32 + id_bits) | ~orderable(logit) << id_bits | id,
// so ascending keys are rows in order, each by descending logit then ascending id.
__global__ void packed_keys_kernel(const float* logits, int64_t total, int64_t vocab, int id_bits, uint64_t* keys) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const uint64_t row = uint64_t(i / vocab), id = uint64_t(i % vocab);
    keys[i] = (row << (32 + id_bits)) | (uint64_t(~orderable_bits(logits[i])) << id_bits) | id;
  }
}

// sorted[r, :] = row r's tokens by descending logit, ties by ascending id, as keys
// row << (32 + id_bits) | ~orderable(logit) << id_bits | id (readers mask the row bits off): one
// device-wide radix sort over all rows, so every SM works even for one row. The caller's limit of
// rows * vocab < 2^31 keeps row and id bits within 32. Returns id_bits.
int sort_rows_descending(const float* logits, int64_t rows, int64_t vocab, uint64_t* sorted) {
  const int64_t total = rows * vocab;
  const int id_bits = bits_for(vocab), row_bits = bits_for(rows);
  R1_CHECK(row_bits + id_bits <= 32, "sample_tokens: ", rows, " rows of ", vocab, " logits do not fit one 64-bit sort key");
  DeviceBuffer keys(size_t(total) * sizeof(uint64_t));
  const int end_bit = row_bits + 32 + id_bits;
  packed_keys_kernel<<<grid_blocks(total), kThreads, 0, stream()>>>(logits, total, vocab, id_bits, keys.as<uint64_t>());
  CUDA_CHECK_LAUNCH();
  // Only the row and logit bits are sorted on: the sort is stable and the keys start in (row, id)
  // order, so equal logits keep ascending ids (and the id bits ride along) with fewer passes.
  size_t temp_bytes = 0;
  CUDA_CHECK(cub::DeviceRadixSort::SortKeys(nullptr, temp_bytes, keys.as<uint64_t>(), sorted, total, id_bits, end_bit,
                                            stream()));
  DeviceBuffer temp(temp_bytes);
  CUDA_CHECK(cub::DeviceRadixSort::SortKeys(temp.as<void>(), temp_bytes, keys.as<uint64_t>(), sorted, total, id_bits,
                                            end_bit, stream()));
  return id_bits;
}

}  // namespace

void sample_tokens(const Tensor& logits, const SamplingParams& p, const Tensor& uniforms, Tensor& tokens) {
  const char* op = "sample_tokens";
  const float* pl = device_ptr<float>(logits, op, "logits");
  const int64_t rows = logits.rows(), vocab = logits.cols();
  R1_CHECK(uniforms.defined() && uniforms.dtype() == DType::f64 && uniforms.numel() == rows, op, ": uniforms ",
           uniforms.describe(), " should be f64 with ", rows, " elements");
  R1_CHECK(tokens.defined() && tokens.dtype() == DType::i32 && tokens.numel() == rows, op, ": tokens ",
           tokens.describe(), " should be i32 with ", rows, " elements");
  R1_CHECK(p.temperature >= 0 && p.top_p > 0 && p.top_p <= 1 && p.top_k >= 0, op, ": bad parameters (temperature ",
           p.temperature, ", top_p ", p.top_p, ", top_k ", p.top_k, ")");
  if (rows == 0) return;
  R1_CHECK(vocab >= 1 && vocab <= (int64_t(1) << 19) && rows * vocab < (int64_t(1) << 31) && rows < 65536, op,
           ": logits ", logits.describe(),
           " exceed the sampler's sizes (vocabulary up to 2^19, so 2^44-scaled masses sum in 64 bits)");
  checked_int(rows, op, "rows");
  DeviceBuffer out_buffer;
  int32_t* out = nullptr;
  if (tokens.device() == Device::cuda) {
    out = static_cast<int32_t*>(tokens.raw());
  } else {
    out_buffer = DeviceBuffer(size_t(rows) * sizeof(int32_t));
    out = out_buffer.as<int32_t>();
  }
  DeviceBuffer uniform_holder;
  const double* pu = nullptr;
  if (uniforms.device() == Device::cuda) {
    pu = static_cast<const double*>(uniforms.raw());
  } else {
    uniform_holder = DeviceBuffer(uniforms.nbytes());
    upload_bytes(uniform_holder.as<void>(), uniforms.raw(), uniforms.nbytes());
    pu = uniform_holder.as<double>();
  }
  if (p.temperature == 0) {
    greedy_kernel<<<unsigned(rows), kSampleThreads, 0, stream()>>>(pl, vocab, out);
    CUDA_CHECK_LAUNCH();
  } else if (p.top_k == 0 || p.top_k >= vocab) {
    sample_nucleus(pl, rows, vocab, p.temperature, p.top_p, pu, out);
  } else {
    const int64_t total = rows * vocab;
    DeviceBuffer sorted(size_t(total) * sizeof(uint64_t));
    int id_bits = 0;
    {
      OpProfileScope phase("sample_tokens.sort");
      id_bits = sort_rows_descending(pl, rows, vocab, sorted.as<uint64_t>());
    }
    OpProfileScope phase("sample_tokens.scan");
    const int64_t keep = p.top_k > 0 ? std::min<int64_t>(p.top_k, vocab) : vocab;
    const int64_t chunks = (keep + kChunk - 1) / kChunk;
    R1_CHECK(chunks < 65536, op, ": ", keep, " kept tokens are more than the chunk grid allows");
    DeviceBuffer sums(size_t(rows * chunks) * sizeof(uint64_t));
    chunk_sums_kernel<<<dim3(unsigned(chunks), unsigned(rows)), kChunkThreads, 0, stream()>>>(
        sorted.as<uint64_t>(), vocab, id_bits, keep, p.temperature, sums.as<uint64_t>());
    CUDA_CHECK_LAUNCH();
    sample_kernel<<<unsigned(rows), kChunkThreads, 0, stream()>>>(sorted.as<uint64_t>(), id_bits, sums.as<uint64_t>(),
                                                                   chunks, vocab, keep, p.temperature, p.top_p, pu, out);
    CUDA_CHECK_LAUNCH();
  }
  if (tokens.device() != Device::cuda) download_bytes(tokens.raw(), out, size_t(rows) * sizeof(int32_t));
}

}  // namespace r1::ops::cuda
