// CUDA causal flash attention backward (FlashAttention-2 scheme), deterministic and without atomics.
// Probabilities are recomputed from the saved lse: P = exp(scale * Q K^T - lse), dP = dO V^T,
// dS = P * (dP - D) with D_i = rowsum(dO_i * O_i) (a first small kernel). Then two passes:
//   1. one block per (key tile, kv head): K, V stay in shared memory while, for each query head of
//      the kv head's group in order and each query tile from the diagonal on, Q and dO stream
//      through; dV += P^T dO and dK += dS^T Q accumulate in f32 shared memory (warp-private rows);
//   2. one block per (query tile, query head): Q, dO stay while K, V tiles up to the diagonal stream
//      through; dQ += dS K.
// Every gradient row has one owner and a fixed summation order. bf16 inputs whose head dimensions
// fit a compiled variant run the register-resident mma.sync kernels of the same two passes
// (cuda_attention_backward_mma.cu); other bf16 inputs use the WMMA tile products here (P and dS
// rounded to bf16 as operands); f32 inputs use FMA.
#include "kernels/cuda/cuda_attention_common.cuh"
#include "kernels/cuda/cuda_attention_mma.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

struct BackwardArgs {
  const void* q;
  const void* k;
  const void* v;
  const void* dout;
  const float* lse;    // [N, Hq]
  const float* delta;  // [N, Hq]: D = rowsum(dO * O)
  void* dq;
  void* dk;
  void* dv;
  const int32_t* tiles;  // [tiles, 3]
  int64_t q_heads, kv_heads, group;
  int key_dim, value_dim, key_pad, value_pad;
  float scale;
};

// delta[n, h] = sum_c dout[n, h, c] * out[n, h, c], one warp per (n, h).
template <class E>
__global__ void attention_delta_kernel(const E* out, const E* dout, float* delta, int64_t rows, int value_dim) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  for (int64_t row = int64_t(blockIdx.x) * warps + warp; row < rows; row += int64_t(gridDim.x) * warps) {
    const E* o = out + row * value_dim;
    const E* g = dout + row * value_dim;
    float s = 0.0f;
    for (int c = lane; c < value_dim; c += 32) s += to_f32(o[c]) * to_f32(g[c]);
    s = warp_sum(s);
    if (lane == 0) delta[row] = s;
  }
}

// Loads per-row statistics (lse or delta) of head `head` for rows [row0, row0 + rows) (0 past `valid`).
__device__ __forceinline__ void load_row_stats(float* dst, const float* src, int64_t row0, int rows, int valid,
                                               int64_t heads, int64_t head) {
  for (int r = threadIdx.x; r < rows; r += blockDim.x) dst[r] = r < valid ? src[(row0 + r) * heads + head] : 0.0f;
}

// ---- pass 1: dK, dV ------------------------------------------------------------------------------
template <class E, int kWarps, int kBr>
struct KeyValueLayout {
  static constexpr int kBc = kWarps * 16;  // key rows per block
  int ldk, ldv, lds, ldp, lddk, lddv;
  size_t k, v, q, dout, s, dp, p, ds, dk, dv, lse, delta, total;
  __host__ __device__ KeyValueLayout(int key_pad, int value_pad) {
    using Pads = AttentionPads<E>;
    ldk = key_pad + Pads::element;  // K and Q rows
    ldv = value_pad + Pads::element;  // V and dO rows
    lds = kBr + Pads::accumulator;
    ldp = kBr + Pads::element;
    lddk = key_pad + Pads::accumulator;
    lddv = value_pad + Pads::accumulator;
    SmemCarver carve;
    k = carve.take(sizeof(E) * kBc * ldk);         // [Bc, Dk]
    v = carve.take(sizeof(E) * kBc * ldv);         // [Bc, Dv]
    q = carve.take(sizeof(E) * kBr * ldk);         // [Br, Dk]
    dout = carve.take(sizeof(E) * kBr * ldv);      // [Br, Dv]
    s = carve.take(sizeof(float) * kBc * lds);     // [Bc, Br] S^T
    dp = carve.take(sizeof(float) * kBc * lds);    // [Bc, Br] dP^T
    p = carve.take(sizeof(E) * kBc * ldp);         // [Bc, Br] P^T
    ds = carve.take(sizeof(E) * kBc * ldp);        // [Bc, Br] dS^T
    dk = carve.take(sizeof(float) * kBc * lddk);   // [Bc, Dk] accumulator
    dv = carve.take(sizeof(float) * kBc * lddv);   // [Bc, Dv] accumulator
    lse = carve.take(sizeof(float) * kBr);
    delta = carve.take(sizeof(float) * kBr);
    total = carve.used;
  }
};

template <class E, int kWarps, int kBr>
__global__ void __launch_bounds__(kWarps * 32) attention_dkdv_kernel(BackwardArgs args) {
  using Layout = KeyValueLayout<E, kWarps, kBr>;
  constexpr int kBc = Layout::kBc;
  extern __shared__ __align__(128) unsigned char smem[];
  const Layout L(args.key_pad, args.value_pad);
  E* sk = reinterpret_cast<E*>(smem + L.k);
  E* sv = reinterpret_cast<E*>(smem + L.v);
  E* sq = reinterpret_cast<E*>(smem + L.q);
  E* sdo = reinterpret_cast<E*>(smem + L.dout);
  float* ss = reinterpret_cast<float*>(smem + L.s);
  float* sdp = reinterpret_cast<float*>(smem + L.dp);
  E* sp = reinterpret_cast<E*>(smem + L.p);
  E* sds = reinterpret_cast<E*>(smem + L.ds);
  float* sdk = reinterpret_cast<float*>(smem + L.dk);
  float* sdv = reinterpret_cast<float*>(smem + L.dv);
  float* slse = reinterpret_cast<float*>(smem + L.lse);
  float* sdelta = reinterpret_cast<float*>(smem + L.delta);

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t kv_head = blockIdx.y;
  const int32_t* tile = args.tiles + 3 * int64_t(blockIdx.x);
  const int64_t seq_begin = tile[0];
  const int seq_len = tile[1], k0 = tile[2];
  const int k_rows = min(kBc, seq_len - k0);
  const E* q = static_cast<const E*>(args.q);
  const E* dout = static_cast<const E*>(args.dout);

  load_head_tile(sk, L.ldk, static_cast<const E*>(args.k), seq_begin + k0, kBc, k_rows, args.kv_heads, kv_head,
                 args.key_dim, args.key_pad);
  load_head_tile(sv, L.ldv, static_cast<const E*>(args.v), seq_begin + k0, kBc, k_rows, args.kv_heads, kv_head,
                 args.value_dim, args.value_pad);
  for (int idx = threadIdx.x; idx < kBc * L.lddk; idx += blockDim.x) sdk[idx] = 0.0f;
  for (int idx = threadIdx.x; idx < kBc * L.lddv; idx += blockDim.x) sdv[idx] = 0.0f;

  const int r0 = warp * 16;  // this warp's key rows of the tile
  const int first_q = k0 / kBr * kBr;  // queries i >= k0 see this tile's keys
  for (int64_t head = kv_head * args.group; head < (kv_head + 1) * args.group; ++head) {
    for (int q0 = first_q; q0 < seq_len; q0 += kBr) {
      const int q_rows = min(kBr, seq_len - q0);
      __syncthreads();  // every warp is done with the previous query tile (and the loads above)
      load_head_tile(sq, L.ldk, q, seq_begin + q0, kBr, q_rows, args.q_heads, head, args.key_dim, args.key_pad);
      load_head_tile(sdo, L.ldv, dout, seq_begin + q0, kBr, q_rows, args.q_heads, head, args.value_dim, args.value_pad);
      load_row_stats(slse, args.lse, seq_begin + q0, kBr, q_rows, args.q_heads, head);
      load_row_stats(sdelta, args.delta, seq_begin + q0, kBr, q_rows, args.q_heads, head);
      __syncthreads();

      warp_gemm_abt(sk + r0 * L.ldk, L.ldk, sq, L.ldk, ss + r0 * L.lds, L.lds, kBr, args.key_pad);   // S^T
      warp_gemm_abt(sv + r0 * L.ldv, L.ldv, sdo, L.ldv, sdp + r0 * L.lds, L.lds, kBr, args.value_pad);  // dP^T
      __syncwarp();
      for (int idx = lane; idx < 16 * kBr; idx += 32) {
        const int rr = idx / kBr, c = idx % kBr;
        const int j = k0 + r0 + rr, i = q0 + c;  // key and query rows within the sequence
        const bool visible = r0 + rr < k_rows && c < q_rows && j <= i;
        const int at = (r0 + rr) * L.lds + c;
        const float p = visible ? expf(ss[at] * args.scale - slse[c]) : 0.0f;
        const float ds = visible ? p * (sdp[at] - sdelta[c]) : 0.0f;
        sp[(r0 + rr) * L.ldp + c] = E(p);
        sds[(r0 + rr) * L.ldp + c] = E(ds);
      }
      __syncwarp();
      warp_gemm_ab_acc(sp + r0 * L.ldp, L.ldp, sdo, L.ldv, sdv + r0 * L.lddv, L.lddv, args.value_pad, kBr);  // dV += P^T dO
      warp_gemm_ab_acc(sds + r0 * L.ldp, L.ldp, sq, L.ldk, sdk + r0 * L.lddk, L.lddk, args.key_pad, kBr);    // dK += dS^T Q
    }
  }
  __syncthreads();

  E* dk = static_cast<E*>(args.dk);
  E* dv = static_cast<E*>(args.dv);
  for (int rr = 0; rr < 16; ++rr) {
    const int r = r0 + rr;
    if (r >= k_rows) break;
    const int64_t token = seq_begin + k0 + r;
    E* dk_row = dk + (token * args.kv_heads + kv_head) * args.key_dim;
    E* dv_row = dv + (token * args.kv_heads + kv_head) * args.value_dim;
    for (int c = lane; c < args.key_dim; c += 32) dk_row[c] = from_f32<E>(sdk[r * L.lddk + c] * args.scale);
    for (int c = lane; c < args.value_dim; c += 32) dv_row[c] = from_f32<E>(sdv[r * L.lddv + c]);
  }
}

// ---- pass 2: dQ -------------------------------------------------------------------------------------
template <class E, int kWarps, int kBc>
struct QueryLayout {
  static constexpr int kBr = kWarps * 16;  // query rows per block
  int ldk, ldv, lds, ldp, lddq;
  size_t q, dout, k, v, s, dp, ds, dq, lse, delta, total;
  __host__ __device__ QueryLayout(int key_pad, int value_pad) {
    using Pads = AttentionPads<E>;
    ldk = key_pad + Pads::element;
    ldv = value_pad + Pads::element;
    lds = kBc + Pads::accumulator;
    ldp = kBc + Pads::element;
    lddq = key_pad + Pads::accumulator;
    SmemCarver carve;
    q = carve.take(sizeof(E) * kBr * ldk);        // [Br, Dk]
    dout = carve.take(sizeof(E) * kBr * ldv);     // [Br, Dv]
    k = carve.take(sizeof(E) * kBc * ldk);        // [Bc, Dk]
    v = carve.take(sizeof(E) * kBc * ldv);        // [Bc, Dv]
    s = carve.take(sizeof(float) * kBr * lds);    // [Br, Bc] S
    dp = carve.take(sizeof(float) * kBr * lds);   // [Br, Bc] dP
    ds = carve.take(sizeof(E) * kBr * ldp);       // [Br, Bc] dS
    dq = carve.take(sizeof(float) * kBr * lddq);  // [Br, Dk] accumulator
    lse = carve.take(sizeof(float) * kBr);
    delta = carve.take(sizeof(float) * kBr);
    total = carve.used;
  }
};

template <class E, int kWarps, int kBc>
__global__ void __launch_bounds__(kWarps * 32) attention_dq_kernel(BackwardArgs args) {
  using Layout = QueryLayout<E, kWarps, kBc>;
  constexpr int kBr = Layout::kBr;
  extern __shared__ __align__(128) unsigned char smem[];
  const Layout L(args.key_pad, args.value_pad);
  E* sq = reinterpret_cast<E*>(smem + L.q);
  E* sdo = reinterpret_cast<E*>(smem + L.dout);
  E* sk = reinterpret_cast<E*>(smem + L.k);
  E* sv = reinterpret_cast<E*>(smem + L.v);
  float* ss = reinterpret_cast<float*>(smem + L.s);
  float* sdp = reinterpret_cast<float*>(smem + L.dp);
  E* sds = reinterpret_cast<E*>(smem + L.ds);
  float* sdq = reinterpret_cast<float*>(smem + L.dq);
  float* slse = reinterpret_cast<float*>(smem + L.lse);
  float* sdelta = reinterpret_cast<float*>(smem + L.delta);

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t head = blockIdx.y, kv_head = head / args.group;
  const int32_t* tile = args.tiles + 3 * int64_t(blockIdx.x);
  const int64_t seq_begin = tile[0];
  const int seq_len = tile[1], q0 = tile[2];
  const int q_rows = min(kBr, seq_len - q0);
  const E* k = static_cast<const E*>(args.k);
  const E* v = static_cast<const E*>(args.v);

  load_head_tile(sq, L.ldk, static_cast<const E*>(args.q), seq_begin + q0, kBr, q_rows, args.q_heads, head,
                 args.key_dim, args.key_pad);
  load_head_tile(sdo, L.ldv, static_cast<const E*>(args.dout), seq_begin + q0, kBr, q_rows, args.q_heads, head,
                 args.value_dim, args.value_pad);
  load_row_stats(slse, args.lse, seq_begin + q0, kBr, q_rows, args.q_heads, head);
  load_row_stats(sdelta, args.delta, seq_begin + q0, kBr, q_rows, args.q_heads, head);
  for (int idx = threadIdx.x; idx < kBr * L.lddq; idx += blockDim.x) sdq[idx] = 0.0f;

  const int r0 = warp * 16;  // this warp's query rows of the tile
  const int key_end = q0 + q_rows;
  for (int k0 = 0; k0 < key_end; k0 += kBc) {
    const int k_rows = min(kBc, seq_len - k0);
    __syncthreads();  // every warp is done with the previous key/value tile (and the loads above)
    load_head_tile(sk, L.ldk, k, seq_begin + k0, kBc, k_rows, args.kv_heads, kv_head, args.key_dim, args.key_pad);
    load_head_tile(sv, L.ldv, v, seq_begin + k0, kBc, k_rows, args.kv_heads, kv_head, args.value_dim, args.value_pad);
    __syncthreads();

    warp_gemm_abt(sq + r0 * L.ldk, L.ldk, sk, L.ldk, ss + r0 * L.lds, L.lds, kBc, args.key_pad);     // S
    warp_gemm_abt(sdo + r0 * L.ldv, L.ldv, sv, L.ldv, sdp + r0 * L.lds, L.lds, kBc, args.value_pad);  // dP
    __syncwarp();
    for (int idx = lane; idx < 16 * kBc; idx += 32) {
      const int rr = idx / kBc, c = idx % kBc;
      const int i = q0 + r0 + rr, j = k0 + c;  // query and key rows within the sequence
      const bool visible = r0 + rr < q_rows && c < k_rows && j <= i;
      const int at = (r0 + rr) * L.lds + c;
      const float p = visible ? expf(ss[at] * args.scale - slse[r0 + rr]) : 0.0f;
      sds[(r0 + rr) * L.ldp + c] = E(visible ? p * (sdp[at] - sdelta[r0 + rr]) : 0.0f);
    }
    __syncwarp();
    warp_gemm_ab_acc(sds + r0 * L.ldp, L.ldp, sk, L.ldk, sdq + r0 * L.lddq, L.lddq, args.key_pad, kBc);  // dQ += dS K
  }
  __syncthreads();

  E* dq = static_cast<E*>(args.dq);
  for (int rr = 0; rr < 16; ++rr) {
    const int r = r0 + rr;
    if (r >= q_rows) break;
    const int64_t token = seq_begin + q0 + r;
    E* dq_row = dq + (token * args.q_heads + head) * args.key_dim;
    for (int c = lane; c < args.key_dim; c += 32) dq_row[c] = from_f32<E>(sdq[r * L.lddq + c] * args.scale);
  }
}

template <class E, int kWarps, int kBr>
bool try_launch_dkdv(const BackwardArgs& base, const SeqOffsets& seqs, const char* op) {
  using Layout = KeyValueLayout<E, kWarps, kBr>;
  const Layout layout(base.key_pad, base.value_pad);
  if (layout.total > size_t(max_shared_memory_per_block())) return false;
  RowTiles tiles = build_row_tiles(seqs, Layout::kBc);
  if (tiles.count == 0) return true;
  BackwardArgs args = base;
  args.tiles = tiles.triples.as<int32_t>();
  auto kernel = attention_dkdv_kernel<E, kWarps, kBr>;
  prepare_smem(kernel, layout.total, op);
  kernel<<<dim3(unsigned(tiles.count), unsigned(args.kv_heads)), kWarps * 32, layout.total, stream()>>>(args);
  CUDA_CHECK_LAUNCH();
  return true;
}

template <class E, int kWarps, int kBc>
bool try_launch_dq(const BackwardArgs& base, const SeqOffsets& seqs, const char* op) {
  using Layout = QueryLayout<E, kWarps, kBc>;
  const Layout layout(base.key_pad, base.value_pad);
  if (layout.total > size_t(max_shared_memory_per_block())) return false;
  RowTiles tiles = build_row_tiles(seqs, Layout::kBr);
  if (tiles.count == 0) return true;
  BackwardArgs args = base;
  args.tiles = tiles.triples.as<int32_t>();
  auto kernel = attention_dq_kernel<E, kWarps, kBc>;
  prepare_smem(kernel, layout.total, op);
  kernel<<<dim3(unsigned(tiles.count), unsigned(args.q_heads)), kWarps * 32, layout.total, stream()>>>(args);
  CUDA_CHECK_LAUNCH();
  return true;
}

}  // namespace

void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& lse,
                        const Tensor& dout, const SeqOffsets& seqs, double scale, Tensor& dq, Tensor& dk, Tensor& dv) {
  const char* op = "attention_backward";
  const AttentionShape sh = attention_shape(op, q, k, v, seqs);
  check_dtype(op, out, q.dtype(), "out");
  check_dtype(op, dout, q.dtype(), "dout");
  check_dtype(op, dq, q.dtype(), "dq");
  check_dtype(op, dk, q.dtype(), "dk");
  check_dtype(op, dv, q.dtype(), "dv");
  check_dtype(op, lse, DType::f32, "lse");
  if (sh.tokens == 0) return;
  check_heads_tensor(op, out, "out", sh, sh.q_heads, sh.value_dim);
  check_heads_tensor(op, dout, "dout", sh, sh.q_heads, sh.value_dim);
  check_heads_tensor(op, dq, "dq", sh, sh.q_heads, sh.key_dim);
  check_heads_tensor(op, dk, "dk", sh, sh.kv_heads, sh.key_dim);
  check_heads_tensor(op, dv, "dv", sh, sh.kv_heads, sh.value_dim);
  check_device_numel(op, lse, sh.tokens * sh.q_heads, "lse");

  const int64_t rows = sh.tokens * sh.q_heads;
  DeviceBuffer delta(size_t(rows) * sizeof(float));  // [N, Hq]
  BackwardArgs args{};
  args.q = q.raw();
  args.k = k.raw();
  args.v = v.raw();
  args.dout = dout.raw();
  args.lse = static_cast<const float*>(lse.raw());
  args.delta = delta.as<float>();
  args.dq = dq.raw();
  args.dk = dk.raw();
  args.dv = dv.raw();
  args.q_heads = sh.q_heads;
  args.kv_heads = sh.kv_heads;
  args.group = sh.group();
  args.key_dim = int(sh.key_dim);
  args.value_dim = int(sh.value_dim);
  args.key_pad = pad16(sh.key_dim);
  args.value_pad = pad16(sh.value_dim);
  args.scale = float(scale);

  const int delta_warps = 8;
  const int64_t delta_blocks = (rows + delta_warps - 1) / delta_warps;
  const int64_t delta_cap = int64_t(multiprocessor_count()) * 32;
  const unsigned blocks = unsigned(delta_blocks < delta_cap ? delta_blocks : delta_cap);
  bool launched_kv = false, launched_q = false;
  if (q.dtype() == DType::bf16) {
    attention_delta_kernel<<<blocks, delta_warps * 32, 0, stream()>>>(
        static_cast<const bf16_t*>(out.raw()), static_cast<const bf16_t*>(dout.raw()), delta.as<float>(), rows,
        args.value_dim);
    CUDA_CHECK_LAUNCH();
    MmaAttentionArgs m = mma_attention_args(q, k, v, sh, scale);
    m.dout = static_cast<const bf16_t*>(dout.raw());
    m.lse = const_cast<float*>(args.lse);
    m.delta = args.delta;
    m.dq = static_cast<bf16_t*>(dq.raw());
    m.dk = static_cast<bf16_t*>(dk.raw());
    m.dv = static_cast<bf16_t*>(dv.raw());
    if (attention_backward_mma(m, seqs, op)) {
      launched_kv = launched_q = true;
    } else {
      launched_kv = try_launch_dkdv<bf16_t, 4, 64>(args, seqs, op) || try_launch_dkdv<bf16_t, 2, 32>(args, seqs, op);
      launched_q = try_launch_dq<bf16_t, 4, 64>(args, seqs, op) || try_launch_dq<bf16_t, 2, 32>(args, seqs, op);
    }
  } else if (q.dtype() == DType::f32) {
    attention_delta_kernel<<<blocks, delta_warps * 32, 0, stream()>>>(
        static_cast<const float*>(out.raw()), static_cast<const float*>(dout.raw()), delta.as<float>(), rows,
        args.value_dim);
    CUDA_CHECK_LAUNCH();
    launched_kv = try_launch_dkdv<float, 2, 32>(args, seqs, op);
    launched_q = try_launch_dq<float, 2, 32>(args, seqs, op);
  } else {
    throw Error(std::string(op) + ": CUDA attention takes f32 or bf16 q/k/v, got " + q.describe());
  }
  R1_CHECK(launched_kv && launched_q, op, ": head dimensions ", sh.key_dim, " / ", sh.value_dim,
           " need more shared memory than the device allows");
}

}  // namespace r1::ops::cuda
