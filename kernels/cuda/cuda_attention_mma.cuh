// Register-resident tensor-core pieces of the bf16 flash-attention kernels
// (cuda_attention_forward_mma.cu, cuda_attention_backward_mma.cu, cuda_attention_cached_mma.cu), on
// top of the generic fragments of cuda_mma.cuh: packing of f32 accumulator fragments into bf16 A
// fragments (the C fragments of two neighbouring n-tiles of a product are, packed to bf16, the A
// fragment of the next product over that 16-wide k-slice: P V, dS K, ... without going through shared
// memory), quad reductions, warp tile products and head-tile loads. Also the launch arguments and
// entry points the kernel files share with the generic attention files (which fall back to the WMMA
// kernels for shapes these do not cover).
#pragma once
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/cuda_attention_common.cuh"
#include "kernels/cuda/cuda_mma.cuh"

namespace r1::ops::cuda {

// Rows [row0, row0 + Rows) of head `head` of a [tokens, heads, dim] bf16 tensor into a [Rows, Pad]
// tile: copy_rows_async, or with `async` false (dim not a multiple of 8 or rows not 16-byte aligned)
// the synchronous load_head_tile, which the same wait + barrier publishes.
template <int Rows, int Pad, int Threads>
__device__ __forceinline__ void load_tile(bool async, bf16_t* tile, int ld, const bf16_t* src, int64_t row0, int valid,
                                          int64_t heads, int64_t head, int dim) {
  if (!async) return load_head_tile(tile, ld, src, row0, Rows, valid, heads, head, dim, Pad);
  copy_rows_async<Rows, Pad, Threads>(tile, ld, src + (row0 * heads + head) * dim, heads * dim, valid, dim);
}

// 2^x by the special-function unit alone (ex2.approx.ftz: results below 2^-126 flush to zero, which
// no probability the kernels accumulate notices); exp2f adds a denormal guard around it.
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Kernels that stream tiles through shared memory keep two stages (the next tile's copies fly while
// the current one is used) when two fit twice per SM, otherwise one (copies then wait for the tile).
constexpr int pipeline_stages(size_t two_stage_bytes) { return two_stage_bytes <= 113 * 1024 ? 2 : 1; }

// The A fragment of k-slice kk (columns [16kk, 16kk+16)) from the C fragments c[2kk], c[2kk+1].
template <int N>
__device__ __forceinline__ void a_from_c(uint32_t (&a)[4], const float (&c)[N][4], int kk) {
  a[0] = pack_bf16(c[2 * kk][0], c[2 * kk][1]);
  a[1] = pack_bf16(c[2 * kk][2], c[2 * kk][3]);
  a[2] = pack_bf16(c[2 * kk + 1][0], c[2 * kk + 1][1]);
  a[3] = pack_bf16(c[2 * kk + 1][2], c[2 * kk + 1][3]);
}

// Sum and max over the four lanes (t = 0..3) that share a fragment row.
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

// Stores the f32 C fragments c[j] (columns [8j, 8j+8) of rows g and g+8 of a warp's 16-row tile) as
// bf16 into global rows row_lo / row_hi (nullptr: row absent), columns < cols, times `factor`.
template <int N>
__device__ __forceinline__ void store_c_rows(const float (&c)[N][4], bf16_t* row_lo, bf16_t* row_hi, int cols,
                                             float factor) {
  const int t = threadIdx.x & 3;
#pragma unroll
  for (int j = 0; j < N; ++j) {
    const int col = 8 * j + 2 * t;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      bf16_t* row = half ? row_hi : row_lo;
      if (!row) continue;
      const float x0 = c[j][2 * half] * factor, x1 = c[j][2 * half + 1] * factor;
      if (col + 1 < cols && (reinterpret_cast<uintptr_t>(row + col) & 3) == 0) {
        *reinterpret_cast<__nv_bfloat162*>(row + col) = __floats2bfloat162_rn(x0, x1);
      } else {
        if (col < cols) row[col] = __float2bfloat16_rn(x0);
        if (col + 1 < cols) row[col + 1] = __float2bfloat16_rn(x1);
      }
    }
  }
}

constexpr float kLog2e = 1.4426950408889634f;

// ---- warp tile products (a warp's 16 rows) --------------------------------------------------
template <int N>
__device__ __forceinline__ void zero(float (&c)[N][4]) {
#pragma unroll
  for (int j = 0; j < N; ++j) c[j][0] = c[j][1] = c[j][2] = c[j][3] = 0.0f;
}

// c[16 x 8N] (+)= A[16 x K] B^T with A rows [a_r0, +16) of tile a and B stored [n][k] in tile b.
template <int N, int K>
__device__ __forceinline__ void product_abt(float (&c)[N][4], const bf16_t* a, int lda, int a_r0, const bf16_t* b,
                                            int ldb) {
#pragma unroll
  for (int kk = 0; kk < K / 16; ++kk) {
    uint32_t fa[4];
    load_a(fa, a, lda, a_r0, kk * 16);
#pragma unroll
    for (int np = 0; np < N / 2; ++np) {
      uint32_t fb[4];
      load_b_nk(fb, b, ldb, np * 16, kk * 16);
      mma_bf16(c[2 * np], fa, fb[0], fb[1]);
      mma_bf16(c[2 * np + 1], fa, fb[2], fb[3]);
    }
  }
}

// A fragments of rows [r0, r0+16) x all K columns of a row-major tile, to keep in registers.
template <int K>
__device__ __forceinline__ void load_a_rows(uint32_t (&a)[K / 16][4], const bf16_t* tile, int ld, int r0) {
#pragma unroll
  for (int kk = 0; kk < K / 16; ++kk) load_a(a[kk], tile, ld, r0, kk * 16);
}

// c[16 x 8N] (+)= A[16 x K] B^T with A held as register fragments and B stored [n][k] in tile b.
template <int N, int K>
__device__ __forceinline__ void product_rbt(float (&c)[N][4], const uint32_t (&a)[K / 16][4], const bf16_t* b,
                                            int ldb) {
#pragma unroll
  for (int kk = 0; kk < K / 16; ++kk) {
#pragma unroll
    for (int np = 0; np < N / 2; ++np) {
      uint32_t fb[4];
      load_b_nk(fb, b, ldb, np * 16, kk * 16);
      mma_bf16(c[2 * np], a[kk], fb[0], fb[1]);
      mma_bf16(c[2 * np + 1], a[kk], fb[2], fb[3]);
    }
  }
}

// c[16 x 8N] += P[16 x 16 KS] B with P given as accumulator fragments p[2 KS][4] and B stored [k][n].
template <int N, int KS>
__device__ __forceinline__ void product_pb(float (&c)[N][4], const float (&p)[2 * KS][4], const bf16_t* b, int ldb) {
#pragma unroll
  for (int kk = 0; kk < KS; ++kk) {
    uint32_t fa[4];
    a_from_c(fa, p, kk);
#pragma unroll
    for (int np = 0; np < N / 2; ++np) {
      uint32_t fb[4];
      load_b_kn(fb, b, ldb, kk * 16, np * 16);
      mma_bf16(c[2 * np], fa, fb[0], fb[1]);
      mma_bf16(c[2 * np + 1], fa, fb[2], fb[3]);
    }
  }
}

// ---- entry points --------------------------------------------------------------------------------
// bf16 flash attention with register-resident tiles, for head dimensions that fit one of the
// compiled (Dk, Dv) variants after zero padding. Return false (nothing launched) otherwise.
struct MmaAttentionArgs {
  const bf16_t* q;
  const bf16_t* k;
  const bf16_t* v;
  const bf16_t* dout;  // backward
  float* lse;          // forward: written; backward: read
  const float* delta;  // backward: D = rowsum(dO * O), [N, Hq]
  bf16_t* out;         // forward output
  bf16_t* dq;
  bf16_t* dk;
  bf16_t* dv;
  int64_t q_heads, kv_heads, group;
  int key_dim, value_dim;
  float scale;
  bool async_loads;  // tiles move by cp.async (head dims multiples of 8, 16-byte aligned tensors)
};
// The fields both directions share, from the checked shape.
inline MmaAttentionArgs mma_attention_args(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionShape& sh,
                                           double scale) {
  MmaAttentionArgs m{};
  m.q = static_cast<const bf16_t*>(q.raw());
  m.k = static_cast<const bf16_t*>(k.raw());
  m.v = static_cast<const bf16_t*>(v.raw());
  m.q_heads = sh.q_heads;
  m.kv_heads = sh.kv_heads;
  m.group = sh.group();
  m.key_dim = int(sh.key_dim);
  m.value_dim = int(sh.value_dim);
  m.scale = float(scale);
  return m;
}

// Whether every tensor the kernels read by tiles allows 16-byte cp.async copies of whole rows.
inline bool tiles_copy_async(const MmaAttentionArgs& m, bool backward) {
  auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  return m.key_dim % 8 == 0 && m.value_dim % 8 == 0 && aligned(m.q) && aligned(m.k) && aligned(m.v) &&
         (!backward || aligned(m.dout));
}

// Calls launch(integral_constant<DK>, integral_constant<DV>) with the smallest compiled variant that
// holds the head dims after zero padding; false (nothing called) when none does.
template <class Launch>
bool with_head_dims(int key_dim, int value_dim, Launch&& launch) {
  const int dk = pad16(key_dim), dv = pad16(value_dim);
  using std::integral_constant;
  if (dk <= 64 && dv <= 64) return launch(integral_constant<int, 64>{}, integral_constant<int, 64>{}), true;
  if (dk <= 96 && dv <= 64) return launch(integral_constant<int, 96>{}, integral_constant<int, 64>{}), true;
  if (dk <= 128 && dv <= 128) return launch(integral_constant<int, 128>{}, integral_constant<int, 128>{}), true;
  if (dk <= 192 && dv <= 128) return launch(integral_constant<int, 192>{}, integral_constant<int, 128>{}), true;
  return false;
}

bool attention_forward_mma(const MmaAttentionArgs& args, const SeqOffsets& seqs, const char* op);
bool attention_backward_mma(const MmaAttentionArgs& args, const SeqOffsets& seqs, const char* op);

}  // namespace r1::ops::cuda
