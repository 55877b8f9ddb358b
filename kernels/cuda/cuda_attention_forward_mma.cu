// bf16 causal flash attention forward with register-resident tiles (FlashAttention-2 scheme on
// mma.sync m16n8k16): one block of 4 warps per (64-row query tile, query head); key/value tiles of
// 64 rows stream through two shared-memory stages by cp.async up to the diagonal (the next tile's
// copies fly while the current one is used; one barrier per tile). Each warp owns 16 query rows: its
// Q fragments (loaded once), scores S = Q K^T, the online softmax (running max and sum in f32,
// base-2 exponentials with the scale folded in) and the output accumulator O (f32) never leave
// registers, and the probabilities go from the score fragments straight into the P V product as bf16
// A fragments. Only tiles that cross the diagonal or an end of the sequence are masked. Head
// dimensions are padded with zeros to a compiled (Dk, Dv) variant. Writes O (bf16) and lse (natural
// log, f32) exactly as the generic kernel does, so the backward can use either.
#include "kernels/cuda/cuda_attention_mma.cuh"

namespace r1::ops::cuda {

namespace {

constexpr int kWarps = 4, kThreads = kWarps * 32, kRows = 64, kCols = 64;  // query / key rows per block tile

struct ForwardMmaArgs {
  MmaAttentionArgs a;
  const int32_t* tiles;
};

template <int DK, int DV>
struct ForwardMmaLayout {
  static constexpr int ldk = DK + 8, ldv = DV + 8;  // +16 bytes per row: conflict-free ldmatrix
  // One stage holds a K and a V tile; Q passes through stage 1 before the loop starts.
  static constexpr size_t k = 0, v = size_t(kCols) * ldk, stage = v + size_t(kCols) * ldv;
  static constexpr size_t bytes = 2 * stage * sizeof(bf16_t);
  static_assert(size_t(kRows) * ldk <= stage, "Q must fit a stage");
};

template <int DK, int DV>
__global__ void __launch_bounds__(kThreads, DK <= 128 ? 3 : 2) attention_forward_mma_kernel(ForwardMmaArgs fa) {
  using L = ForwardMmaLayout<DK, DV>;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  bf16_t* stages = reinterpret_cast<bf16_t*>(smem_raw);
  const MmaAttentionArgs& a = fa.a;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int64_t head = blockIdx.y, kv_head = head / a.group;
  const int32_t* tile = fa.tiles + 3 * int64_t(blockIdx.x);
  const int64_t seq_begin = tile[0];
  const int seq_len = tile[1], q0 = tile[2];
  const int q_rows = min(kRows, seq_len - q0);
  const int key_end = q0 + q_rows, key_tiles = (key_end + kCols - 1) / kCols;
  auto load_keys = [&](int tile_index) {
    bf16_t* stage = stages + (tile_index & 1) * L::stage;
    const int k0 = tile_index * kCols, valid = seq_len - k0;
    load_tile<kCols, DK, kThreads>(a.async_loads, stage + L::k, L::ldk, a.k, seq_begin + k0, valid, a.kv_heads, kv_head,
                                   a.key_dim);
    load_tile<kCols, DV, kThreads>(a.async_loads, stage + L::v, L::ldv, a.v, seq_begin + k0, valid, a.kv_heads, kv_head,
                                   a.value_dim);
  };

  load_tile<kRows, DK, kThreads>(a.async_loads, stages + L::stage, L::ldk, a.q, seq_begin + q0, q_rows, a.q_heads, head,
                                 a.key_dim);
  load_keys(0);
  cp_async_commit();
  cp_async_wait_all();
  __syncthreads();
  uint32_t qf[DK / 16][4];  // this warp's 16 query rows as A fragments
  load_a_rows<DK>(qf, stages + L::stage, L::ldk, warp * 16);

  const float scale_log2 = a.scale * kLog2e;
  const int r_lo = warp * 16 + g, r_hi = r_lo + 8;  // tile rows of this thread's two fragment rows
  const int i_lo = q0 + r_lo, i_hi = q0 + r_hi;     // their rows within the sequence
  float o[DV / 8][4];
  zero(o);
  float m_lo = -INFINITY, m_hi = -INFINITY, l_lo = 0.0f, l_hi = 0.0f;

  const int warp_first_row = q0 + warp * 16, warp_last_row = warp_first_row + 15;
  const bool warp_rows_full = warp_last_row < seq_len;
  for (int kt = 0; kt < key_tiles; ++kt) {
    const int k0 = kt * kCols;
    cp_async_wait_all();  // tile kt has landed (it was the only group in flight)
    __syncthreads();      // ... for every thread, and every warp is done with tile kt - 1 (and Q)
    if (kt + 1 < key_tiles) {
      load_keys(kt + 1);
      cp_async_commit();
    }
    if (k0 > warp_last_row) continue;  // keys past the warp's rows are masked for all of them
    const bf16_t* sk = stages + (kt & 1) * L::stage + L::k;
    const bf16_t* sv = stages + (kt & 1) * L::stage + L::v;

    float s[kCols / 8][4];  // S [16 queries x 64 keys]
    zero(s);
    product_rbt<kCols / 8, DK>(s, qf, sk, L::ldk);
    // Mask (causal, sequence end, rows past the tile) where the tile needs it; row maxima of the raw
    // scores (the scale is positive, so they are the maxima of the scaled ones too).
    const bool masked = !warp_rows_full || k0 + kCols - 1 > warp_first_row || k0 + kCols > seq_len;
    if (masked) {  // one branch around the whole loop: unmasked tiles do not issue it predicated off
#pragma unroll
      for (int j = 0; j < kCols / 8; ++j) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int col = k0 + 8 * j + 2 * t + e;
          const bool key_ok = col < seq_len;
          if (!(key_ok && col <= i_lo && r_lo < q_rows)) s[j][e] = -INFINITY;
          if (!(key_ok && col <= i_hi && r_hi < q_rows)) s[j][2 + e] = -INFINITY;
        }
      }
    }
    float mx_lo = -INFINITY, mx_hi = -INFINITY;
#pragma unroll
    for (int j = 0; j < kCols / 8; ++j) {
      mx_lo = fmaxf(mx_lo, fmaxf(s[j][0], s[j][1]));
      mx_hi = fmaxf(mx_hi, fmaxf(s[j][2], s[j][3]));
    }
    mx_lo = quad_max(mx_lo);
    mx_hi = quad_max(mx_hi);
    // Running maxima in log2 units; p = 2^(scale_log2 s - max) by one fused multiply-add each.
    const float new_lo = fmaxf(m_lo, mx_lo * scale_log2), new_hi = fmaxf(m_hi, mx_hi * scale_log2);
    const float base_lo = new_lo == -INFINITY ? 0.0f : new_lo, base_hi = new_hi == -INFINITY ? 0.0f : new_hi;
    const float alpha_lo = fast_exp2(m_lo - base_lo), alpha_hi = fast_exp2(m_hi - base_hi);  // 0 when m was -inf
    m_lo = new_lo;
    m_hi = new_hi;
    float sum_lo = 0.0f, sum_hi = 0.0f;
#pragma unroll
    for (int j = 0; j < kCols / 8; ++j) {
      s[j][0] = fast_exp2(fmaf(s[j][0], scale_log2, -base_lo));
      s[j][1] = fast_exp2(fmaf(s[j][1], scale_log2, -base_lo));
      s[j][2] = fast_exp2(fmaf(s[j][2], scale_log2, -base_hi));
      s[j][3] = fast_exp2(fmaf(s[j][3], scale_log2, -base_hi));
      sum_lo += s[j][0] + s[j][1];
      sum_hi += s[j][2] + s[j][3];
    }
    l_lo = l_lo * alpha_lo + sum_lo;  // per-lane partial sums; the quad adds them up at the end
    l_hi = l_hi * alpha_hi + sum_hi;
#pragma unroll
    for (int j = 0; j < DV / 8; ++j) {
      o[j][0] *= alpha_lo;
      o[j][1] *= alpha_lo;
      o[j][2] *= alpha_hi;
      o[j][3] *= alpha_hi;
    }
    product_pb<DV / 8, kCols / 16>(o, s, sv, L::ldv);  // O += P V
  }

  l_lo = quad_sum(l_lo);
  l_hi = quad_sum(l_hi);
  const bool lo_ok = r_lo < q_rows, hi_ok = r_hi < q_rows;
  const int64_t tok_lo = seq_begin + i_lo, tok_hi = seq_begin + i_hi;
  bf16_t* row_lo = lo_ok ? a.out + (tok_lo * a.q_heads + head) * a.value_dim : nullptr;
  bf16_t* row_hi = hi_ok ? a.out + (tok_hi * a.q_heads + head) * a.value_dim : nullptr;
  // Rows are scaled separately: store each half with its own 1 / l.
  store_c_rows(o, row_lo, nullptr, a.value_dim, 1.0f / l_lo);
  store_c_rows(o, nullptr, row_hi, a.value_dim, 1.0f / l_hi);
  if (t == 0) {
    constexpr float kLn2 = 0.6931471805599453f;
    if (lo_ok) a.lse[tok_lo * a.q_heads + head] = (m_lo + log2f(l_lo)) * kLn2;
    if (hi_ok) a.lse[tok_hi * a.q_heads + head] = (m_hi + log2f(l_hi)) * kLn2;
  }
}

template <int DK, int DV>
void launch_forward(const MmaAttentionArgs& a, const SeqOffsets& seqs, const char* op) {
  using L = ForwardMmaLayout<DK, DV>;
  RowTiles tiles = build_row_tiles(seqs, kRows, TileOrder::late_rows_first);
  if (tiles.count == 0) return;
  ForwardMmaArgs fa{a, tiles.triples.as<int32_t>()};
  auto kernel = attention_forward_mma_kernel<DK, DV>;
  prepare_smem(kernel, L::bytes, op);
  kernel<<<dim3(unsigned(tiles.count), unsigned(a.q_heads)), kThreads, L::bytes, stream()>>>(fa);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

bool attention_forward_mma(const MmaAttentionArgs& args, const SeqOffsets& seqs, const char* op) {
  if (!(args.scale > 0.0f)) return false;  // the kernel takes row maxima before scaling
  MmaAttentionArgs a = args;
  a.async_loads = tiles_copy_async(a, false);
  return with_head_dims(a.key_dim, a.value_dim, [&](auto dk, auto dv) { launch_forward<dk(), dv()>(a, seqs, op); });
}

}  // namespace r1::ops::cuda
