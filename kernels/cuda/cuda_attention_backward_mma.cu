// bf16 causal flash attention backward with register-resident tiles (mma.sync m16n8k16), the same
// two deterministic passes as the generic kernel (no atomics, one owner per gradient row):
//   1. dK, dV: one block of 4 warps per (64-row key tile, kv head); each warp owns 16 key rows and
//      keeps dK, dV in f32 registers while, for each query head of the group and each 64-row query
//      tile from the diagonal on, Q, dO, lse and D stream through shared memory:
//      S^T = K Q^T, P^T = exp(scale S^T - lse), dV += P^T dO, dP^T = V dO^T, dS^T = P^T (dP^T - D),
//      dK += dS^T Q (P^T and dS^T go from accumulator fragments straight into the next product);
//   2. dQ: one block per (64-row query tile, query head); K, V tiles up to the diagonal stream through:
//      S = Q K^T, P, dP = dO V^T, dS = P (dP - D), dQ += dS K.
// D = rowsum(dO * O) comes from the caller (cuda_attention_backward.cu). Scores use base-2
// exponentials with the scale folded in, as the forward does.
#include "kernels/cuda/cuda_attention_mma.cuh"

namespace r1::ops::cuda {

namespace {

constexpr int kWarps = 4, kTile = 64;  // rows per block tile (keys in pass 1, queries in pass 2), both passes

struct BackwardMmaArgs {
  MmaAttentionArgs a;
  const int32_t* tiles;
};

template <int DK, int DV>
struct BackwardMmaLayout {
  static constexpr int ldk = DK + 8, ldv = DV + 8;
  // Pass 1: K, V (the block's keys), Q, dO (streamed), lse, D (streamed, f32).
  // Pass 2: Q, dO (the block's queries), K, V (streamed). Same four bf16 tiles either way.
  static constexpr size_t k = 0, v = k + size_t(kTile) * ldk, q = v + size_t(kTile) * ldv, dout = q + size_t(kTile) * ldk,
                          end = dout + size_t(kTile) * ldv;
  static constexpr size_t stats = end * sizeof(bf16_t);                 // byte offset of lse, D
  static constexpr size_t bytes = stats + 2 * kTile * sizeof(float);
};

__device__ __forceinline__ void load_stats(float* dst, const float* src, int64_t row0, int valid, int64_t heads,
                                           int64_t head, float factor) {
  for (int r = threadIdx.x; r < kTile; r += blockDim.x) dst[r] = r < valid ? src[(row0 + r) * heads + head] * factor : 0.0f;
}

// ---- pass 1: dK, dV ---------------------------------------------------------------------------------
template <int DK, int DV>
__global__ void __launch_bounds__(kWarps * 32) attention_dkdv_mma_kernel(BackwardMmaArgs ba) {
  using L = BackwardMmaLayout<DK, DV>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  bf16_t* base = reinterpret_cast<bf16_t*>(smem_raw);
  bf16_t *sk = base + L::k, *sv = base + L::v, *sq = base + L::q, *sdo = base + L::dout;
  float* slse = reinterpret_cast<float*>(smem_raw + L::stats);  // lse in log2 units
  float* sdelta = slse + kTile;
  const MmaAttentionArgs& a = ba.a;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int64_t kv_head = blockIdx.y;
  const int32_t* tile = ba.tiles + 3 * int64_t(blockIdx.x);
  const int64_t seq_begin = tile[0];
  const int seq_len = tile[1], k0 = tile[2];
  const int k_rows = min(kTile, seq_len - k0);
  load_head_tile(sk, L::ldk, a.k, seq_begin + k0, kTile, k_rows, a.kv_heads, kv_head, a.key_dim, DK);
  load_head_tile(sv, L::ldv, a.v, seq_begin + k0, kTile, k_rows, a.kv_heads, kv_head, a.value_dim, DV);

  const float scale_log2 = a.scale * kLog2e;
  const int j_lo = k0 + warp * 16 + g, j_hi = j_lo + 8;  // this thread's two key rows within the sequence
  float dk[DK / 8][4], dv[DV / 8][4];
  zero(dk);
  zero(dv);
  for (int64_t head = kv_head * a.group; head < (kv_head + 1) * a.group; ++head) {
    for (int q0 = k0; q0 < seq_len; q0 += kTile) {  // tiles align, so query tiles from k0 see these keys
      const int q_rows = min(kTile, seq_len - q0);
      __syncthreads();
      load_head_tile(sq, L::ldk, a.q, seq_begin + q0, kTile, q_rows, a.q_heads, head, a.key_dim, DK);
      load_head_tile(sdo, L::ldv, a.dout, seq_begin + q0, kTile, q_rows, a.q_heads, head, a.value_dim, DV);
      load_stats(slse, a.lse, seq_begin + q0, q_rows, a.q_heads, head, kLog2e);
      load_stats(sdelta, a.delta, seq_begin + q0, q_rows, a.q_heads, head, 1.0f);
      __syncthreads();
      if (q0 + q_rows - 1 < k0 + warp * 16) continue;  // every query of the tile precedes this warp's keys

      float p[kTile / 8][4];  // P^T [16 keys x 64 queries]
      zero(p);
      product_abt<kTile / 8, DK>(p, sk, L::ldk, warp * 16, sq, L::ldk);
#pragma unroll
      for (int jn = 0; jn < kTile / 8; ++jn) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int c = 8 * jn + 2 * t + e, i = q0 + c;  // query column
          const bool q_ok = c < q_rows;
          const float lse2 = slse[c];
          p[jn][e] = q_ok && j_lo <= i && j_lo < seq_len ? exp2f(p[jn][e] * scale_log2 - lse2) : 0.0f;
          p[jn][2 + e] = q_ok && j_hi <= i && j_hi < seq_len ? exp2f(p[jn][2 + e] * scale_log2 - lse2) : 0.0f;
        }
      }
      product_pb<DV / 8, kTile / 16>(dv, p, sdo, L::ldv);  // dV += P^T dO
      float ds[kTile / 8][4];  // dP^T, then dS^T
      zero(ds);
      product_abt<kTile / 8, DV>(ds, sv, L::ldv, warp * 16, sdo, L::ldv);
#pragma unroll
      for (int jn = 0; jn < kTile / 8; ++jn) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const float d = sdelta[8 * jn + 2 * t + e];
          ds[jn][e] = p[jn][e] * (ds[jn][e] - d);
          ds[jn][2 + e] = p[jn][2 + e] * (ds[jn][2 + e] - d);
        }
      }
      product_pb<DK / 8, kTile / 16>(dk, ds, sq, L::ldk);  // dK += dS^T Q
    }
  }
  const int r_lo = warp * 16 + g, r_hi = r_lo + 8;
  const int64_t tok_lo = seq_begin + j_lo, tok_hi = seq_begin + j_hi;
  store_c_rows(dk, r_lo < k_rows ? a.dk + (tok_lo * a.kv_heads + kv_head) * a.key_dim : nullptr,
               r_hi < k_rows ? a.dk + (tok_hi * a.kv_heads + kv_head) * a.key_dim : nullptr, a.key_dim, a.scale);
  store_c_rows(dv, r_lo < k_rows ? a.dv + (tok_lo * a.kv_heads + kv_head) * a.value_dim : nullptr,
               r_hi < k_rows ? a.dv + (tok_hi * a.kv_heads + kv_head) * a.value_dim : nullptr, a.value_dim, 1.0f);
}

// ---- pass 2: dQ -------------------------------------------------------------------------------------
template <int DK, int DV>
__global__ void __launch_bounds__(kWarps * 32) attention_dq_mma_kernel(BackwardMmaArgs ba) {
  using L = BackwardMmaLayout<DK, DV>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  bf16_t* base = reinterpret_cast<bf16_t*>(smem_raw);
  bf16_t *sk = base + L::k, *sv = base + L::v, *sq = base + L::q, *sdo = base + L::dout;
  const MmaAttentionArgs& a = ba.a;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int64_t head = blockIdx.y, kv_head = head / a.group;
  const int32_t* tile = ba.tiles + 3 * int64_t(blockIdx.x);
  const int64_t seq_begin = tile[0];
  const int seq_len = tile[1], q0 = tile[2];
  const int q_rows = min(kTile, seq_len - q0);
  load_head_tile(sq, L::ldk, a.q, seq_begin + q0, kTile, q_rows, a.q_heads, head, a.key_dim, DK);
  load_head_tile(sdo, L::ldv, a.dout, seq_begin + q0, kTile, q_rows, a.q_heads, head, a.value_dim, DV);

  const float scale_log2 = a.scale * kLog2e;
  const int r_lo = warp * 16 + g, r_hi = r_lo + 8;
  const int i_lo = q0 + r_lo, i_hi = q0 + r_hi;
  const bool lo_ok = r_lo < q_rows, hi_ok = r_hi < q_rows;
  const int64_t tok_lo = seq_begin + i_lo, tok_hi = seq_begin + i_hi;
  const float lse_lo = lo_ok ? a.lse[tok_lo * a.q_heads + head] * kLog2e : 0.0f;
  const float lse_hi = hi_ok ? a.lse[tok_hi * a.q_heads + head] * kLog2e : 0.0f;
  const float d_lo = lo_ok ? a.delta[tok_lo * a.q_heads + head] : 0.0f;
  const float d_hi = hi_ok ? a.delta[tok_hi * a.q_heads + head] : 0.0f;
  float dq[DK / 8][4];
  zero(dq);
  const int key_end = q0 + q_rows;
  const int warp_last_row = q0 + warp * 16 + 15;
  for (int k0 = 0; k0 < key_end; k0 += kTile) {
    const int k_rows = min(kTile, seq_len - k0);
    __syncthreads();
    load_head_tile(sk, L::ldk, a.k, seq_begin + k0, kTile, k_rows, a.kv_heads, kv_head, a.key_dim, DK);
    load_head_tile(sv, L::ldv, a.v, seq_begin + k0, kTile, k_rows, a.kv_heads, kv_head, a.value_dim, DV);
    __syncthreads();
    if (k0 > warp_last_row) continue;

    float p[kTile / 8][4];  // P [16 queries x 64 keys]
    zero(p);
    product_abt<kTile / 8, DK>(p, sq, L::ldk, warp * 16, sk, L::ldk);
#pragma unroll
    for (int jn = 0; jn < kTile / 8; ++jn) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int j = k0 + 8 * jn + 2 * t + e;
        const bool key_ok = j < seq_len;
        p[jn][e] = key_ok && lo_ok && j <= i_lo ? exp2f(p[jn][e] * scale_log2 - lse_lo) : 0.0f;
        p[jn][2 + e] = key_ok && hi_ok && j <= i_hi ? exp2f(p[jn][2 + e] * scale_log2 - lse_hi) : 0.0f;
      }
    }
    float ds[kTile / 8][4];  // dP, then dS
    zero(ds);
    product_abt<kTile / 8, DV>(ds, sdo, L::ldv, warp * 16, sv, L::ldv);
#pragma unroll
    for (int jn = 0; jn < kTile / 8; ++jn) {
      ds[jn][0] = p[jn][0] * (ds[jn][0] - d_lo);
      ds[jn][1] = p[jn][1] * (ds[jn][1] - d_lo);
      ds[jn][2] = p[jn][2] * (ds[jn][2] - d_hi);
      ds[jn][3] = p[jn][3] * (ds[jn][3] - d_hi);
    }
    product_pb<DK / 8, kTile / 16>(dq, ds, sk, L::ldk);  // dQ += dS K
  }
  store_c_rows(dq, lo_ok ? a.dq + (tok_lo * a.q_heads + head) * a.key_dim : nullptr,
               hi_ok ? a.dq + (tok_hi * a.q_heads + head) * a.key_dim : nullptr, a.key_dim, a.scale);
}

template <int DK, int DV>
void launch_backward(const MmaAttentionArgs& a, const SeqOffsets& seqs, const char* op) {
  using L = BackwardMmaLayout<DK, DV>;
  {
    RowTiles tiles = build_row_tiles(seqs, kTile, TileOrder::early_rows_first);
    if (tiles.count == 0) return;
    auto kernel = attention_dkdv_mma_kernel<DK, DV>;
    prepare_smem(kernel, L::bytes, op);
    BackwardMmaArgs ba{a, tiles.triples.as<int32_t>()};
    kernel<<<dim3(unsigned(tiles.count), unsigned(a.kv_heads)), kWarps * 32, L::bytes, stream()>>>(ba);
    CUDA_CHECK_LAUNCH();
  }
  RowTiles tiles = build_row_tiles(seqs, kTile, TileOrder::late_rows_first);
  auto kernel = attention_dq_mma_kernel<DK, DV>;
  prepare_smem(kernel, L::bytes, op);
  BackwardMmaArgs ba{a, tiles.triples.as<int32_t>()};
  kernel<<<dim3(unsigned(tiles.count), unsigned(a.q_heads)), kWarps * 32, L::bytes, stream()>>>(ba);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

bool attention_backward_mma(const MmaAttentionArgs& a, const SeqOffsets& seqs, const char* op) {
  return with_head_dims(a.key_dim, a.value_dim, [&](auto dk, auto dv) { launch_backward<dk(), dv()>(a, seqs, op); });
}

}  // namespace r1::ops::cuda
