// Pieces shared by the CUDA flash attention kernels (forward, backward): the shape checks (as the host
// version makes them), the table of row tiles over packed variable-length sequences, the shared-memory
// layout helper, tile loads, and the two warp-level tile products every kernel is built from:
//   abt:    C[16, N]  = A[16, K] B[N, K]^T      (scores: Q K^T, dO V^T, K Q^T, V dO^T)
//   ab_acc: C[16, N] += A[16, K] B[K, N]        (P V, P^T dO, dS^T Q, dS K)
// with A, B in shared memory (row-major, element type E) and C in f32 shared memory. For E = bf16
// they run on tensor cores through WMMA (16x16x16 bf16 fragments, f32 accumulators); for E = f32
// they are plain FMA loops. Each warp owns 16 rows of its block's tile, so C rows are warp-private.
#pragma once
#include <mma.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"

namespace r1::ops::cuda {

constexpr int kMaxAttentionHeadDim = 256;

struct AttentionShape {
  int64_t tokens = 0, q_heads = 0, kv_heads = 0, key_dim = 0, value_dim = 0;
  int64_t group() const { return q_heads / kv_heads; }  // query heads per kv head
};

// A [tokens, heads, dim] tensor on the device (any shape of that numel whose last dimension is dim).
inline void check_heads_tensor(const char* op, const Tensor& t, const char* name, const AttentionShape& shape,
                               int64_t heads, int64_t dim) {
  check_device_tensor(op, t, name);
  R1_CHECK(t.numel() == shape.tokens * heads * dim && t.cols() == dim && (t.ndim() != 3 || t.size(0) == shape.tokens),
           op, ": ", name, " is ", t.describe(), ", expected [", shape.tokens, ", ", heads, ", ", dim, "]");
}

// N from the offsets, Dk from q, Dv from v, head counts from the element counts; q, k, v share a dtype.
inline AttentionShape attention_shape(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                                      const SeqOffsets& seqs) {
  R1_CHECK(!seqs.empty() && seqs.front() == 0, op, ": sequence offsets must start at 0");
  for (size_t s = 0; s + 1 < seqs.size(); ++s)
    R1_CHECK(seqs[s + 1] >= seqs[s], op, ": sequence offsets decrease at index ", s + 1, " (", seqs[s], " -> ",
             seqs[s + 1], ")");
  check_device_tensor(op, q, "q");
  check_device_tensor(op, k, "k");
  check_device_tensor(op, v, "v");
  check_dtype(op, k, q.dtype(), "k");
  check_dtype(op, v, q.dtype(), "v");
  AttentionShape shape;
  shape.tokens = seqs.back();
  shape.key_dim = q.cols();
  shape.value_dim = v.cols();
  R1_CHECK(shape.key_dim > 0 && shape.value_dim > 0, op, ": empty head dimension in q ", q.describe(), " or v ",
           v.describe());
  R1_CHECK(shape.key_dim <= kMaxAttentionHeadDim && shape.value_dim <= kMaxAttentionHeadDim, op, ": head dimensions ",
           shape.key_dim, " / ", shape.value_dim, " exceed the CUDA kernels' limit of ", kMaxAttentionHeadDim);
  R1_CHECK(k.cols() == shape.key_dim, op, ": k ", k.describe(), " and q ", q.describe(), " differ in head dimension");
  if (shape.tokens == 0) {
    R1_CHECK(q.numel() == 0 && k.numel() == 0 && v.numel() == 0, op, ": sequence offsets cover no rows but q is ",
             q.describe());
    return shape;
  }
  checked_int(shape.tokens, op, "tokens");
  const int64_t row = shape.tokens * shape.key_dim;
  R1_CHECK(q.numel() % row == 0 && k.numel() % row == 0, op, ": q ", q.describe(), " and k ", k.describe(),
           " are not [", shape.tokens, " rows (from the sequence offsets), heads, ", shape.key_dim, "]");
  shape.q_heads = q.numel() / row;
  shape.kv_heads = k.numel() / row;
  R1_CHECK(shape.kv_heads > 0 && shape.q_heads > 0 && shape.q_heads % shape.kv_heads == 0, op, ": ", shape.q_heads,
           " query heads are not a multiple of ", shape.kv_heads, " kv heads");
  R1_CHECK(shape.q_heads < 65536, op, ": ", shape.q_heads, " query heads exceed the grid's limit");
  check_heads_tensor(op, q, "q", shape, shape.q_heads, shape.key_dim);
  check_heads_tensor(op, k, "k", shape, shape.kv_heads, shape.key_dim);
  check_heads_tensor(op, v, "v", shape, shape.kv_heads, shape.value_dim);
  return shape;
}

// Row tiles of `tile` rows over every sequence: triples (sequence start row, sequence length, first
// row of the tile within the sequence), uploaded to the device. Causal work per tile grows with its
// row (a query tile reads every key before it) or shrinks with it (a key tile is read by every query
// after it); ordering the tiles heaviest first lets the short ones fill the last wave of blocks.
enum class TileOrder { as_built, late_rows_first, early_rows_first };
struct RowTiles {
  DeviceBuffer triples;  // int32 [count, 3]
  int64_t count = 0;
};
inline RowTiles build_row_tiles(const SeqOffsets& seqs, int tile, TileOrder order = TileOrder::as_built) {
  struct Tile {
    int32_t begin, length, t0;
  };
  std::vector<Tile> list;
  for (size_t s = 0; s + 1 < seqs.size(); ++s) {
    const int64_t begin = seqs[s], length = seqs[s + 1] - seqs[s];
    for (int64_t t0 = 0; t0 < length; t0 += tile) list.push_back({int32_t(begin), int32_t(length), int32_t(t0)});
  }
  auto work = [&](const Tile& x) { return order == TileOrder::late_rows_first ? x.t0 : x.length - x.t0; };
  if (order != TileOrder::as_built)
    std::stable_sort(list.begin(), list.end(), [&](const Tile& a, const Tile& b) { return work(a) > work(b); });
  std::vector<int32_t> triples;
  for (const Tile& x : list) {
    triples.push_back(x.begin);
    triples.push_back(x.length);
    triples.push_back(x.t0);
  }
  RowTiles tiles;
  tiles.count = int64_t(list.size());
  tiles.triples = upload(triples);
  return tiles;
}

inline int pad16(int64_t d) { return int((d + 15) / 16 * 16); }

// Shared-memory padding: rows of E tiles get +8 elements for bf16 (keeps WMMA's 16-byte ldm rule and
// 32-byte fragment alignment, spreads banks) and +1 for f32; f32 accumulator rows get +4 (WMMA's
// ldm rule for float) in the bf16 kernels and +1 in the f32 ones.
template <class E> struct AttentionPads;
template <> struct AttentionPads<bf16_t> {
  static constexpr int element = 8, accumulator = 4;
};
template <> struct AttentionPads<float> {
  static constexpr int element = 1, accumulator = 1;
};

// Carves a dynamic shared-memory block into 128-byte aligned regions, identically on host (to size
// the launch) and device (to find the regions).
struct SmemCarver {
  size_t used = 0;
  __host__ __device__ size_t take(size_t bytes) {
    const size_t at = used;
    used = (used + bytes + 127) / 128 * 128;
    return at;
  }
};

// Loads rows [row0, row0 + rows) (of `valid` present ones) of head `head` from a [tokens, heads, dim]
// tensor into a [rows, pad] tile with row stride ld, zero-filling missing rows and columns >= dim.
// When every row and the tile rows are 16-byte aligned, 16-byte vectors move in batches of four per
// thread (several loads in flight before the stores, which hides global-memory latency); otherwise
// element by element.
template <class E>
__device__ __forceinline__ void load_head_tile(E* tile, int ld, const E* src, int64_t row0, int rows, int valid,
                                               int64_t heads, int64_t head, int dim, int pad) {
  constexpr int kVector = 16 / int(sizeof(E));  // elements per 16-byte vector
  constexpr int kBatch = 4;                      // vectors in flight per thread
  const bool vectorised = dim % kVector == 0 && ld % kVector == 0 && pad % kVector == 0 &&
                          reinterpret_cast<uintptr_t>(src) % 16 == 0 && reinterpret_cast<uintptr_t>(tile) % 16 == 0;
  if (vectorised) {
    const int per_row = pad / kVector, total = rows * per_row;
    for (int base = threadIdx.x; base < total; base += blockDim.x * kBatch) {
      uint4 value[kBatch];
#pragma unroll
      for (int b = 0; b < kBatch; ++b) {
        const int idx = base + b * int(blockDim.x);
        const int r = idx / per_row, c = (idx % per_row) * kVector;
        value[b] = make_uint4(0u, 0u, 0u, 0u);
        if (idx < total && r < valid && c < dim)
          value[b] = *reinterpret_cast<const uint4*>(src + ((row0 + r) * heads + head) * dim + c);
      }
#pragma unroll
      for (int b = 0; b < kBatch; ++b) {
        const int idx = base + b * int(blockDim.x);
        if (idx < total) *reinterpret_cast<uint4*>(tile + (idx / per_row) * ld + (idx % per_row) * kVector) = value[b];
      }
    }
    return;
  }
  for (int idx = threadIdx.x; idx < rows * pad; idx += blockDim.x) {
    const int r = idx / pad, c = idx % pad;
    E value = E(0.0f);
    if (r < valid && c < dim) value = src[((row0 + r) * heads + head) * dim + c];
    tile[r * ld + c] = value;
  }
}

// C[16, n] = A[16, k] B[n, k]^T  (A row stride lda, B row stride ldb, C row stride ldc; n, k % 16 == 0).
template <class E>
__device__ __forceinline__ void warp_gemm_abt(const E* a, int lda, const E* b, int ldb, float* c, int ldc, int n,
                                              int k) {
  if constexpr (std::is_same_v<E, bf16_t>) {
    namespace wmma = nvcuda::wmma;
    for (int j = 0; j < n; j += 16) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.0f);
      for (int kk = 0; kk < k; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> fb;  // (kk, j) of B^T
        wmma::load_matrix_sync(fa, a + kk, unsigned(lda));
        wmma::load_matrix_sync(fb, b + j * ldb + kk, unsigned(ldb));
        wmma::mma_sync(acc, fa, fb, acc);
      }
      wmma::store_matrix_sync(c + j, acc, unsigned(ldc), wmma::mem_row_major);
    }
  } else {
    const int lane = threadIdx.x & 31;
    for (int idx = lane; idx < 16 * n; idx += 32) {
      const int r = idx / n, col = idx % n;
      float s = 0.0f;
      for (int kk = 0; kk < k; ++kk) s += a[r * lda + kk] * b[col * ldb + kk];
      c[r * ldc + col] = s;
    }
  }
}

// C[16, n] += A[16, k] B[k, n]  (row-major; n, k % 16 == 0).
template <class E>
__device__ __forceinline__ void warp_gemm_ab_acc(const E* a, int lda, const E* b, int ldb, float* c, int ldc, int n,
                                                 int k) {
  if constexpr (std::is_same_v<E, bf16_t>) {
    namespace wmma = nvcuda::wmma;
    for (int j = 0; j < n; j += 16) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::load_matrix_sync(acc, c + j, unsigned(ldc), wmma::mem_row_major);
      for (int kk = 0; kk < k; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb;
        wmma::load_matrix_sync(fa, a + kk, unsigned(lda));
        wmma::load_matrix_sync(fb, b + kk * ldb + j, unsigned(ldb));
        wmma::mma_sync(acc, fa, fb, acc);
      }
      wmma::store_matrix_sync(c + j, acc, unsigned(ldc), wmma::mem_row_major);
    }
  } else {
    const int lane = threadIdx.x & 31;
    for (int idx = lane; idx < 16 * n; idx += 32) {
      const int r = idx / n, col = idx % n;
      float s = c[r * ldc + col];
      for (int kk = 0; kk < k; ++kk) s += a[r * lda + kk] * b[kk * ldb + col];
      c[r * ldc + col] = s;
    }
  }
}

// Sets the dynamic shared-memory size of a kernel (needed above 48 KiB) after checking the device has it.
template <class Kernel>
void prepare_smem(Kernel kernel, size_t bytes, const char* op) {
  R1_CHECK(bytes <= size_t(max_shared_memory_per_block()), op, ": needs ", bytes,
           " bytes of shared memory per block, the device allows ", max_shared_memory_per_block());
  CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
}

}  // namespace r1::ops::cuda
