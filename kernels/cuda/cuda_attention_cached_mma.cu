// Tensor-core partial results of the cached (generation) attention for bf16 GQA caches: a block takes
// one (row, KV head, head tile, key chunk) as the scalar kernel of cuda_attention_cached.cu does and
// writes the same partial results (per query head: the chunk's max scaled score, sum of exp(score -
// max) and unnormalised value sums), but its four warps compute the scores and value sums with
// m16n8k16 MMAs: the tile's query heads (at most 16, zero rows beyond) are the A operand, each warp
// takes 16 of every 64 keys staged in shared memory (cp.async), keeps a running max, sum and value
// sums over the chunk's 64-key steps, and the warps' results are merged in warp order. When the rows
// alone fill the device (batched decoding), one block per (row, KV head) takes the row's chunks in
// order and then combines them with the combine kernel's own code: no second launch, the same bits.
// Fixed orders: deterministic, and a row's result does not depend on the other rows.
#include "kernels/cuda/cuda_attention_cached.cuh"
#include "kernels/cuda/cuda_attention_mma.cuh"

namespace r1::ops::cuda {

namespace {

constexpr int kWarps = 4;
constexpr int kStepKeys = 16 * kWarps;  // keys staged per step

// Shared memory (bf16 rows padded by 8 elements: conflict-free ldmatrix): query rows [16][D + 8],
// key and value rows [64][D + 8] each; after the key loop the key/value region holds the warps'
// value sums [warps][16][D] f32; then the warps' max and sum [warps][16][2] f32.
template <int D>
struct CachedMmaSmem {
  static constexpr int kLd = D + 8;
  static constexpr int kQ = 0;
  static constexpr int kK = kQ + 16 * kLd * 2;
  static constexpr int kV = kK + kStepKeys * kLd * 2;
  static constexpr int kMl = kV + kStepKeys * kLd * 2;
  static constexpr int kBytes = kMl + kWarps * 16 * 2 * 4;
  static_assert(kWarps * 16 * D * 4 <= kMl - kK, "value sums fit the key/value region");
};

// One chunk (keys [j0, j0 + keys) of the row's cache slot) of KV head kvh for the tile's query heads,
// whose rows are already in (or on their way to) shared memory: its partial results, at part.
template <int D>
__device__ void chunk_partial(const CachedArgs& a, unsigned char* smem, int32_t slot, int64_t kvh, int64_t j0, int keys,
                              int heads, int64_t part) {
  using S = CachedMmaSmem<D>;
  constexpr int kLd = S::kLd;
  const bf16_t* q_s = reinterpret_cast<const bf16_t*>(smem + S::kQ);
  bf16_t* k_s = reinterpret_cast<bf16_t*>(smem + S::kK);
  bf16_t* v_s = reinterpret_cast<bf16_t*>(smem + S::kV);
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31, g = lane / 4, t = lane % 4;
  const int64_t cache_row0 = (int64_t(slot) * a.capacity + j0) * a.kv_heads + kvh;
  const bf16_t* k_rows = static_cast<const bf16_t*>(a.k_cache) + cache_row0 * D;
  const bf16_t* v_rows = static_cast<const bf16_t*>(a.v_cache) + cache_row0 * a.value_stride;
  const int64_t k_stride = a.kv_heads * D, v_stride = a.kv_heads * a.value_stride;

  float m_run[2] = {-INFINITY, -INFINITY}, l_run[2] = {0.0f, 0.0f};  // rows g and g + 8
  float o[D / 8][4];
  zero(o);
  for (int step = 0; step < keys; step += kStepKeys) {
    const int n = min(kStepKeys, keys - step);
    __syncthreads();  // the previous step's tiles are no longer read
    copy_rows_async<kStepKeys, D, kWarps * 32>(k_s, kLd, k_rows + step * k_stride, k_stride, n, D);
    copy_rows_async<kStepKeys, D, kWarps * 32>(v_s, kLd, v_rows + step * v_stride, v_stride, n, D);
    cp_async_commit();
    cp_async_wait_all();
    __syncthreads();
    const int key0 = warp * 16;
    if (key0 >= n) continue;
    float s[2][4];
    zero(s);
    product_abt<2, D>(s, q_s, kLd, 0, k_s + key0 * kLd, kLd);
    // Scale, mask keys past n, and the running softmax of rows g (e = 0, 1) and g + 8 (e = 2, 3).
    float step_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int j = 0; j < 2; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = key0 + 8 * j + 2 * t + (e & 1);
        s[j][e] = key < n ? s[j][e] * a.scale : -INFINITY;
        step_max[e >> 1] = fmaxf(step_max[e >> 1], s[j][e]);
      }
    float correction[2], step_sum[2] = {0.0f, 0.0f};
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const float m_new = fmaxf(m_run[h], quad_max(step_max[h]));  // finite: key0 < n
      correction[h] = expf(m_run[h] - m_new);                       // 0 on the first step
      m_run[h] = m_new;
    }
#pragma unroll
    for (int j = 0; j < 2; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[j][e] = expf(s[j][e] - m_run[e >> 1]);
        step_sum[e >> 1] += s[j][e];
      }
#pragma unroll
    for (int h = 0; h < 2; ++h) l_run[h] = l_run[h] * correction[h] + quad_sum(step_sum[h]);
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      o[j][0] *= correction[0];
      o[j][1] *= correction[0];
      o[j][2] *= correction[1];
      o[j][3] *= correction[1];
    }
    product_pb<D / 8, 1>(o, s, v_s + key0 * kLd, kLd);
  }

  // Merge the warps in warp order: M = max of their maxima, each warp's sums scaled by exp(m - M).
  __syncthreads();  // every warp is done with the key/value tiles
  float* o_s = reinterpret_cast<float*>(smem + S::kK);  // [warps][16][D]
  float* ml_s = reinterpret_cast<float*>(smem + S::kMl);  // [warps][16][2]
  if (t == 0) {
    ml_s[(warp * 16 + g) * 2] = m_run[0];
    ml_s[(warp * 16 + g) * 2 + 1] = l_run[0];
    ml_s[(warp * 16 + g + 8) * 2] = m_run[1];
    ml_s[(warp * 16 + g + 8) * 2 + 1] = l_run[1];
  }
#pragma unroll
  for (int j = 0; j < D / 8; ++j) {
    const int col = 8 * j + 2 * t;
    o_s[(warp * 16 + g) * D + col] = o[j][0];
    o_s[(warp * 16 + g) * D + col + 1] = o[j][1];
    o_s[(warp * 16 + g + 8) * D + col] = o[j][2];
    o_s[(warp * 16 + g + 8) * D + col + 1] = o[j][3];
  }
  __syncthreads();
  for (int i = threadIdx.x; i < heads * D; i += blockDim.x) {
    const int h = i / D, d = i % D;
    float m = -INFINITY;
    for (int w = 0; w < kWarps; ++w) m = fmaxf(m, ml_s[(w * 16 + h) * 2]);
    float sum = 0.0f, l = 0.0f;
    for (int w = 0; w < kWarps; ++w) {
      const float mw = ml_s[(w * 16 + h) * 2];
      const float f = mw == -INFINITY ? 0.0f : expf(mw - m);  // a warp without keys adds nothing
      sum += f * o_s[(w * 16 + h) * D + d];
      l += f * ml_s[(w * 16 + h) * 2 + 1];
    }
    a.part_out[(part + int64_t(h) * a.chunks) * a.value_dim + d] = sum;
    if (d == 0) {
      a.part_ml[(part + h * a.chunks) * 2] = m;
      a.part_ml[(part + h * a.chunks) * 2 + 1] = l;
    }
  }
}

// Grid (chunks, pass rows * Hkv * head tiles), or (1, ...) with whole_rows: each block then takes
// all the row's chunks in order and combines them.
template <int D>
__global__ void __launch_bounds__(kWarps * 32) cached_partial_mma_kernel(CachedArgs a, bool whole_rows) {
  using S = CachedMmaSmem<D>;
  constexpr int kLd = S::kLd;
  extern __shared__ __align__(16) unsigned char smem[];
  bf16_t* q_s = reinterpret_cast<bf16_t*>(smem + S::kQ);
  const int64_t tile = blockIdx.y % a.head_tiles, kvh = (blockIdx.y / a.head_tiles) % a.kv_heads;
  const int64_t local = blockIdx.y / (a.head_tiles * a.kv_heads), row = a.row0 + local;
  const int64_t first_split = whole_rows ? 0 : blockIdx.x;
  int32_t slot = 0;
  const int64_t len = row_length(a, row, &slot);
  if (first_split * a.chunk >= len) return;  // past this row's keys: the combine reads only the chunks below len
  const int64_t h_first = kvh * a.group + tile * 16;
  const int heads = int(min(int64_t(16), a.group - tile * 16));
  const bf16_t* q = static_cast<const bf16_t*>(a.q) + (row * a.q_heads + h_first) * D;
  copy_rows_async<16, D, kWarps * 32>(q_s, kLd, q, D, heads, D);  // waited for with the first keys
  const int64_t end_split = whole_rows ? (len + a.chunk - 1) / a.chunk : first_split + 1;
  for (int64_t split = first_split; split < end_split; ++split) {
    const int64_t j0 = split * a.chunk;
    const int64_t part = (local * a.q_heads + h_first) * a.chunks + split;  // (local, h_first, split)
    chunk_partial<D>(a, smem, slot, kvh, j0, int(min(a.chunk, len - j0)), heads, part);
  }
  if (!whole_rows) return;
  __syncthreads();  // the block's partial results are written
  for (int h = 0; h < heads; ++h) combine_chunks<bf16_t>(a, local, h_first + h, len);
}

template <int D>
void launch(const CachedArgs& a, int64_t rows, int64_t head_tiles, bool whole_rows) {
  constexpr int bytes = CachedMmaSmem<D>::kBytes;
  static const bool configured = [] {
    CUDA_CHECK(cudaFuncSetAttribute(cached_partial_mma_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    return true;
  }();
  (void)configured;
  const dim3 grid(whole_rows ? 1u : unsigned(a.chunks), unsigned(rows * a.kv_heads * head_tiles));
  cached_partial_mma_kernel<D><<<grid, kWarps * 32, bytes, stream()>>>(a, whole_rows);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

CachedMma cached_partial_mma(const CachedArgs& a, int64_t rows, int64_t head_tiles, DType dtype, bool shared_values,
                             bool vec) {
  if (dtype != DType::bf16 || shared_values || !vec || a.key_dim != a.value_dim || a.group > 16 ||
      a.chunk % kStepKeys != 0 || (reinterpret_cast<uintptr_t>(a.q) & 15) != 0 || (a.key_dim != 64 && a.key_dim != 128))
    return CachedMma::none;
  // Enough (row, KV head) blocks to cover the device: no split over the keys, no combine kernel.
  const bool whole_rows = rows * a.kv_heads * head_tiles >= multiprocessor_count();
  if (a.key_dim == 64)
    launch<64>(a, rows, head_tiles, whole_rows);
  else
    launch<128>(a, rows, head_tiles, whole_rows);
  return whole_rows ? CachedMma::complete : CachedMma::partials;
}

}  // namespace r1::ops::cuda
