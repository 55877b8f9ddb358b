// bf16 causal flash attention backward with register-resident tiles (mma.sync m16n8k16), the same
// two deterministic passes as the generic kernel (no atomics, one owner per gradient row):
//   1. dK, dV: one block of 4 warps per (64-row key tile, kv head); each warp owns 16 key rows and
//      keeps dK, dV in f32 registers while, for each query head of the group and each 64-row query
//      tile from the diagonal on, Q, dO, lse and D stream through shared memory:
//      S^T = K Q^T, P^T = exp(scale S^T - lse), dV += P^T dO, dP^T = V dO^T, dS^T = P^T (dP^T - D),
//      dK += dS^T Q (P^T and dS^T go from accumulator fragments straight into the next product);
//   2. dQ: one block per (64-row query tile, query head); K, V tiles up to the diagonal stream through:
//      S = Q K^T, P, dP = dO V^T, dS = P (dP - D), dQ += dS K.
// Streamed tiles move by cp.async through two shared-memory stages where two fit (the next tile's
// copies fly while the current one is used), and only tiles that cross the diagonal or an end of the
// sequence are masked. D = rowsum(dO * O) comes from the caller (cuda_attention_backward.cu). Scores
// use base-2 exponentials with the scale folded in, as the forward does.
#include "kernels/cuda/cuda_attention_mma.cuh"

namespace r1::ops::cuda {

namespace {

// Rows per block tile (keys in pass 1, queries in pass 2), both passes.
constexpr int kWarps = 4, kThreads = kWarps * 32, kTile = 64;

struct BackwardMmaArgs {
  MmaAttentionArgs a;
  const int32_t* tiles;
};

// Pass 1 keeps K, V (the block's keys) and streams stages of Q, dO (bf16) and lse, D (f32).
template <int DK, int DV>
struct DkDvLayout {
  static constexpr int ldk = DK + 8, ldv = DV + 8;
  static constexpr size_t k = 0, v = k + size_t(kTile) * ldk, stages = v + size_t(kTile) * ldv;   // bf16 elements
  static constexpr size_t q = 0, dout = size_t(kTile) * ldk, stage = dout + size_t(kTile) * ldv;  // within a stage
  static constexpr size_t stage_stats = 2 * kTile * sizeof(float);                                // lse, D per stage
  static constexpr int stage_count = pipeline_stages((stages + 2 * stage) * sizeof(bf16_t) + 2 * stage_stats);
  static constexpr size_t stats = (stages + stage_count * stage) * sizeof(bf16_t);  // byte offset of the f32 part
  static constexpr size_t bytes = stats + stage_count * stage_stats;
};

// Pass 2 keeps Q, dO (the block's queries) and streams stages of K, V.
template <int DK, int DV>
struct DqLayout {
  static constexpr int ldk = DK + 8, ldv = DV + 8;
  static constexpr size_t q = 0, dout = q + size_t(kTile) * ldk, stages = dout + size_t(kTile) * ldv;
  static constexpr size_t k = 0, v = size_t(kTile) * ldk, stage = v + size_t(kTile) * ldv;  // within a stage
  static constexpr int stage_count = pipeline_stages((stages + 2 * stage) * sizeof(bf16_t));
  static constexpr size_t bytes = (stages + stage_count * stage) * sizeof(bf16_t);
};

// ---- pass 1: dK, dV ---------------------------------------------------------------------------------
template <int DK, int DV>
__global__ void __launch_bounds__(kThreads) attention_dkdv_mma_kernel(BackwardMmaArgs ba) {
  using L = DkDvLayout<DK, DV>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  bf16_t* base = reinterpret_cast<bf16_t*>(smem_raw);
  bf16_t *sk = base + L::k, *sv = base + L::v;
  const MmaAttentionArgs& a = ba.a;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int64_t kv_head = blockIdx.y;
  const int32_t* tile = ba.tiles + 3 * int64_t(blockIdx.x);
  const int64_t seq_begin = tile[0];
  const int seq_len = tile[1], k0 = tile[2];
  const int k_rows = min(kTile, seq_len - k0);
  // Steps over (query head of the group, query tile from k0 on: tiles align, so these see the keys).
  const int q_tiles = (seq_len - k0 + kTile - 1) / kTile, steps = int(a.group) * q_tiles;
  auto stage_of = [&](int step) { return base + L::stages + (step % L::stage_count) * L::stage; };
  auto stats_of = [&](int step) {
    return reinterpret_cast<float*>(smem_raw + L::stats) + (step % L::stage_count) * 2 * kTile;
  };
  auto load_queries = [&](int step) {
    const int64_t head = kv_head * a.group + step / q_tiles;
    const int q0 = k0 + (step % q_tiles) * kTile, valid = seq_len - q0;
    bf16_t* stage = stage_of(step);
    load_tile<kTile, DK, kThreads>(a.async_loads, stage + L::q, L::ldk, a.q, seq_begin + q0, valid, a.q_heads, head,
                                   a.key_dim);
    load_tile<kTile, DV, kThreads>(a.async_loads, stage + L::dout, L::ldv, a.dout, seq_begin + q0, valid, a.q_heads,
                                   head, a.value_dim);
    float* stats = stats_of(step);
    for (int r = threadIdx.x; r < kTile; r += kThreads) {
      const bool ok = r < valid;
      const int64_t at = (seq_begin + q0 + r) * a.q_heads + head;
      cp_async_4(stats + r, ok ? a.lse + at : a.lse, ok);
      cp_async_4(stats + kTile + r, ok ? a.delta + at : a.delta, ok);
    }
  };
  load_tile<kTile, DK, kThreads>(a.async_loads, sk, L::ldk, a.k, seq_begin + k0, k_rows, a.kv_heads, kv_head,
                                 a.key_dim);
  load_tile<kTile, DV, kThreads>(a.async_loads, sv, L::ldv, a.v, seq_begin + k0, k_rows, a.kv_heads, kv_head,
                                 a.value_dim);
  load_queries(0);
  cp_async_commit();

  const float scale_log2 = a.scale * kLog2e;
  const int warp_first_key = k0 + warp * 16;
  const int j_lo = warp_first_key + g, j_hi = j_lo + 8;  // this thread's two key rows within the sequence
  const bool warp_keys_full = warp_first_key + 15 < seq_len;
  float dk[DK / 8][4], dv[DV / 8][4];
  zero(dk);
  zero(dv);
  for (int step = 0; step < steps; ++step) {
    const int q0 = k0 + (step % q_tiles) * kTile, q_rows = min(kTile, seq_len - q0);
    cp_async_wait_all();  // this step's tiles have landed (the only group in flight)
    __syncthreads();      // ... for every thread, and every warp is done with the previous step
    if (L::stage_count == 2 && step + 1 < steps) {
      load_queries(step + 1);
      cp_async_commit();
    }
    const bf16_t* sq = stage_of(step) + L::q;
    const bf16_t* sdo = stage_of(step) + L::dout;
    const float* slse = stats_of(step);
    const float* sdelta = slse + kTile;
    if (q0 + q_rows - 1 >= warp_first_key) {  // else every query of the tile precedes this warp's keys
      // Masked only where a query precedes a key of the warp, or past either end.
      const bool masked = q0 < warp_first_key + 15 || q_rows < kTile || !warp_keys_full;
      float p[kTile / 8][4];  // P^T [16 keys x 64 queries]
      zero(p);
      product_abt<kTile / 8, DK>(p, sk, L::ldk, warp * 16, sq, L::ldk);
#pragma unroll
      for (int jn = 0; jn < kTile / 8; ++jn) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const float lse2 = slse[8 * jn + 2 * t + e] * kLog2e;
          p[jn][e] = fast_exp2(fmaf(p[jn][e], scale_log2, -lse2));
          p[jn][2 + e] = fast_exp2(fmaf(p[jn][2 + e], scale_log2, -lse2));
        }
      }
      if (masked) {  // one branch around the whole loop (not predicated into every tile)
#pragma unroll
        for (int jn = 0; jn < kTile / 8; ++jn) {
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const int c = 8 * jn + 2 * t + e, i = q0 + c;  // query column
            const bool q_ok = c < q_rows;
            if (!(q_ok && j_lo <= i && j_lo < seq_len)) p[jn][e] = 0.0f;
            if (!(q_ok && j_hi <= i && j_hi < seq_len)) p[jn][2 + e] = 0.0f;
          }
        }
      }
      product_pb<DV / 8, kTile / 16>(dv, p, sdo, L::ldv);  // dV += P^T dO
      float ds[kTile / 8][4];                              // dP^T, then dS^T
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
    if (L::stage_count == 1 && step + 1 < steps) {
      __syncthreads();  // every warp is done with the one stage
      load_queries(step + 1);
      cp_async_commit();
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
__global__ void __launch_bounds__(kThreads) attention_dq_mma_kernel(BackwardMmaArgs ba) {
  using L = DqLayout<DK, DV>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  bf16_t* base = reinterpret_cast<bf16_t*>(smem_raw);
  bf16_t *sq = base + L::q, *sdo = base + L::dout;
  const MmaAttentionArgs& a = ba.a;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int64_t head = blockIdx.y, kv_head = head / a.group;
  const int32_t* tile = ba.tiles + 3 * int64_t(blockIdx.x);
  const int64_t seq_begin = tile[0];
  const int seq_len = tile[1], q0 = tile[2];
  const int q_rows = min(kTile, seq_len - q0);
  const int key_tiles = (q0 + q_rows + kTile - 1) / kTile;
  auto stage_of = [&](int kt) { return base + L::stages + (kt % L::stage_count) * L::stage; };
  auto load_keys = [&](int kt) {
    bf16_t* stage = stage_of(kt);
    const int k0 = kt * kTile, valid = seq_len - k0;
    load_tile<kTile, DK, kThreads>(a.async_loads, stage + L::k, L::ldk, a.k, seq_begin + k0, valid, a.kv_heads, kv_head,
                                   a.key_dim);
    load_tile<kTile, DV, kThreads>(a.async_loads, stage + L::v, L::ldv, a.v, seq_begin + k0, valid, a.kv_heads, kv_head,
                                   a.value_dim);
  };
  load_tile<kTile, DK, kThreads>(a.async_loads, sq, L::ldk, a.q, seq_begin + q0, q_rows, a.q_heads, head, a.key_dim);
  load_tile<kTile, DV, kThreads>(a.async_loads, sdo, L::ldv, a.dout, seq_begin + q0, q_rows, a.q_heads, head,
                                 a.value_dim);
  load_keys(0);
  cp_async_commit();

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
  const int warp_first_row = q0 + warp * 16, warp_last_row = warp_first_row + 15;
  const bool warp_rows_full = warp_last_row < seq_len;
  for (int kt = 0; kt < key_tiles; ++kt) {
    const int k0 = kt * kTile;
    cp_async_wait_all();
    __syncthreads();
    if (L::stage_count == 2 && kt + 1 < key_tiles) {
      load_keys(kt + 1);
      cp_async_commit();
    }
    const bf16_t* sk = stage_of(kt) + L::k;
    const bf16_t* sv = stage_of(kt) + L::v;
    if (k0 <= warp_last_row) {  // else every key of the tile follows this warp's rows
      const bool masked = !warp_rows_full || k0 + kTile - 1 > warp_first_row || k0 + kTile > seq_len;
      float p[kTile / 8][4];  // P [16 queries x 64 keys]
      zero(p);
      product_abt<kTile / 8, DK>(p, sq, L::ldk, warp * 16, sk, L::ldk);
#pragma unroll
      for (int jn = 0; jn < kTile / 8; ++jn) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          p[jn][e] = fast_exp2(fmaf(p[jn][e], scale_log2, -lse_lo));
          p[jn][2 + e] = fast_exp2(fmaf(p[jn][2 + e], scale_log2, -lse_hi));
        }
      }
      if (masked) {  // one branch around the whole loop (not predicated into every tile)
#pragma unroll
        for (int jn = 0; jn < kTile / 8; ++jn) {
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const int j = k0 + 8 * jn + 2 * t + e;
            const bool key_ok = j < seq_len;
            if (!(key_ok && lo_ok && j <= i_lo)) p[jn][e] = 0.0f;
            if (!(key_ok && hi_ok && j <= i_hi)) p[jn][2 + e] = 0.0f;
          }
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
    if (L::stage_count == 1 && kt + 1 < key_tiles) {
      __syncthreads();
      load_keys(kt + 1);
      cp_async_commit();
    }
  }
  store_c_rows(dq, lo_ok ? a.dq + (tok_lo * a.q_heads + head) * a.key_dim : nullptr,
               hi_ok ? a.dq + (tok_hi * a.q_heads + head) * a.key_dim : nullptr, a.key_dim, a.scale);
}

template <int DK, int DV>
void launch_backward(const MmaAttentionArgs& a, const SeqOffsets& seqs, const char* op) {
  {
    using L = DkDvLayout<DK, DV>;
    RowTiles tiles = build_row_tiles(seqs, kTile, TileOrder::early_rows_first);
    if (tiles.count == 0) return;
    auto kernel = attention_dkdv_mma_kernel<DK, DV>;
    prepare_smem(kernel, L::bytes, op);
    BackwardMmaArgs ba{a, tiles.triples.as<int32_t>()};
    kernel<<<dim3(unsigned(tiles.count), unsigned(a.kv_heads)), kThreads, L::bytes, stream()>>>(ba);
    CUDA_CHECK_LAUNCH();
  }
  using L = DqLayout<DK, DV>;
  RowTiles tiles = build_row_tiles(seqs, kTile, TileOrder::late_rows_first);
  auto kernel = attention_dq_mma_kernel<DK, DV>;
  prepare_smem(kernel, L::bytes, op);
  BackwardMmaArgs ba{a, tiles.triples.as<int32_t>()};
  kernel<<<dim3(unsigned(tiles.count), unsigned(a.q_heads)), kThreads, L::bytes, stream()>>>(ba);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

bool attention_backward_mma(const MmaAttentionArgs& args, const SeqOffsets& seqs, const char* op) {
  MmaAttentionArgs a = args;
  a.async_loads = tiles_copy_async(a, true);
  return with_head_dims(a.key_dim, a.value_dim, [&](auto dk, auto dv) { launch_backward<dk(), dv()>(a, seqs, op); });
}

}  // namespace r1::ops::cuda
