// The expert weight gradient of the grouped GEMM, bf16 operands into f32 gradients, as one tensor-core
// kernel over every expert: dw_g[n, k] += dy_g^T x_g where group g owns rows [offsets[g], offsets[g+1])
// of dy [rows, n] and x [rows, k]. cuBLAS has no grouped form with bf16 operands and an f32 result, and
// one cublasGemmEx per expert leaves most of the GPU idle (each expert is a 1-2k-row reduction into a
// few hundred thousand outputs). Here a block owns a 128x128 output tile of one expert and reduces over
// that expert's rows in 32-row steps through a 4-stage cp.async pipeline, then adds its f32 tile to dw:
// one launch, no atomics, the same bits on every run.
#include <cstdint>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_mma.cuh"

namespace r1::ops::cuda {

namespace {

constexpr int kTileM = 128, kTileN = 128, kStepRows = 32, kStages = 4, kBlockThreads = 256;
constexpr int kTileLd = 128 + 8;  // padded row: consecutive tile rows start 4 banks apart (no ldmatrix conflicts)
constexpr int kStageElements = 2 * kStepRows * kTileLd;  // the dy tile, then the x tile
constexpr size_t kSharedBytes = size_t(kStages) * kStageElements * sizeof(bf16_t);
constexpr int kMaxGroups = 512;

// Group row ranges, passed by value (no upload, capturable in a CUDA graph).
struct GroupRows {
  int offsets[kMaxGroups + 1];
};

// Block (tile, group): the warps form a 2 x 4 grid of 64 x 32 output sub-tiles; warp (wm, wn) holds
// acc[i][j] for rows [64 wm + 16 i, +16) and columns [32 wn + 8 j, +8) of the block's tile.
__global__ void __launch_bounds__(kBlockThreads, 2)
    grouped_weight_grad_kernel(const bf16_t* __restrict__ dy, const bf16_t* __restrict__ x, float* __restrict__ dw,
                               int n, int k, int tiles_k, GroupRows rows) {
  const int group = blockIdx.y;
  const int row_begin = rows.offsets[group], row_end = rows.offsets[group + 1];
  if (row_begin >= row_end) return;  // adds nothing
  const int m0 = int(blockIdx.x) / tiles_k * kTileM, n0 = int(blockIdx.x) % tiles_k * kTileN;
  extern __shared__ __align__(16) bf16_t shared[];
  const int steps = (row_end - row_begin + kStepRows - 1) / kStepRows;

  auto load_step = [&](int step) {
    bf16_t* tile = shared + (step % kStages) * kStageElements;
    const int r = row_begin + step * kStepRows, valid = row_end - r;
    copy_rows_async<kStepRows, kTileM, kBlockThreads>(tile, kTileLd, dy + int64_t(r) * n + m0, n, valid, n - m0);
    copy_rows_async<kStepRows, kTileN, kBlockThreads>(tile + kStepRows * kTileLd, kTileLd, x + int64_t(r) * k + n0, k,
                                                      valid, k - n0);
  };
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < steps) load_step(s);
    cp_async_commit();
  }

  const int warp = threadIdx.x / 32, wm = warp / 4, wn = warp % 4;
  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0.0f;

  for (int step = 0; step < steps; ++step) {
    cp_async_wait_pending<kStages - 2>();  // this step's tiles have landed
    __syncthreads();                       // ... for every thread, and every warp is done with step - 1
    if (step + kStages - 1 < steps) load_step(step + kStages - 1);  // into step - 1's stage
    cp_async_commit();
    const bf16_t* tile_dy = shared + (step % kStages) * kStageElements;
    const bf16_t* tile_x = tile_dy + kStepRows * kTileLd;
#pragma unroll
    for (int kk = 0; kk < kStepRows; kk += 16) {
      uint32_t a[4][4], b[2][4];
#pragma unroll
      for (int i = 0; i < 4; ++i) load_a_km(a[i], tile_dy, kTileLd, kk, wm * 64 + i * 16);
#pragma unroll
      for (int jp = 0; jp < 2; ++jp) load_b_kn(b[jp], tile_x, kTileLd, kk, wn * 32 + jp * 16);
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int jp = 0; jp < 2; ++jp) {
          mma_bf16(acc[i][2 * jp], a[i], b[jp][0], b[jp][1]);
          mma_bf16(acc[i][2 * jp + 1], a[i], b[jp][2], b[jp][3]);
        }
    }
  }
  cp_async_wait_all();

  const int lane = threadIdx.x & 31, g = lane / 4, t = lane % 4;
  float* out = dw + int64_t(group) * n * k;
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int row = m0 + wm * 64 + i * 16 + g + 8 * half;
      if (row >= n) continue;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int col = n0 + wn * 32 + j * 8 + 2 * t;  // k is even, so col < k covers col + 1
        if (col >= k) continue;
        float2* p = reinterpret_cast<float2*>(out + int64_t(row) * k + col);
        float2 v = *p;
        v.x += acc[i][j][2 * half];
        v.y += acc[i][j][2 * half + 1];
        *p = v;
      }
    }
}

}  // namespace

bool grouped_weight_grad_mma(const bf16_t* dy, const bf16_t* x, float* dw, int64_t n, int64_t k,
                             const std::vector<int64_t>& offsets) {
  const int64_t groups = int64_t(offsets.size()) - 1;
  auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  if (groups < 1 || groups > kMaxGroups || n % 8 != 0 || k % 8 != 0 || !aligned(dy) || !aligned(x) || !aligned(dw) ||
      offsets.back() > INT32_MAX || n > INT32_MAX || k > INT32_MAX)
    return false;
  GroupRows rows{};
  for (int64_t g = 0; g <= groups; ++g) rows.offsets[g] = int(offsets[size_t(g)]);
  const int tiles_m = int((n + kTileM - 1) / kTileM), tiles_k = int((k + kTileN - 1) / kTileN);
  static const bool configured = [] {
    CUDA_CHECK(cudaFuncSetAttribute(grouped_weight_grad_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    int(kSharedBytes)));
    return true;
  }();
  (void)configured;
  grouped_weight_grad_kernel<<<dim3(unsigned(tiles_m * tiles_k), unsigned(groups)), kBlockThreads, kSharedBytes,
                               stream()>>>(dy, x, dw, int(n), int(k), tiles_k, rows);
  CUDA_CHECK_LAUNCH();
  return true;
}

}  // namespace r1::ops::cuda
