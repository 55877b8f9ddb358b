// The expert weight gradient of the grouped GEMM, bf16 operands into f32 gradients, as one tensor-core
// kernel over every expert: dw_g[n, k] += dy_g^T x_g where group g owns rows [offsets[g], offsets[g+1])
// of dy [rows, n] and x [rows, k]. cuBLAS has no grouped form with bf16 operands and an f32 result, and
// one cublasGemmEx per expert leaves most of the GPU idle (each expert is a 1-2k-row reduction into a
// few hundred thousand outputs). Here a block of 8 warps owns a 128x128 output tile of one expert, each
// warp a 64x32 sub-tile, two blocks per SM, and reduces over that expert's rows in 64-row steps through
// a 3-stage cp.async pipeline, then adds its f32 tile to dw: one launch, no atomics, the same bits on
// every run. (128x256 tiles with 64x64 warp tiles, one block per SM, measured slower: 474 vs 383 us
// for the small model's down projection, too few warps to hide the latency.)
#include <cstdint>
#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_mma.cuh"

namespace r1::ops::cuda {

namespace {

constexpr int kTileM = 128, kTileN = 128, kWarpsM = 2, kWarpsN = 4;
constexpr int kBlockThreads = 256;
// Rows reduced per pipeline step, and steps in flight: 64 x 3 (104 KB of shared memory per block)
// measured 357 + 652 us for the small model's two weight gradients against 381 + 686 us for 32 x 4.
constexpr int kStepRows = 64, kStages = 3;
constexpr int kWarpRows = kTileM / kWarpsM, kWarpCols = kTileN / kWarpsN;  // 64 x 32
constexpr int kMaxGroups = 512;

// Group row ranges, passed by value (no upload, capturable in a CUDA graph).
struct GroupRows {
  int offsets[kMaxGroups + 1];
};

// Shared-memory layout of one pipeline stage: the dy tile [kStepRows, kTileM] and the x tile
// [kStepRows, kTileN], rows padded by 8 elements so consecutive rows start 4 banks apart (ldmatrix
// without conflicts).
struct StageLayout {
  static constexpr int ld_dy = kTileM + 8, ld_x = kTileN + 8;
  static constexpr int x_offset = kStepRows * ld_dy;
  static constexpr int elements = kStepRows * (ld_dy + ld_x);
  static constexpr size_t shared_bytes = size_t(kStages) * elements * sizeof(bf16_t);
};

// This thread's share of the cp.async copies of one [kStepRows, Cols] tile of a row-major bf16
// matrix: fixed columns, rows r0, r0 + RowsPerPass, ...; the global pointer steps kStepRows rows at a
// time, so a step costs one pointer add and a row check per copy.
template <int Cols>
struct TileCopier {
  static constexpr int kPerRow = Cols / 8, kRowsPerPass = kBlockThreads / kPerRow, kPasses = kStepRows / kRowsPerPass;
  static_assert(kBlockThreads % kPerRow == 0 && kStepRows % kRowsPerPass == 0, "copies must tile the step evenly");
  const bf16_t* src;  // row r0 of the current step, this thread's column
  int row_stride, r0, shared_offset;
  bool column_ok;

  __device__ TileCopier(const bf16_t* matrix, int64_t first_row, int stride, int col0, int cols, int ld)
      : row_stride(stride) {
    r0 = int(threadIdx.x) / kPerRow;
    const int c = int(threadIdx.x) % kPerRow * 8;
    column_ok = col0 + c < cols;
    src = matrix + (first_row + r0) * stride + (column_ok ? col0 + c : 0);
    shared_offset = r0 * ld + c;
  }
  // Rows >= valid (past the group's end) and columns past the matrix are zero-filled.
  template <int Ld>
  __device__ __forceinline__ void copy(bf16_t* tile, int valid) const {
#pragma unroll
    for (int i = 0; i < kPasses; ++i) {
      const bool ok = column_ok && r0 + i * kRowsPerPass < valid;
      cp_async_16(tile + shared_offset + i * kRowsPerPass * Ld, ok ? src + i * kRowsPerPass * row_stride : src, ok);
    }
  }
  __device__ __forceinline__ void next_step() { src += kStepRows * row_stride; }
};

// Block (tile, group): warps form a kWarpsM x kWarpsN grid; warp (wm, wn) holds acc[i][j] for rows
// [64 wm + 16 i, +16) and columns [32 wn + 8 j, +8) of the block's output tile.
__global__ void __launch_bounds__(kBlockThreads, 2)
    grouped_weight_grad_kernel(const bf16_t* __restrict__ dy, const bf16_t* __restrict__ x, float* __restrict__ dw,
                               int n, int k, int tiles_k, GroupRows rows) {
  using Layout = StageLayout;
  static_assert(kWarpsM * kWarpsN * 32 == kBlockThreads, "one sub-tile per warp");
  constexpr int kFragsM = kWarpRows / 16, kFragsN = kWarpCols / 8;
  const int group = blockIdx.y;
  const int row_begin = rows.offsets[group], row_end = rows.offsets[group + 1];
  if (row_begin >= row_end) return;  // adds nothing
  const int m0 = int(blockIdx.x) / tiles_k * kTileM, n0 = int(blockIdx.x) % tiles_k * kTileN;
  extern __shared__ __align__(16) bf16_t shared[];
  const int steps = (row_end - row_begin + kStepRows - 1) / kStepRows;

  TileCopier<kTileM> copy_dy(dy, row_begin, n, m0, n, Layout::ld_dy);
  TileCopier<kTileN> copy_x(x, row_begin, k, n0, k, Layout::ld_x);
  auto load_step = [&](int step) {  // the copiers stand at `step`
    bf16_t* tile = shared + (step % kStages) * Layout::elements;
    const int valid = row_end - row_begin - step * kStepRows;
    copy_dy.template copy<Layout::ld_dy>(tile, valid);
    copy_x.template copy<Layout::ld_x>(tile + Layout::x_offset, valid);
    copy_dy.next_step();
    copy_x.next_step();
  };
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < steps) load_step(s);
    cp_async_commit();
  }

  const int warp = threadIdx.x / 32, wm = warp / kWarpsN, wn = warp % kWarpsN;
  float acc[kFragsM][kFragsN][4];
#pragma unroll
  for (int i = 0; i < kFragsM; ++i)
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0.0f;

  for (int step = 0; step < steps; ++step) {
    cp_async_wait_pending<kStages - 2>();  // this step's tiles have landed
    __syncthreads();                       // ... for every thread, and every warp is done with step - 1
    if (step + kStages - 1 < steps) load_step(step + kStages - 1);  // into step - 1's stage
    cp_async_commit();
    const bf16_t* tile_dy = shared + (step % kStages) * Layout::elements;
    const bf16_t* tile_x = tile_dy + Layout::x_offset;
#pragma unroll
    for (int kk = 0; kk < kStepRows; kk += 16) {
      uint32_t a[kFragsM][4], b[kFragsN / 2][4];
#pragma unroll
      for (int i = 0; i < kFragsM; ++i) load_a_km(a[i], tile_dy, Layout::ld_dy, kk, wm * kWarpRows + i * 16);
#pragma unroll
      for (int jp = 0; jp < kFragsN / 2; ++jp) load_b_kn(b[jp], tile_x, Layout::ld_x, kk, wn * kWarpCols + jp * 16);
#pragma unroll
      for (int i = 0; i < kFragsM; ++i)
#pragma unroll
        for (int jp = 0; jp < kFragsN / 2; ++jp) {
          mma_bf16(acc[i][2 * jp], a[i], b[jp][0], b[jp][1]);
          mma_bf16(acc[i][2 * jp + 1], a[i], b[jp][2], b[jp][3]);
        }
    }
  }
  cp_async_wait_all();

  const int lane = threadIdx.x & 31, g = lane / 4, t = lane % 4;
  float* out = dw + int64_t(group) * n * k;
#pragma unroll
  for (int i = 0; i < kFragsM; ++i)
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int row = m0 + wm * kWarpRows + i * 16 + g + 8 * half;
      if (row >= n) continue;
#pragma unroll
      for (int j = 0; j < kFragsN; ++j) {
        const int col = n0 + wn * kWarpCols + j * 8 + 2 * t;  // k is even, so col < k covers col + 1
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
  const dim3 grid(unsigned(tiles_m * tiles_k), unsigned(groups));
  constexpr size_t bytes = StageLayout::shared_bytes;
  static const bool configured = [] {
    CUDA_CHECK(
        cudaFuncSetAttribute(grouped_weight_grad_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
    return true;
  }();
  (void)configured;
  grouped_weight_grad_kernel<<<grid, kBlockThreads, bytes, stream()>>>(dy, x, dw, int(n), int(k), tiles_k, rows);
  CUDA_CHECK_LAUNCH();
  return true;
}

}  // namespace r1::ops::cuda
