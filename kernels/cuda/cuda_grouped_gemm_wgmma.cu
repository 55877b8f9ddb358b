// The MoE experts' grouped GEMMs on Hopper tensor cores (wgmma, sm_90a), one launch per product:
//   rows:        y[r, :] = x[r, :] op(w_g)   for the rows r of group g (forward and data gradient),
//                bf16 operands, f32 accumulation, bf16 result;
//   weight grad: dw_g += dy_g^T x_g          over the rows of group g, bf16 operands into f32 gradients.
// cuBLAS' grouped GEMM reached about 250 TFLOP/s on these shapes (1-2k rows per expert, widths of a few
// hundred to a thousand) and the mma.sync weight-gradient kernel about 215; wgmma reads both operands
// straight from shared memory and keeps the accumulators of a 64x128 tile per warpgroup in registers.
// A block of two warpgroups owns a 128x128 output tile (for the rows form: of one group's rows), walks
// the reduction in 64-wide steps through a 3-stage cp.async ring of 128B-swizzled tiles
// (cuda_wgmma.cuh), two blocks per SM so one block's pipeline fill and epilogue overlap the other's
// products, and writes its tile once, staged through shared memory into 16-byte row segments: no
// atomics, so the same bits on every run. Blocks map to (group, tile) through a prefix of tile counts
// passed by value, so empty groups cost nothing and a launch is capturable in a CUDA graph.
// Out-of-range rows and columns are zero-filled by the copies.
// Measured on the small DeepSeek-V3 MoE step (docs/benchmarks.md): 3 stages x 2 blocks per SM 0.0842
// s/step against 0.0872 for 5 stages x 1 block (one wgmma group kept in flight) and 0.0874 for 6 x 1;
// cuBLAS' grouped GEMM with the mma.sync weight gradient 0.0942.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "core/runtime_settings.hpp"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_wgmma.cuh"

namespace r1::ops::cuda {

namespace {

constexpr int kTile = 128;                    // output tile edge; two warpgroups of 64 x 128
constexpr int kStepK = 64;                    // reduction per pipeline step: one 128-byte line of bf16
constexpr int kBlockThreads = 256;
constexpr int kLineBytes = 128;
constexpr int kOperandBytes = kTile * kLineBytes;  // one operand's tile per stage: 128 lines
constexpr int kStageBytes = 2 * kOperandBytes;
// Stages in the ring and blocks per SM: each step waits for its own products, so the loads run
// kStages - 1 steps ahead; the other block on the SM fills the gaps.
constexpr int kStages = 3, kBlocksPerSm = 2;
constexpr size_t kSharedBytes = size_t(kStages) * kStageBytes + 1024;  // + alignment of the swizzle atoms
// The epilogue's staging tile (after the main loop the ring is free): 128 rows padded by 8 elements,
// so a warp's bf16x2 fragment writes (rows 4 banks apart) and a half-warp's float2 writes (rows 8
// banks apart) hit distinct banks.
template <class T>
constexpr int staging_ld() {
  return kTile + 8;
}
static_assert(kTile * staging_ld<float>() * sizeof(float) <= size_t(kStages) * kStageBytes, "staging fits the ring");
constexpr int kMaxGroups = 256;

// Group row ranges and the first block of every group (tile_starts[groups] = number of blocks).
struct GroupTiles {
  int row_offsets[kMaxGroups + 1];
  int tile_starts[kMaxGroups + 1];
  int groups;
};

// The group that block `block` works for: the last g with tile_starts[g] <= block.
__device__ __forceinline__ int group_of_block(const GroupTiles& tiles, int block) {
  int lo = 0, hi = tiles.groups - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (tiles.tile_starts[mid] <= block)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// This thread's four 16-byte copies per step into one operand's 128-line tile. Thread t copies chunk
// t % 8 of lines t / 8 + 32 i. K-major (MnMajor = false): line = one M/N index `mn`, holding k..k+63
// of row mn of a [mn, k] matrix. MN-major: line = one k, holding 64 M/N indices of row k of a [k, mn]
// matrix; lines 0-63 hold indices mn0..mn0+63, lines 64-127 the next 64. Copies outside
// [.., mn_end) x [.., k_end) are zero-filled; the step moves 64 along k.
template <bool MnMajor>
struct OperandLoader {
  const bf16_t* src[4];
  int k[4];
  bool mn_ok[4];
  uint32_t shared_offset[4];
  const bf16_t* any;  // a readable address for the zero-filled copies
  int k_end;
  int64_t step_elements;

  __device__ OperandLoader(const bf16_t* matrix, int64_t ld, int mn0, int mn_end, int k0, int k_end_) : any(matrix) {
    k_end = k_end_;
    const int chunk = int(threadIdx.x) % 8, line0 = int(threadIdx.x) / 8;
    step_elements = MnMajor ? kStepK * ld : kStepK;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int line = line0 + 32 * i;
      shared_offset[i] = uint32_t(line * kLineBytes + ((chunk ^ (line & 7)) * 16));
      if constexpr (MnMajor) {
        const int mn = mn0 + (line / 64) * 64 + chunk * 8;
        k[i] = k0 + line % 64;
        mn_ok[i] = mn < mn_end;
        src[i] = matrix + int64_t(k[i]) * ld + (mn_ok[i] ? mn : 0);
      } else {
        const int mn = mn0 + line;
        k[i] = k0 + chunk * 8;
        mn_ok[i] = mn < mn_end;
        src[i] = matrix + int64_t(mn_ok[i] ? mn : 0) * ld + k[i];
      }
    }
  }
  __device__ __forceinline__ void load(uint32_t tile) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const bool ok = mn_ok[i] && k[i] < k_end;
      cp_async_16_at(tile + shared_offset[i], ok ? src[i] : any, ok);
      src[i] += step_elements;
      k[i] += kStepK;
    }
  }
};

#if defined(R1_WGMMA_AVAILABLE)
// Descriptor of this warpgroup's A (64 x 16 at k-slice kk of the step) or the block's B (16 x 128).
template <bool MnMajor>
__device__ __forceinline__ uint64_t operand_descriptor(uint32_t tile, int first_line_block, int kk) {
  // K-major: 8-line groups 1024 bytes apart, k-slices 32 bytes apart inside each line.
  // MN-major: 8-k-line groups 1024 bytes apart, 64-wide M/N chunks 64 lines (8 KB) apart, k-slices 16 lines.
  const uint32_t start = tile + uint32_t(first_line_block) * 64 * kLineBytes + (MnMajor ? kk * 16 * kLineBytes : kk * 32);
  return wgmma_descriptor(start, MnMajor ? 64 * kLineBytes : 0, 8 * kLineBytes);
}
#endif

// The main loop shared by both forms: acc (this warpgroup's 64 x 128 tile) = A B over `steps` steps.
template <bool AMnMajor, bool BMnMajor>
__device__ __forceinline__ void multiply_tiles(float (&acc)[64], OperandLoader<AMnMajor>& a, OperandLoader<BMnMajor>& b,
                                               int steps, uint32_t shared) {
#if defined(R1_WGMMA_AVAILABLE)
  constexpr int kLookahead = kStages - 1;
  const int warpgroup = int(threadIdx.x) / 128;
  auto load_step = [&](int step) {
    const uint32_t stage = shared + uint32_t(step % kStages) * kStageBytes;
    a.load(stage);
    b.load(stage + kOperandBytes);
  };
#pragma unroll
  for (int s = 0; s < kLookahead; ++s) {
    if (s < steps) load_step(s);
    cp_async_commit();
  }
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.0f;
  for (int step = 0; step < steps; ++step) {
    cp_async_wait_pending<kLookahead - 1>();  // this thread's copies of `step` have landed
    fence_proxy_async();                      // ... and are visible to wgmma's reads
    // Everyone's copies are in, and every warpgroup is done with step - 1, whose stage the next
    // load refills (its products completed at the wait of the previous iteration).
    __syncthreads();
    if (step + kLookahead < steps) load_step(step + kLookahead);
    cp_async_commit();
    const uint32_t tile_a = shared + uint32_t(step % kStages) * kStageBytes, tile_b = tile_a + kOperandBytes;
    wgmma_pin(acc);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kStepK / 16; ++kk)
      wgmma_m64n128k16<AMnMajor, BMnMajor>(acc, operand_descriptor<AMnMajor>(tile_a, warpgroup, kk),
                                           operand_descriptor<BMnMajor>(tile_b, 0, kk));
    wgmma_commit();
    wgmma_wait<0>();
    wgmma_pin(acc);
  }
  wgmma_wait<0>();
  wgmma_pin(acc);
  cp_async_wait_all();
#else
  __trap();  // the host never launches these kernels without sm_90a code
#endif
}

// The dynamic shared memory, rounded up to the 1024-byte alignment of the swizzle atoms.
__device__ __forceinline__ unsigned char* aligned_shared() {
  extern __shared__ __align__(16) unsigned char shared_raw[];
  return shared_raw + ((1024u - (smem_address(shared_raw) & 1023u)) & 1023u);
}

// Writes the block's accumulators into the row-major [128, staging_ld<T>()] staging tile over the
// ring (after both warpgroups are done with it); on return every thread may read the whole tile.
template <class T>
__device__ __forceinline__ void stage_accumulators(const float (&acc)[64], T* staging) {
  constexpr int ld = staging_ld<T>();
  __syncthreads();  // both warpgroups are done with the ring
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;  // warp w: rows 16 w .. 16 w + 15
#pragma unroll
  for (int h = 0; h < 2; ++h)
#pragma unroll
    for (int j = 0; j < 16; ++j) {
      T* p = staging + (warp * 16 + lane / 4 + 8 * h) * ld + 8 * j + 2 * (lane % 4);
      if constexpr (std::is_same_v<T, float>)
        *reinterpret_cast<float2*>(p) = make_float2(acc[4 * j + 2 * h], acc[4 * j + 2 * h + 1]);
      else
        *reinterpret_cast<uint32_t*>(p) = pack_bf16(acc[4 * j + 2 * h], acc[4 * j + 2 * h + 1]);
    }
  __syncthreads();
}

// Rows form: block = (group, 128-row tile of the group, 128-column tile of the output). x is [rows, in]
// (K-major A); w_g is [out, in] (K-major B, y = x w^T) or [in, out] (MN-major B, y = x w).
template <bool WStoredInOut>
__global__ void __launch_bounds__(kBlockThreads, kBlocksPerSm)
    grouped_gemm_rows_kernel(const bf16_t* __restrict__ x, const bf16_t* __restrict__ w, bf16_t* __restrict__ y,
                             int in, int out, int tiles_n, GroupTiles tiles) {
  const int group = group_of_block(tiles, int(blockIdx.x));
  const int local = int(blockIdx.x) - tiles.tile_starts[group];
  const int row_end = tiles.row_offsets[group + 1];
  const int m0 = tiles.row_offsets[group] + local / tiles_n * kTile, n0 = local % tiles_n * kTile;
  const bf16_t* w_g = w + int64_t(group) * in * out;
  OperandLoader<false> a(x, in, m0, row_end, 0, in);
  OperandLoader<WStoredInOut> b(w_g, WStoredInOut ? out : in, n0, out, 0, in);
  unsigned char* shared = aligned_shared();
  float acc[64];
  multiply_tiles(acc, a, b, (in + kStepK - 1) / kStepK, smem_address(shared));

  // Through shared memory into 16-byte segments of the group's rows (8 per thread).
  bf16_t* staging = reinterpret_cast<bf16_t*>(shared);
  stage_accumulators(acc, staging);
  constexpr int kChunks = kTile / 8, ld = staging_ld<bf16_t>();
  const int rows = min(kTile, row_end - m0), chunk = int(threadIdx.x) % kChunks, col = n0 + 8 * chunk;
  if (col >= out) return;  // out is a multiple of 8: a chunk is all in or all out
#pragma unroll
  for (int r = int(threadIdx.x) / kChunks; r < kTile; r += kBlockThreads / kChunks)
    if (r < rows)
      *reinterpret_cast<uint4*>(y + int64_t(m0 + r) * out + col) =
          *reinterpret_cast<const uint4*>(staging + r * ld + 8 * chunk);
}

// Weight-gradient form: block = (group, 128 x 128 tile of dw_g [n, k]); the reduction runs over the
// group's rows: A = dy_g^T (dy is [rows, n]: MN-major), B = x_g ([rows, k]: MN-major).
__global__ void __launch_bounds__(kBlockThreads, kBlocksPerSm)
    grouped_weight_grad_wgmma_kernel(const bf16_t* __restrict__ dy, const bf16_t* __restrict__ x,
                                     float* __restrict__ dw, int n, int k, int tiles_n, GroupTiles tiles) {
  const int group = group_of_block(tiles, int(blockIdx.x));
  const int local = int(blockIdx.x) - tiles.tile_starts[group];
  const int row_begin = tiles.row_offsets[group], row_end = tiles.row_offsets[group + 1];
  const int m0 = local / tiles_n * kTile, n0 = local % tiles_n * kTile;
  OperandLoader<true> a(dy, n, m0, n, row_begin, row_end);
  OperandLoader<true> b(x, k, n0, k, row_begin, row_end);
  unsigned char* shared = aligned_shared();
  float acc[64];
  multiply_tiles(acc, a, b, (row_end - row_begin + kStepK - 1) / kStepK, smem_address(shared));

  // Through shared memory: dw += the tile in 16-byte segments (16 per thread).
  float* staging = reinterpret_cast<float*>(shared);
  stage_accumulators(acc, staging);
  constexpr int kChunks = kTile / 4, ld = staging_ld<float>();
  const int rows = min(kTile, n - m0), chunk = int(threadIdx.x) % kChunks, col = n0 + 4 * chunk;
  if (col >= k) return;  // k is a multiple of 8: a chunk is all in or all out
  float* out = dw + int64_t(group) * n * k;
#pragma unroll
  for (int r = int(threadIdx.x) / kChunks; r < kTile; r += kBlockThreads / kChunks)
    if (r < rows) {
      float4* p = reinterpret_cast<float4*>(out + int64_t(m0 + r) * k + col);
      const float4 add = *reinterpret_cast<const float4*>(staging + r * ld + 4 * chunk);
      float4 v = *p;
      v.x += add.x;
      v.y += add.y;
      v.z += add.z;
      v.w += add.w;
      *p = v;
    }
}

// Whether this build and device run the wgmma kernels: sm_90a code compiled in (R1_CUDA_SM90A), a
// compute capability 9.0 device, and not switched off with runtime.cuda_wgmma: false (R1_CUDA_WGMMA=0) (to compare with cuBLAS).
bool wgmma_usable() {
#if defined(R1_CUDA_SM90A)
  static const bool usable = [] {
    if (!runtime_settings().cuda_wgmma) return false;
    int device = 0, major = 0, minor = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
    return major == 9 && minor == 0;
  }();
  return usable;
#else
  return false;
#endif
}

// The launch plan: tiles per group from the row offsets (tiles_of(rows) tiles for a group of `rows`).
template <class TilesOf>
bool plan_tiles(const std::vector<int64_t>& offsets, TilesOf tiles_of, GroupTiles& tiles) {
  const int64_t groups = int64_t(offsets.size()) - 1;
  if (groups < 1 || groups > kMaxGroups || offsets.back() > INT32_MAX) return false;
  tiles.groups = int(groups);
  int64_t total = 0;
  for (int64_t g = 0; g <= groups; ++g) {
    tiles.row_offsets[g] = int(offsets[size_t(g)]);
    tiles.tile_starts[g] = int(total);
    if (g < groups) total += tiles_of(offsets[size_t(g) + 1] - offsets[size_t(g)]);
    if (total > INT32_MAX) return false;
  }
  return true;
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <class Kernel>
void allow_shared_memory(Kernel kernel) {
  CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(kSharedBytes)));
}

}  // namespace

bool grouped_gemm_wgmma(const bf16_t* x, const bf16_t* w, bool w_stored_out_in, bf16_t* y, int64_t in, int64_t out,
                        const std::vector<int64_t>& offsets) {
  if (!wgmma_usable() || in % 8 != 0 || out % 8 != 0 || in <= 0 || out <= 0 || in > INT32_MAX || out > INT32_MAX ||
      !aligned16(x) || !aligned16(w) || !aligned16(y) || max_shared_memory_per_block() < int(kSharedBytes))
    return false;
  const int64_t tiles_n = (out + kTile - 1) / kTile;
  GroupTiles tiles{};
  if (!plan_tiles(offsets, [&](int64_t rows) { return (rows + kTile - 1) / kTile * tiles_n; }, tiles)) return false;
  const int blocks = tiles.tile_starts[tiles.groups];
  if (blocks == 0) return true;
  static const bool configured = [] {
    allow_shared_memory(grouped_gemm_rows_kernel<false>);
    allow_shared_memory(grouped_gemm_rows_kernel<true>);
    return true;
  }();
  (void)configured;
  if (w_stored_out_in)
    grouped_gemm_rows_kernel<false><<<blocks, kBlockThreads, kSharedBytes, stream()>>>(x, w, y, int(in), int(out),
                                                                                       int(tiles_n), tiles);
  else
    grouped_gemm_rows_kernel<true><<<blocks, kBlockThreads, kSharedBytes, stream()>>>(x, w, y, int(in), int(out),
                                                                                      int(tiles_n), tiles);
  CUDA_CHECK_LAUNCH();
  return true;
}

bool grouped_weight_grad_wgmma(const bf16_t* dy, const bf16_t* x, float* dw, int64_t n, int64_t k,
                               const std::vector<int64_t>& offsets) {
  if (!wgmma_usable() || n % 8 != 0 || k % 8 != 0 || n <= 0 || k <= 0 || n > INT32_MAX || k > INT32_MAX ||
      !aligned16(dy) || !aligned16(x) || !aligned16(dw) || max_shared_memory_per_block() < int(kSharedBytes))
    return false;
  const int64_t tiles_n = (k + kTile - 1) / kTile, tiles_per_group = (n + kTile - 1) / kTile * tiles_n;
  GroupTiles tiles{};
  if (!plan_tiles(offsets, [&](int64_t rows) { return rows > 0 ? tiles_per_group : 0; }, tiles)) return false;
  const int blocks = tiles.tile_starts[tiles.groups];
  if (blocks == 0) return true;
  static const bool configured = [] {
    allow_shared_memory(grouped_weight_grad_wgmma_kernel);
    return true;
  }();
  (void)configured;
  grouped_weight_grad_wgmma_kernel<<<blocks, kBlockThreads, kSharedBytes, stream()>>>(dy, x, dw, int(n), int(k),
                                                                                      int(tiles_n), tiles);
  CUDA_CHECK_LAUNCH();
  return true;
}

}  // namespace r1::ops::cuda
