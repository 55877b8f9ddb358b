// CUDA attention of new rows against each row's cached prefix (generation): GQA caches, or MLA's
// latent cache read as both key and value. Split over the keys (flash-decoding): a block takes one
// (row, KV head, head tile, key chunk) and writes, for up to 16 query heads of that KV head, the
// chunk's max score, sum of softmax numerators and unnormalised value sums, so every key and value
// row is read once per head tile rather than once per query head; a second kernel combines a row's
// chunks in chunk order. bf16 GQA caches of head width 64 or 128 use the tensor-core kernel of
// cuda_attention_cached_mma.cu; every other shape and type the scalar kernel here, which stages the
// chunk's key and value rows in shared memory (in the cache's element type) with coalesced 16-byte
// loads. Everything is f32 with fixed orders: deterministic. The chunk length depends only on the
// cache capacity, so a row's result does not depend on the other rows. Rows run in passes that
// bound the partial-result workspace. Index tensors on the host are checked there; on the device
// the kernel checks them (and stops the program on a bad one). Nothing waits for the device when
// the indices are on it (the op can be recorded in a CUDA graph).
#include <algorithm>
#include <cstdio>
#include <type_traits>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"
#include "kernels/cuda/cuda_attention_cached.cuh"

namespace r1::ops::cuda {

namespace {

constexpr int kCachedThreads = 256;
constexpr int kHeadTile = 16;            // query heads per block at most
constexpr int64_t kChunkStep = 64;       // chunk lengths are multiples of this
constexpr int64_t kMaxChunks = 32;       // chunks per row at most (when shared memory allows)
constexpr size_t kWorkspaceBytes = size_t(64) << 20;

__host__ __device__ __forceinline__ int64_t round4(int64_t x) { return (x + 3) / 4 * 4; }

// Shared-memory layout of one block, in bytes: query rows [tile heads, Dk4] and scores [tile heads,
// chunk] as floats; key rows [chunk, Dk4 + 4] and value rows [chunk, Dv4] in the cache's element
// type (values only when they are not the keys' first columns, as in MLA). Dk4/Dv4: widths rounded
// up to 4, the padding zero, so rows are read four elements at a time; the 4 extra key elements put
// the rows read by neighbouring threads (one key each) on different banks.
struct SmemLayout {
  int64_t q, p, k, v, total;
  __host__ __device__ SmemLayout(int64_t tile_heads, int64_t key_dim, int64_t value_dim, int64_t chunk,
                                 bool shared_values, int64_t elem) {
    q = 0;
    p = q + tile_heads * round4(key_dim) * 4;
    k = p + tile_heads * chunk * 4;
    v = k + chunk * (round4(key_dim) + 4) * elem;
    total = v + (shared_values ? 0 : chunk * round4(value_dim) * elem);
  }
};

// Four consecutive elements of shared memory as floats (8- or 16-byte aligned).
__device__ __forceinline__ float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ float4 load4(const bf16_t* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 lo = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
  const float2 hi = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
  return make_float4(lo.x, lo.y, hi.x, hi.y);
}

// rows x width elements (row r at src + r * src_stride) into shared memory (row stride dst_stride),
// zero-filled up to round4(width); 16-byte loads when `vec` (width and row starts multiples of 16
// bytes), stored as 8-byte pieces (the shared rows are 8-byte aligned).
template <class S, class T>
__device__ __forceinline__ void stage_rows(const T* src, int64_t src_stride, int rows, int width, S* dst,
                                           int dst_stride, bool vec) {
  constexpr int kPer = 16 / sizeof(T);
  const int padded = int(round4(width));
  if constexpr (std::is_same_v<S, T>) {
    if (vec) {
      const int per_row = width / kPer;
#pragma unroll 4
      for (int i = threadIdx.x; i < rows * per_row; i += blockDim.x) {
        const int r = i / per_row, c = (i - r * per_row) * kPer;
        const uint4 raw = *reinterpret_cast<const uint4*>(src + r * src_stride + c);
        uint2* out = reinterpret_cast<uint2*>(dst + r * dst_stride + c);
        out[0] = make_uint2(raw.x, raw.y);
        out[1] = make_uint2(raw.z, raw.w);
      }
      return;  // width is a multiple of kPer >= 4: no padding
    }
  }
#pragma unroll 4
  for (int i = threadIdx.x; i < rows * padded; i += blockDim.x) {
    const int r = i / padded, c = i - r * padded;
    dst[r * dst_stride + c] = from_f32<S>(c < width ? to_f32(src[r * src_stride + c]) : 0.0f);
  }
}

// Grid (chunks, pass rows * Hkv * head tiles). The chunk's key (and value) rows are staged in shared
// memory with coalesced loads; scores: one thread per (head, key), a dot product of float4s;
// softmax numerators: one warp per head; value sums: one thread per (head, 4 channels).
template <class T>
__global__ void cached_partial_kernel(CachedArgs a, bool vec) {
  extern __shared__ __align__(16) unsigned char smem[];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  const int64_t tile = blockIdx.y % a.head_tiles, kvh = (blockIdx.y / a.head_tiles) % a.kv_heads;
  const int64_t local = blockIdx.y / (a.head_tiles * a.kv_heads), row = a.row0 + local, split = blockIdx.x;
  int32_t slot = 0;
  const int64_t len = row_length(a, row, &slot), j0 = split * a.chunk;
  if (j0 >= len) return;  // past this row's keys: the combine reads only the chunks below len
  const int keys = int(min(a.chunk, len - j0)), chunk = int(a.chunk);
  const int64_t h_first = kvh * a.group + tile * kHeadTile;
  const int heads = int(min(int64_t(kHeadTile), a.group - tile * kHeadTile));
  const bool shared_values = a.v_cache == a.k_cache;
  const SmemLayout layout(min(int64_t(kHeadTile), a.group), a.key_dim, a.value_dim, a.chunk, shared_values, sizeof(T));
  const int dk4 = int(round4(a.key_dim)), dv4 = int(round4(a.value_dim)), k_stride = dk4 + 4;
  float* q_s = reinterpret_cast<float*>(smem + layout.q);
  float* p_s = reinterpret_cast<float*>(smem + layout.p);
  T* k_s = reinterpret_cast<T*>(smem + layout.k);
  const T* q = static_cast<const T*>(a.q) + (row * a.q_heads + h_first) * a.key_dim;
  stage_rows(q, a.key_dim, heads, int(a.key_dim), q_s, dk4, false);
  const int64_t cache_row0 = (int64_t(slot) * a.capacity + j0) * a.kv_heads + kvh;
  stage_rows(static_cast<const T*>(a.k_cache) + cache_row0 * a.key_dim, a.kv_heads * a.key_dim, keys, int(a.key_dim),
             k_s, k_stride, vec);
  const T* v_s = k_s;
  int v_stride = k_stride;
  if (!shared_values) {
    T* staged = reinterpret_cast<T*>(smem + layout.v);
    stage_rows(static_cast<const T*>(a.v_cache) + cache_row0 * a.value_stride, a.kv_heads * a.value_stride, keys,
               int(a.value_dim), staged, dv4, vec);
    v_s = staged;
    v_stride = dv4;
  }
  __syncthreads();
  for (int pair = threadIdx.x; pair < heads * keys; pair += blockDim.x) {
    const int h = pair / keys, j = pair - h * keys;
    const T* k_row = k_s + j * k_stride;
    const float4* q_row = reinterpret_cast<const float4*>(q_s + h * dk4);
    float acc0 = 0.0f, acc1 = 0.0f;
#pragma unroll 4
    for (int c = 0; c < dk4 / 4; ++c) {
      const float4 k = load4(k_row + 4 * c), qh = q_row[c];
      acc0 += qh.x * k.x + qh.y * k.y;
      acc1 += qh.z * k.z + qh.w * k.w;
    }
    p_s[h * chunk + j] = (acc0 + acc1) * a.scale;
  }
  __syncthreads();
  const int64_t part = (local * a.q_heads + h_first) * a.chunks + split;  // (local, h_first, split)
  for (int h = warp; h < heads; h += warps) {
    float* p = p_s + h * chunk;
    float m = -INFINITY;
    for (int j = lane; j < keys; j += 32) m = fmaxf(m, p[j]);
    m = warp_max(m);
    float l = 0.0f;
    for (int j = lane; j < keys; j += 32) {
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
  const int groups = dv4 / 4;
  for (int g = threadIdx.x; g < heads * groups; g += blockDim.x) {
    const int h = g / groups, c = (g - h * groups) * 4;
    const float* p = p_s + h * chunk;
    float4 acc = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 4
    for (int j = 0; j < keys; ++j) {
      const float w = p[j];
      const float4 v = load4(v_s + j * v_stride + c);
      acc.x += w * v.x;
      acc.y += w * v.y;
      acc.z += w * v.z;
      acc.w += w * v.w;
    }
    float* out = a.part_out + (part + int64_t(h) * a.chunks) * a.value_dim + c;
    const float vals[4] = {acc.x, acc.y, acc.z, acc.w};
#pragma unroll
    for (int i = 0; i < 4; ++i)
      if (c + i < a.value_dim) out[i] = vals[i];
  }
}

// One block per (pass row, query head).
template <class T>
__global__ void cached_combine_kernel(CachedArgs a) {
  const int64_t local = blockIdx.x / a.q_heads, head = blockIdx.x % a.q_heads;
  int32_t slot = 0;
  const int64_t len = row_length(a, a.row0 + local, &slot);
  combine_chunks<T>(a, local, head, len);
}

size_t partial_smem_bytes(int64_t tile_heads, int64_t key_dim, int64_t value_dim, int64_t chunk, bool shared_values,
                          DType dtype) {
  return size_t(SmemLayout(tile_heads, key_dim, value_dim, chunk, shared_values, int64_t(dtype_size(dtype))).total);
}

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
  const int64_t tile_heads = std::min<int64_t>(kHeadTile, hq / hkv);
  // Chunks: multiples of kChunkStep, at most kMaxChunks per row unless shared memory caps the length.
  const size_t smem_limit = size_t(max_shared_memory_per_block()) - 1024;
  R1_CHECK(partial_smem_bytes(tile_heads, dk, v_dim, kChunkStep, shared_values, q.dtype()) <= smem_limit, op, ": keys of width ", dk,
           " need more shared memory than the device allows");
  int64_t chunk = kChunkStep * ((capacity + kChunkStep * kMaxChunks - 1) / (kChunkStep * kMaxChunks));
  while (chunk > kChunkStep && partial_smem_bytes(tile_heads, dk, v_dim, chunk, shared_values, q.dtype()) > smem_limit) chunk -= kChunkStep;
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
  const size_t smem = partial_smem_bytes(tile_heads, dk, v_dim, chunk, shared_values, q.dtype());
  // 16-byte loads need the widths and row strides to be multiples of 16 bytes.
  const int64_t per16 = 16 / int64_t(dtype_size(q.dtype()));
  const bool vec = dk % per16 == 0 && v_dim % per16 == 0 && a.value_stride % per16 == 0 &&
                   reinterpret_cast<uintptr_t>(a.k_cache) % 16 == 0 && reinterpret_cast<uintptr_t>(a.v_cache) % 16 == 0;
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
      {
        OpProfileScope phase("attention_cached.chunks");
        const CachedMma mma = cached_partial_mma(a, rows, a.head_tiles, q.dtype(), shared_values, vec);
        if (mma == CachedMma::complete) continue;  // the rows' outputs are written
        if (mma == CachedMma::none) {
          cached_partial_kernel<T><<<dim3(unsigned(chunks), unsigned(rows * hkv * a.head_tiles)), kCachedThreads, smem,
                                     stream()>>>(a, vec);
          CUDA_CHECK_LAUNCH();
        }
      }
      OpProfileScope phase("attention_cached.combine");
      cached_combine_kernel<T><<<unsigned(rows * hq), kCachedThreads, 0, stream()>>>(a);
      CUDA_CHECK_LAUNCH();
    }
  });
}

}  // namespace r1::ops::cuda
