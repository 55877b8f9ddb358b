// CUDA kernels for generation with KV caches: row scatter into a cache (or any row-indexed buffer),
// row gather, and attention of new rows against each row's cached prefix (GQA caches, or MLA's
// latent cache read as both key and value). Index tensors may live on the host (checked there, then
// uploaded) or on the device (checked in the kernel, which stops the program on a bad index).
// attention_cached: one block per (row, query head); the row's scaled scores are kept in shared
// memory (so a cache holds at most ~55k positions per slot), then softmax and the value sum run in f32
// with a fixed order: deterministic.
#include <cstdio>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr int kCachedThreads = 128;

__device__ __forceinline__ void require_row(int32_t r, int64_t limit, int64_t i, const char* op) {
  if (r < 0 || r >= limit) {
    printf("%s: row index %d at %lld is outside [0, %lld)\n", op, r, (long long)i, (long long)limit);
    __trap();
  }
}

template <class S, class D>
__global__ void scatter_rows_kernel(const S* src, const int32_t* rows, D* dst, int64_t n, int64_t width,
                                    int64_t dst_rows, int64_t dst_cols, int64_t dst_col) {
  const int64_t total = n * width;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / width, j = i % width;
    const int32_t r = rows[row];
    require_row(r, dst_rows, row, "scatter_rows");
    dst[int64_t(r) * dst_cols + dst_col + j] = from_f32<D>(to_f32(src[i]));
  }
}

template <class S, class D>
__global__ void gather_rows_kernel(const S* src, const int32_t* rows, D* dst, int64_t n, int64_t width,
                                   int64_t src_rows) {
  const int64_t total = n * width;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / width, j = i % width;
    const int32_t r = rows[row];
    require_row(r, src_rows, row, "gather_rows");
    dst[i] = from_f32<D>(to_f32(src[int64_t(r) * width + j]));
  }
}

struct CachedArgs {
  const void* q;        // [N, Hq, Dk]
  const void* k_cache;  // [slots, capacity, Hkv, Dk]
  const void* v_cache;  // [slots, capacity, Hkv, Dv], or the key cache itself (first v_dim columns)
  void* out;            // [N, Hq, Dv]
  const int32_t* row_slot;
  const int32_t* row_pos;
  int64_t slots, capacity, kv_heads, q_heads, group, key_dim, value_dim, value_stride;
  float scale;
};

template <class T>
__global__ void attention_cached_kernel(CachedArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ float scratch[32];
  float* q_row = reinterpret_cast<float*>(smem);  // [Dk]
  float* score = q_row + a.key_dim;               // [capacity]: scaled scores, then exp(score - max)
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  const int64_t row = blockIdx.x / a.q_heads, head = blockIdx.x % a.q_heads, kv_head = head / a.group;
  const int32_t slot = a.row_slot[row], pos = a.row_pos[row];
  if (slot < 0 || slot >= a.slots || pos < 0 || pos >= a.capacity) {
    if (threadIdx.x == 0)
      printf("attention_cached: row %lld reads slot %d position %d outside the cache [%lld, %lld]\n", (long long)row,
             slot, pos, (long long)a.slots, (long long)a.capacity);
    __trap();
  }
  const int64_t len = int64_t(pos) + 1;
  const T* q = static_cast<const T*>(a.q) + (row * a.q_heads + head) * a.key_dim;
  for (int64_t c = threadIdx.x; c < a.key_dim; c += blockDim.x) q_row[c] = to_f32(q[c]);
  __syncthreads();
  const T* k = static_cast<const T*>(a.k_cache);
  for (int64_t j = warp; j < len; j += warps) {
    const T* k_row = k + ((int64_t(slot) * a.capacity + j) * a.kv_heads + kv_head) * a.key_dim;
    float s = 0.0f;
    for (int64_t c = lane; c < a.key_dim; c += 32) s += q_row[c] * to_f32(k_row[c]);
    s = warp_sum(s);
    if (lane == 0) score[j] = s * a.scale;
  }
  __syncthreads();
  float mx = -INFINITY;
  for (int64_t j = threadIdx.x; j < len; j += blockDim.x) mx = fmaxf(mx, score[j]);
  mx = block_max(mx, scratch);
  float total = 0.0f;
  for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
    const float p = expf(score[j] - mx);
    score[j] = p;
    total += p;
  }
  total = block_sum(total, scratch);  // synchronises: every p is visible below
  const float inv = 1.0f / total;
  const T* v = static_cast<const T*>(a.v_cache);
  T* out = static_cast<T*>(a.out) + (row * a.q_heads + head) * a.value_dim;
  for (int64_t c = threadIdx.x; c < a.value_dim; c += blockDim.x) {
    float acc = 0.0f;
    for (int64_t j = 0; j < len; ++j)
      acc += score[j] * to_f32(v[((int64_t(slot) * a.capacity + j) * a.kv_heads + kv_head) * a.value_stride + c]);
    out[c] = from_f32<T>(acc * inv);
  }
}

// Host index values are checked against the limit before the upload.
void check_host_rows(const char* op, const Tensor& rows, int64_t limit, const char* what) {
  if (!rows.is_host()) return;
  const int32_t* r = rows.data<int32_t>();
  for (int64_t i = 0; i < rows.numel(); ++i)
    R1_CHECK(r[i] >= 0 && r[i] < limit, op, ": ", what, " ", r[i], " at ", i, " is outside [0, ", limit, ")");
}

}  // namespace

void scatter_rows(const Tensor& src, const Tensor& rows, Tensor& dst, int64_t dst_col) {
  const char* op = "scatter_rows";
  check_device_tensor(op, src, "src");
  check_device_tensor(op, dst, "dst");
  const int64_t n = src.rows(), width = src.cols(), dst_rows = dst.rows(), dst_cols = dst.cols();
  R1_CHECK(rows.defined() && rows.numel() == n, op, ": rows ", rows.describe(), " should have ", n, " elements");
  R1_CHECK(dst_col >= 0 && dst_col + width <= dst_cols, op, ": columns [", dst_col, ", ", dst_col + width, ") outside ",
           dst.describe());
  if (n == 0 || width == 0) return;
  check_host_rows(op, rows, dst_rows, "row");
  DeviceBuffer holder;
  const int32_t* pr = device_indices(rows, op, "rows", holder);
  dispatch_float(src, op, "src", [&](auto ts) {
    dispatch_float(dst, op, "dst", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      scatter_rows_kernel<<<grid_blocks(n * width), kThreads, 0, stream()>>>(
          static_cast<const S*>(src.raw()), pr, static_cast<D*>(dst.raw()), n, width, dst_rows, dst_cols, dst_col);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void gather_rows(const Tensor& src, const Tensor& rows, Tensor& dst) {
  const char* op = "gather_rows";
  check_device_tensor(op, src, "src");
  check_device_tensor(op, dst, "dst");
  const int64_t n = dst.rows(), width = dst.cols(), src_rows = src.rows();
  R1_CHECK(src.cols() == width, op, ": ", src.describe(), " and ", dst.describe(), " differ in width");
  R1_CHECK(rows.defined() && rows.numel() == n, op, ": rows ", rows.describe(), " should have ", n, " elements");
  if (n == 0 || width == 0) return;
  check_host_rows(op, rows, src_rows, "row");
  DeviceBuffer holder;
  const int32_t* pr = device_indices(rows, op, "rows", holder);
  dispatch_float(src, op, "src", [&](auto ts) {
    dispatch_float(dst, op, "dst", [&](auto td) {
      using S = typename decltype(ts)::type;
      using D = typename decltype(td)::type;
      gather_rows_kernel<<<grid_blocks(n * width), kThreads, 0, stream()>>>(
          static_cast<const S*>(src.raw()), pr, static_cast<D*>(dst.raw()), n, width, src_rows);
      CUDA_CHECK_LAUNCH();
    });
  });
}

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
  check_host_rows(op, row_slot, slots, "slot");
  check_host_rows(op, row_pos, capacity, "position");
  const size_t smem = size_t(dk + capacity) * sizeof(float);
  R1_CHECK(smem + 1024 <= size_t(max_shared_memory_per_block()), op, ": a cache of ", capacity,
           " positions needs more shared memory than the device allows");
  R1_CHECK(n * hq < (int64_t(1) << 31), op, ": too many (row, head) pairs");
  DeviceBuffer slot_holder, pos_holder;
  CachedArgs a{};
  a.q = q.raw();
  a.k_cache = k_cache.raw();
  a.v_cache = shared_values ? k_cache.raw() : v_cache.raw();
  a.out = out.raw();
  a.row_slot = device_indices(row_slot, op, "row_slot", slot_holder);
  a.row_pos = device_indices(row_pos, op, "row_pos", pos_holder);
  a.slots = slots;
  a.capacity = capacity;
  a.kv_heads = hkv;
  a.q_heads = hq;
  a.group = hq / hkv;
  a.key_dim = dk;
  a.value_dim = v_dim;
  a.value_stride = shared_values ? dk : v_dim;
  a.scale = float(scale);
  dispatch_float(q, op, "q", [&](auto tag) {
    using T = typename decltype(tag)::type;
    CUDA_CHECK(cudaFuncSetAttribute(attention_cached_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
    attention_cached_kernel<T><<<unsigned(n * hq), kCachedThreads, smem, stream()>>>(a);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace r1::ops::cuda
