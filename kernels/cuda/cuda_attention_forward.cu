// CUDA causal flash attention forward (FlashAttention-2 scheme) over packed variable-length
// sequences, MHA/GQA/MLA shapes (Dk != Dv, head dims up to 256). One block per (query tile, query
// head): the query tile stays in shared memory while key/value tiles of the same sequence stream
// through it up to the diagonal; each warp owns 16 query rows and keeps an online softmax (running
// max and sum in f32) with the output accumulator in f32 shared memory. The [T, T] score matrix never
// exists in global memory. bf16 inputs whose head dimensions fit a compiled variant run the
// register-resident mma.sync kernel (cuda_attention_forward_mma.cu); other bf16 inputs use WMMA
// tensor-core tile products here (probabilities rounded to bf16 for P V, as FlashAttention does);
// f32 inputs use FMA. Saves lse = log-sum-exp of the scaled
// scores (f32) for the backward.
#include "kernels/cuda/cuda_attention_common.cuh"
#include "kernels/cuda/cuda_attention_mma.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

struct ForwardArgs {
  const void* q;
  const void* k;
  const void* v;
  void* out;
  float* lse;
  const int32_t* tiles;  // [tiles, 3]
  int64_t q_heads, kv_heads, group;
  int key_dim, value_dim, key_pad, value_pad;
  float scale;
};

// Shared-memory regions of one block (offsets in bytes).
template <class E, int kWarps, int kBc>
struct ForwardLayout {
  static constexpr int kBr = kWarps * 16;
  int ldq, ldv, lds, ldp, ldo;
  size_t q, k, v, s, p, o, row_max, row_sum, total;
  __host__ __device__ ForwardLayout(int key_pad, int value_pad) {
    using Pads = AttentionPads<E>;
    ldq = key_pad + Pads::element;  // also K's row stride
    ldv = value_pad + Pads::element;
    lds = kBc + Pads::accumulator;
    ldp = kBc + Pads::element;
    ldo = value_pad + Pads::accumulator;
    SmemCarver carve;
    q = carve.take(sizeof(E) * kBr * ldq);       // [Br, Dk]
    k = carve.take(sizeof(E) * kBc * ldq);       // [Bc, Dk]
    v = carve.take(sizeof(E) * kBc * ldv);       // [Bc, Dv]
    s = carve.take(sizeof(float) * kBr * lds);   // [Br, Bc] scores
    p = carve.take(sizeof(E) * kBr * ldp);       // [Br, Bc] probabilities
    o = carve.take(sizeof(float) * kBr * ldo);   // [Br, Dv] output accumulator
    row_max = carve.take(sizeof(float) * kBr);   // running max of scaled scores
    row_sum = carve.take(sizeof(float) * kBr);   // running sum of exp(score - max)
    total = carve.used;
  }
};

template <class E, int kWarps, int kBc>
__global__ void __launch_bounds__(kWarps * 32) attention_forward_kernel(ForwardArgs args) {
  using Layout = ForwardLayout<E, kWarps, kBc>;
  constexpr int kBr = Layout::kBr;
  extern __shared__ __align__(128) unsigned char smem[];
  const Layout L(args.key_pad, args.value_pad);
  E* sq = reinterpret_cast<E*>(smem + L.q);
  E* sk = reinterpret_cast<E*>(smem + L.k);
  E* sv = reinterpret_cast<E*>(smem + L.v);
  float* ss = reinterpret_cast<float*>(smem + L.s);
  E* sp = reinterpret_cast<E*>(smem + L.p);
  float* so = reinterpret_cast<float*>(smem + L.o);
  float* row_max = reinterpret_cast<float*>(smem + L.row_max);
  float* row_sum = reinterpret_cast<float*>(smem + L.row_sum);

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t head = blockIdx.y, kv_head = head / args.group;
  const int32_t* tile = args.tiles + 3 * int64_t(blockIdx.x);
  const int64_t seq_begin = tile[0];
  const int seq_len = tile[1], q0 = tile[2];
  const int q_rows = min(kBr, seq_len - q0);
  const E* q = static_cast<const E*>(args.q);
  const E* k = static_cast<const E*>(args.k);
  const E* v = static_cast<const E*>(args.v);

  load_head_tile(sq, L.ldq, q, seq_begin + q0, kBr, q_rows, args.q_heads, head, args.key_dim, args.key_pad);
  for (int idx = threadIdx.x; idx < kBr * L.ldo; idx += blockDim.x) so[idx] = 0.0f;
  for (int r = threadIdx.x; r < kBr; r += blockDim.x) {
    row_max[r] = -INFINITY;
    row_sum[r] = 0.0f;
  }

  const int key_end = q0 + q_rows;  // keys [0, key_end) are visible to some row of this tile
  for (int k0 = 0; k0 < key_end; k0 += kBc) {
    const int k_rows = min(kBc, seq_len - k0);
    __syncthreads();  // every warp is done with the previous key/value tile (and the loads above)
    load_head_tile(sk, L.ldq, k, seq_begin + k0, kBc, k_rows, args.kv_heads, kv_head, args.key_dim, args.key_pad);
    load_head_tile(sv, L.ldv, v, seq_begin + k0, kBc, k_rows, args.kv_heads, kv_head, args.value_dim, args.value_pad);
    __syncthreads();

    const int r0 = warp * 16;  // this warp's rows of the tile
    warp_gemm_abt(sq + r0 * L.ldq, L.ldq, sk, L.ldq, ss + r0 * L.lds, L.lds, kBc, args.key_pad);
    __syncwarp();
    for (int rr = 0; rr < 16; ++rr) {
      const int r = r0 + rr, i = q0 + r;  // i: query row within the sequence
      const bool row_valid = r < q_rows;
      float m_tile = -INFINITY;
      for (int c = lane; c < kBc; c += 32)
        if (row_valid && k0 + c <= i) m_tile = fmaxf(m_tile, ss[r * L.lds + c] * args.scale);
      m_tile = warp_max(m_tile);
      const float m_old = row_max[r];
      const float m_new = fmaxf(m_old, m_tile);
      const bool any = m_new != -INFINITY;
      const float alpha = any ? expf(m_old - m_new) : 1.0f;
      float l_tile = 0.0f;
      for (int c = lane; c < kBc; c += 32) {
        const bool visible = any && row_valid && k0 + c <= i;
        const float p = visible ? expf(ss[r * L.lds + c] * args.scale - m_new) : 0.0f;
        l_tile += p;
        sp[r * L.ldp + c] = E(p);
      }
      l_tile = warp_sum(l_tile);
      for (int c = lane; c < args.value_pad; c += 32) so[r * L.ldo + c] *= alpha;
      __syncwarp();  // every lane has read row_max[r]
      if (lane == 0) {
        row_max[r] = m_new;
        row_sum[r] = row_sum[r] * alpha + l_tile;
      }
    }
    __syncwarp();
    warp_gemm_ab_acc(sp + r0 * L.ldp, L.ldp, sv, L.ldv, so + r0 * L.ldo, L.ldo, args.value_pad, kBc);
  }
  __syncthreads();

  E* out = static_cast<E*>(args.out);
  for (int rr = 0; rr < 16; ++rr) {
    const int r = warp * 16 + rr;
    if (r >= q_rows) break;
    const int64_t token = seq_begin + q0 + r;
    const float inv = 1.0f / row_sum[r];
    E* dst = out + (token * args.q_heads + head) * args.value_dim;
    for (int c = lane; c < args.value_dim; c += 32) dst[c] = from_f32<E>(so[r * L.ldo + c] * inv);
    if (lane == 0) args.lse[token * args.q_heads + head] = row_max[r] + logf(row_sum[r]);
  }
}

template <class E, int kWarps, int kBc>
bool try_launch_forward(const ForwardArgs& base, const SeqOffsets& seqs, const char* op) {
  const ForwardLayout<E, kWarps, kBc> layout(base.key_pad, base.value_pad);
  if (layout.total > size_t(max_shared_memory_per_block())) return false;
  RowTiles tiles = build_row_tiles(seqs, ForwardLayout<E, kWarps, kBc>::kBr);
  if (tiles.count == 0) return true;
  ForwardArgs args = base;
  args.tiles = tiles.triples.as<int32_t>();
  auto kernel = attention_forward_kernel<E, kWarps, kBc>;
  prepare_smem(kernel, layout.total, op);
  dim3 grid(unsigned(tiles.count), unsigned(args.q_heads));
  kernel<<<grid, kWarps * 32, layout.total, stream()>>>(args);
  CUDA_CHECK_LAUNCH();
  return true;
}

}  // namespace

void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const SeqOffsets& seqs, double scale,
                       Tensor& out, Tensor& lse) {
  const char* op = "attention_forward";
  const AttentionShape sh = attention_shape(op, q, k, v, seqs);
  check_dtype(op, out, q.dtype(), "out");
  check_dtype(op, lse, DType::f32, "lse");
  if (sh.tokens == 0) return;
  check_heads_tensor(op, out, "out", sh, sh.q_heads, sh.value_dim);
  check_device_numel(op, lse, sh.tokens * sh.q_heads, "lse");
  ForwardArgs args{};
  args.q = q.raw();
  args.k = k.raw();
  args.v = v.raw();
  args.out = out.raw();
  args.lse = static_cast<float*>(lse.raw());
  args.q_heads = sh.q_heads;
  args.kv_heads = sh.kv_heads;
  args.group = sh.group();
  args.key_dim = int(sh.key_dim);
  args.value_dim = int(sh.value_dim);
  args.key_pad = pad16(sh.key_dim);
  args.value_pad = pad16(sh.value_dim);
  args.scale = float(scale);
  bool launched = false;
  if (q.dtype() == DType::bf16) {
    MmaAttentionArgs m = mma_attention_args(q, k, v, sh, scale);
    m.out = static_cast<bf16_t*>(out.raw());
    m.lse = args.lse;
    launched = attention_forward_mma(m, seqs, op) || try_launch_forward<bf16_t, 4, 64>(args, seqs, op) ||
               try_launch_forward<bf16_t, 2, 32>(args, seqs, op);
  } else if (q.dtype() == DType::f32) {
    launched = try_launch_forward<float, 2, 32>(args, seqs, op);
  } else {
    throw Error(std::string(op) + ": CUDA attention takes f32 or bf16 q/k/v, got " + q.describe());
  }
  R1_CHECK(launched, op, ": head dimensions ", sh.key_dim, " / ", sh.value_dim,
           " need more shared memory than the device allows");
}

}  // namespace r1::ops::cuda
