// CUDA attention of new rows against each row's cached prefix (generation): GQA caches, or MLA's
// latent cache read as both key and value. Split over the keys (flash-decoding): a block takes one
// (row, KV head, head tile, key chunk) and computes, for up to 16 query heads of that KV head, the
// chunk's scores, its softmax numerators with their max and sum, and the unnormalised value sums, so
// every key and value row is read once per head tile rather than once per query head; a second
// kernel combines a row's chunks in chunk order. Everything is f32 with fixed orders: deterministic.
// The chunk length depends only on the cache capacity, so a row's result does not depend on the
// other rows. Rows run in passes that bound the partial-result workspace. Index tensors on the host
// are checked there; on the device the kernel checks them (and stops the program on a bad one).
// Nothing waits for the device when the indices are on it (the op can be recorded in a CUDA graph).
#include <algorithm>
#include <cstdio>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kCachedThreads = 128;
constexpr int kHeadTile = 16;            // query heads per block
constexpr int kHeadBatch = 8;            // heads accumulated in registers at once
constexpr int64_t kChunkStep = 64;       // chunk lengths are multiples of this
constexpr int64_t kMaxChunks = 32;       // chunks per row at most (when shared memory allows)
constexpr size_t kWorkspaceBytes = size_t(64) << 20;

struct CachedArgs {
  const void* q;        // [N, Hq, Dk]
  const void* k_cache;  // [slots, capacity, Hkv, Dk]
  const void* v_cache;  // rows of value_stride elements, Hkv per position (or the key cache itself)
  void* out;            // [N, Hq, Dv]
  float* part_out;      // [pass rows, Hq, chunks, Dv]: unnormalised value sums per chunk
  float* part_ml;       // [pass rows, Hq, chunks, 2]: max score and sum of exp(score - max) per chunk
  const int32_t* row_slot;
  const int32_t* row_pos;
  int64_t row0;  // first row of this pass
  int64_t slots, capacity, kv_heads, q_heads, group, head_tiles, key_dim, value_dim, value_stride, chunk, chunks;
  float scale;
};

__device__ __forceinline__ int64_t row_length(const CachedArgs& a, int64_t row, int32_t* slot_out) {
  const int32_t slot = a.row_slot[row], pos = a.row_pos[row];
  if (slot < 0 || slot >= a.slots || pos < 0 || pos >= a.capacity) {
    if (threadIdx.x == 0)
      printf("attention_cached: row %lld reads slot %d position %d outside the cache (%lld slots of %lld)\n",
             (long long)row, slot, pos, (long long)a.slots, (long long)a.capacity);
    __trap();
  }
  *slot_out = slot;
  return int64_t(pos) + 1;
}

// Grid (chunks, pass rows * Hkv * head tiles).
template <class T>
__global__ void cached_partial_kernel(CachedArgs a) {
  extern __shared__ __align__(16) float smem[];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  const int64_t tile = blockIdx.y % a.head_tiles, kvh = (blockIdx.y / a.head_tiles) % a.kv_heads;
  const int64_t local = blockIdx.y / (a.head_tiles * a.kv_heads), row = a.row0 + local, split = blockIdx.x;
  int32_t slot = 0;
  const int64_t len = row_length(a, row, &slot), j0 = split * a.chunk;
  if (j0 >= len) return;  // past this row's keys: the combine reads only the chunks below len
  const int64_t keys = min(a.chunk, len - j0);
  const int64_t h_first = kvh * a.group + tile * kHeadTile;
  const int heads = int(min(int64_t(kHeadTile), a.group - tile * kHeadTile));
  float* q_s = smem;                        // [heads, key_dim]
  float* p_s = q_s + heads * a.key_dim;     // [heads, chunk]: scores, then exp(score - max)
  const T* q = static_cast<const T*>(a.q) + (row * a.q_heads + h_first) * a.key_dim;
  for (int64_t i = threadIdx.x; i < heads * a.key_dim; i += blockDim.x) q_s[i] = to_f32(q[i]);
  __syncthreads();
  const int64_t k_row_stride = a.kv_heads * a.key_dim;
  const T* k_base = static_cast<const T*>(a.k_cache) + ((int64_t(slot) * a.capacity + j0) * a.kv_heads + kvh) * a.key_dim;
  for (int64_t j = warp; j < keys; j += warps) {
    const T* k_row = k_base + j * k_row_stride;
    for (int h0 = 0; h0 < heads; h0 += kHeadBatch) {
      float acc[kHeadBatch];
#pragma unroll
      for (int h = 0; h < kHeadBatch; ++h) acc[h] = 0.0f;
      for (int64_t c = lane; c < a.key_dim; c += 32) {
        const float k = to_f32(k_row[c]);
#pragma unroll
        for (int h = 0; h < kHeadBatch; ++h)
          if (h0 + h < heads) acc[h] += q_s[(h0 + h) * a.key_dim + c] * k;
      }
#pragma unroll
      for (int h = 0; h < kHeadBatch; ++h)
        if (h0 + h < heads) {
          const float s = warp_sum(acc[h]);
          if (lane == 0) p_s[(h0 + h) * a.chunk + j] = s * a.scale;
        }
    }
  }
  __syncthreads();
  const int64_t part = (local * a.q_heads + h_first) * a.chunks + split;  // (local, h_first, split)
  for (int h = warp; h < heads; h += warps) {
    float* p = p_s + h * a.chunk;
    float m = -INFINITY;
    for (int64_t j = lane; j < keys; j += 32) m = fmaxf(m, p[j]);
    m = warp_max(m);
    float l = 0.0f;
    for (int64_t j = lane; j < keys; j += 32) {
      const float e = expf(p[j] - m);
      p[j] = e;
      l += e;
    }
    l = warp_sum(l);
    if (lane == 0) {
      a.part_ml[(part + h * a.chunks) * 2] = m;
      a.part_ml[(part + h * a.chunks) * 2 + 1] = l;
    }
  }
  __syncthreads();
  const int64_t v_row_stride = a.kv_heads * a.value_stride;
  const T* v_base =
      static_cast<const T*>(a.v_cache) + ((int64_t(slot) * a.capacity + j0) * a.kv_heads + kvh) * a.value_stride;
  for (int64_t c = threadIdx.x; c < a.value_dim; c += blockDim.x)
    for (int h0 = 0; h0 < heads; h0 += kHeadBatch) {
      float acc[kHeadBatch];
#pragma unroll
      for (int h = 0; h < kHeadBatch; ++h) acc[h] = 0.0f;
      for (int64_t j = 0; j < keys; ++j) {
        const float v = to_f32(v_base[j * v_row_stride + c]);
#pragma unroll
        for (int h = 0; h < kHeadBatch; ++h)
          if (h0 + h < heads) acc[h] += p_s[(h0 + h) * a.chunk + j] * v;
      }
#pragma unroll
      for (int h = 0; h < kHeadBatch; ++h)
        if (h0 + h < heads) a.part_out[(part + (h0 + h) * a.chunks) * a.value_dim + c] = acc[h];
    }
}

// One block per (pass row, query head): out = sum_c exp(m_c - M) o_c / sum_c exp(m_c - M) l_c over the
// row's chunks in order.
template <class T>
__global__ void cached_combine_kernel(CachedArgs a) {
  const int64_t local = blockIdx.x / a.q_heads, head = blockIdx.x % a.q_heads, row = a.row0 + local;
  int32_t slot = 0;
  const int64_t used = (row_length(a, row, &slot) + a.chunk - 1) / a.chunk;
  const int64_t part = (local * a.q_heads + head) * a.chunks;
  const float* ml = a.part_ml + part * 2;
  float m = -INFINITY;
  for (int64_t c = 0; c < used; ++c) m = fmaxf(m, ml[2 * c]);
  float l = 0.0f;
  for (int64_t c = 0; c < used; ++c) l += expf(ml[2 * c] - m) * ml[2 * c + 1];
  const float inv = 1.0f / l;
  T* out = static_cast<T*>(a.out) + (row * a.q_heads + head) * a.value_dim;
  for (int64_t d = threadIdx.x; d < a.value_dim; d += blockDim.x) {
    float acc = 0.0f;
    for (int64_t c = 0; c < used; ++c) acc += expf(ml[2 * c] - m) * a.part_out[(part + c) * a.value_dim + d];
    out[d] = from_f32<T>(acc * inv);
  }
}

size_t partial_smem_bytes(int64_t key_dim, int64_t chunk) { return size_t(kHeadTile * (key_dim + chunk)) * sizeof(float); }

}  // namespace

void attention_cached(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, int64_t v_dim,
                      const Tensor& row_slot, const Tensor& row_pos, double scale, Tensor& out) {
  const char* op = "attention_cached";
  check_device_tensor(op, q, "q");
  check_device_tensor(op, k_cache, "k_cache");
  check_device_tensor(op, out, "out");
  R1_CHECK(k_cache.ndim() == 4, op, ": k_cache must be [slots, capacity, Hkv, Dk], got ", k_cache.describe());
  check_dtype(op, k_cache, q.dtype(), "k_cache");
  check_dtype(op, out, q.dtype(), "out");
  const int64_t slots = k_cache.size(0), capacity = k_cache.size(1), hkv = k_cache.size(2), dk = k_cache.size(3);
  const bool shared_values = !v_cache.defined();
  if (shared_values) {
    R1_CHECK(v_dim >= 1 && v_dim <= dk, op, ": v_dim ", v_dim, " outside [1, cached key width ", dk, "]");
  } else {
    check_device_tensor(op, v_cache, "v_cache");
    check_dtype(op, v_cache, q.dtype(), "v_cache");
    R1_CHECK(v_cache.ndim() == 4 && v_cache.size(0) == slots && v_cache.size(1) == capacity && v_cache.size(2) == hkv &&
                 v_cache.size(3) == v_dim,
             op, ": v_cache ", v_cache.describe(), " does not match k_cache ", k_cache.describe());
  }
  R1_CHECK(row_slot.defined() && row_pos.defined() && row_pos.numel() == row_slot.numel(), op, ": row_slot ",
           row_slot.describe(), " and row_pos ", row_pos.describe(), " must have one entry per row");
  const int64_t n = row_slot.numel();
  if (n == 0) return;
  R1_CHECK(dk > 0 && q.numel() % (n * dk) == 0, op, ": q ", q.describe(), " for ", n, " rows of width ", dk);
  const int64_t hq = q.numel() / (n * dk);
  R1_CHECK(hq > 0 && hkv > 0 && hq % hkv == 0, op, ": ", hq, " query heads for ", hkv, " kv heads");
  check_device_numel(op, out, n * hq * v_dim, "out");
  check_host_indices(row_slot, slots, op, "slot");
  check_host_indices(row_pos, capacity, op, "position");
  // Chunks: multiples of kChunkStep, at most kMaxChunks per row unless shared memory caps the length.
  const size_t smem_limit = size_t(max_shared_memory_per_block()) - 1024;
  R1_CHECK(partial_smem_bytes(dk, kChunkStep) <= smem_limit, op, ": keys of width ", dk,
           " need more shared memory than the device allows");
  int64_t chunk = kChunkStep * ((capacity + kChunkStep * kMaxChunks - 1) / (kChunkStep * kMaxChunks));
  while (chunk > kChunkStep && partial_smem_bytes(dk, chunk) > smem_limit) chunk -= kChunkStep;
  const int64_t chunks = (capacity + chunk - 1) / chunk;
  const int64_t per_row = hq * chunks * (v_dim + 2) * int64_t(sizeof(float));
  const int64_t pass_rows = std::max<int64_t>(1, std::min<int64_t>(n, int64_t(kWorkspaceBytes) / per_row));
  DeviceBuffer slot_holder, pos_holder, workspace(size_t(pass_rows * per_row));
  CachedArgs a{};
  a.q = q.raw();
  a.k_cache = k_cache.raw();
  a.v_cache = shared_values ? k_cache.raw() : v_cache.raw();
  a.out = out.raw();
  a.part_out = workspace.as<float>();
  a.part_ml = a.part_out + pass_rows * hq * chunks * v_dim;
  a.row_slot = device_indices(row_slot, op, "row_slot", slot_holder);
  a.row_pos = device_indices(row_pos, op, "row_pos", pos_holder);
  a.slots = slots;
  a.capacity = capacity;
  a.kv_heads = hkv;
  a.q_heads = hq;
  a.group = hq / hkv;
  a.head_tiles = (a.group + kHeadTile - 1) / kHeadTile;
  a.key_dim = dk;
  a.value_dim = v_dim;
  a.value_stride = shared_values ? dk : v_dim;
  a.chunk = chunk;
  a.chunks = chunks;
  a.scale = float(scale);
  const size_t smem = partial_smem_bytes(dk, chunk);
  R1_CHECK(pass_rows * hkv * a.head_tiles < 65536 && chunks < 65536 && pass_rows * hq < (int64_t(1) << 31), op,
           ": too many rows or heads for one launch");
  dispatch_float(q, op, "q", [&](auto tag) {
    using T = typename decltype(tag)::type;
    static bool smem_set = false;  // per element type: the attribute only grows to the device limit
    if (!smem_set) {
      CUDA_CHECK(cudaFuncSetAttribute(cached_partial_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      int(smem_limit)));
      smem_set = true;
    }
    for (int64_t row0 = 0; row0 < n; row0 += pass_rows) {
      a.row0 = row0;
      const int64_t rows = std::min(pass_rows, n - row0);
      cached_partial_kernel<T><<<dim3(unsigned(chunks), unsigned(rows * hkv * a.head_tiles)), kCachedThreads, smem,
                                 stream()>>>(a);
      CUDA_CHECK_LAUNCH();
      cached_combine_kernel<T><<<unsigned(rows * hq), kCachedThreads, 0, stream()>>>(a);
      CUDA_CHECK_LAUNCH();
    }
  });
}

}  // namespace r1::ops::cuda
