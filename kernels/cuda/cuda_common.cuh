// Shared pieces of the CUDA backend: the error macros (CUDA_CHECK, CUBLAS_CHECK, CUDA_CHECK_LAUNCH)
// that throw r1::Error naming the call, file:line, the error text and the rank (main turns that into
// MPI_Abort); the one stream and the cuBLAS/cuBLASLt handles every op uses; temporary device buffers
// from the caching allocator and stream-ordered uploads of host arrays; bf16 <-> f32 conversion;
// float-dtype dispatch; argument checks; deterministic warp/block reductions; a row-major GEMM helper.
// Everything runs on one stream, so a buffer returned to the allocator may be handed out again at
// once: later work on the stream is ordered after earlier work that still reads it.
#pragma once
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "core/tensor.hpp"
#include "kernels/ops_types.hpp"

namespace r1::ops::cuda {

// ---- errors -------------------------------------------------------------------------------------
[[noreturn]] void throw_cuda_error(const char* call, const char* file, int line, const std::string& what);
std::string cublas_status_text(cublasStatus_t status);

}  // namespace r1::ops::cuda

#define CUDA_CHECK(call)                                                                              \
  do {                                                                                                \
    cudaError_t r1_cuda_err_ = (call);                                                                \
    if (r1_cuda_err_ != cudaSuccess)                                                                  \
      ::r1::ops::cuda::throw_cuda_error(#call, __FILE__, __LINE__, cudaGetErrorString(r1_cuda_err_)); \
  } while (0)

#define CUBLAS_CHECK(call)                                                                                     \
  do {                                                                                                         \
    cublasStatus_t r1_cublas_st_ = (call);                                                                     \
    if (r1_cublas_st_ != CUBLAS_STATUS_SUCCESS)                                                                \
      ::r1::ops::cuda::throw_cuda_error(#call, __FILE__, __LINE__, ::r1::ops::cuda::cublas_status_text(r1_cublas_st_)); \
  } while (0)

// After every kernel launch: reports a bad launch configuration at the launch site.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

namespace r1::ops::cuda {

// ---- runtime state (cuda_runtime.cu) ------------------------------------------------------------
cudaStream_t stream();          // the stream all kernels, copies and cuBLAS calls use
cublasHandle_t cublas();        // bound to stream(), with its workspace set
cublasLtHandle_t cublas_lt();   // for callers that want cuBLASLt directly
void* cublas_workspace();       // the workspace cuBLAS uses (cuBLASLt callers may share it: one stream)
size_t cublas_workspace_bytes();
int max_shared_memory_per_block();  // opt-in limit of dynamic shared memory per block, bytes
int multiprocessor_count();

// Device memory from the caching allocator (size-binned free lists; never managed memory).
void* device_alloc(size_t bytes);
void device_free(void* ptr);
// One profiled scope (cuda_op_profile.cu): a pair of events around an op or a phase inside one.
struct OpRecord {
  const char* name;
  cudaEvent_t begin, end;
  int depth;  // 0: a dispatched op; deeper: a phase inside one (counted apart from the op total)
};
// Graph recording and the profile: scopes recorded into a graph put their events in `records`
// (nullptr ends that); each replay adds their times; release returns the events for reuse.
void op_profile_begin_recording(std::vector<OpRecord>* records);
void op_profile_add_replay(const std::vector<OpRecord>& records);
void op_profile_release(const std::vector<OpRecord>& records);

// Graph recording (cuda_graph.cu): while `held` is set the stream is being recorded, host copies are
// errors and device blocks released go to `held` (the graph keeps using them) until
// release_device_blocks(); nullptr ends recording.
void set_capturing(std::vector<void*>* held);
bool capturing();
void release_device_blocks(const std::vector<void*>& blocks);

// Copies host bytes to the device, ordered on stream(), through pinned staging memory: returns at
// once and the host array may be reused or freed immediately.
void upload_bytes(void* device_dst, const void* host_src, size_t bytes);
// Copies device bytes to host memory and waits for them.
void download_bytes(void* host_dst, const void* device_src, size_t bytes);

// A temporary device allocation owned by one op call (returned to the allocator on destruction).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) : ptr_(bytes ? device_alloc(bytes) : nullptr), bytes_(bytes) {}
  ~DeviceBuffer() {
    if (ptr_) device_free(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept : ptr_(other.ptr_), bytes_(other.bytes_) {
    other.ptr_ = nullptr;
    other.bytes_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      if (ptr_) device_free(ptr_);
      ptr_ = other.ptr_;
      bytes_ = other.bytes_;
      other.ptr_ = nullptr;
      other.bytes_ = 0;
    }
    return *this;
  }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A device copy of a host array.
template <class T>
DeviceBuffer upload(const std::vector<T>& values) {
  DeviceBuffer buffer(values.size() * sizeof(T));
  if (!values.empty()) upload_bytes(buffer.as<void>(), values.data(), buffer.bytes());
  return buffer;
}

// ---- element types --------------------------------------------------------------------------------
using bf16_t = __nv_bfloat16;

template <class T> struct device_dtype;
template <> struct device_dtype<float> { static constexpr DType value = DType::f32; };
template <> struct device_dtype<double> { static constexpr DType value = DType::f64; };
template <> struct device_dtype<bf16_t> { static constexpr DType value = DType::bf16; };
template <> struct device_dtype<int32_t> { static constexpr DType value = DType::i32; };

__device__ __forceinline__ float to_f32(float x) { return x; }
__device__ __forceinline__ float to_f32(double x) { return float(x); }
__device__ __forceinline__ float to_f32(bf16_t x) { return __bfloat162float(x); }

template <class T> __device__ __forceinline__ T from_f32(float x);
template <> __device__ __forceinline__ float from_f32<float>(float x) { return x; }
template <> __device__ __forceinline__ double from_f32<double>(float x) { return double(x); }
template <> __device__ __forceinline__ bf16_t from_f32<bf16_t>(float x) { return __float2bfloat16_rn(x); }

// The cuBLAS type tag of a float tensor dtype.
inline cudaDataType_t cuda_data_type(DType t) {
  switch (t) {
    case DType::f32: return CUDA_R_32F;
    case DType::bf16: return CUDA_R_16BF;
    case DType::f64: return CUDA_R_64F;
    default: throw Error(std::string("no cuBLAS data type for ") + dtype_name(t));
  }
}

// ---- dispatch and checks -------------------------------------------------------------------------
template <class T> struct type_tag { using type = T; };

// Calls f(type_tag<float>{}) or f(type_tag<bf16_t>{}) for the tensor's dtype (the two activation /
// parameter types CUDA kernels take); anything else is a programming error naming op and tensor.
template <class F>
decltype(auto) dispatch_float(const Tensor& t, const char* op, const char* what, F&& f) {
  switch (t.dtype()) {
    case DType::f32: return f(type_tag<float>{});
    case DType::bf16: return f(type_tag<bf16_t>{});
    default:
      throw Error(std::string(op) + ": CUDA kernels take f32 or bf16 for " + what + ", got " + t.describe());
  }
}

// The tensor is defined, on the cuda device and (when given) of the expected element count.
void check_device_tensor(const char* op, const Tensor& t, const char* what);
void check_device_numel(const char* op, const Tensor& t, int64_t numel, const char* what);
void check_dtype(const char* op, const Tensor& t, DType dtype, const char* what);

// Typed device pointer after checking device and dtype.
template <class T>
T* device_ptr(const Tensor& t, const char* op, const char* what) {
  check_device_tensor(op, t, what);
  check_dtype(op, t, device_dtype<T>::value, what);
  return static_cast<T*>(t.raw());
}

// An int32 index tensor's values on the device: the tensor itself when it is on the device, else an
// upload of it (host values can be checked by the caller first). `holder` keeps the upload alive.
const int32_t* device_indices(const Tensor& t, const char* op, const char* what, DeviceBuffer& holder);
// Checks a host int32 index tensor's values against [0, limit) (nothing for a device tensor, whose
// kernels check them).
void check_host_indices(const Tensor& t, int64_t limit, const char* op, const char* what);
// An int32 index tensor's values on the host (copied back, waiting, when it lives on the device).
std::vector<int32_t> host_indices(const Tensor& t, const char* op, const char* what);

// ---- launch sizes ----------------------------------------------------------------------------------
constexpr int kThreads = 256;  // threads per block of the elementwise kernels

// Blocks for a grid-stride loop over n items (capped; the loops cover the rest).
inline unsigned grid_blocks(int64_t n, int threads = kThreads) {
  int64_t blocks = (n + threads - 1) / threads;
  const int64_t cap = int64_t(multiprocessor_count()) * 32;
  if (blocks > cap) blocks = cap;
  return unsigned(blocks < 1 ? 1 : blocks);
}

inline int checked_int(int64_t v, const char* op, const char* what) {
  R1_CHECK(v >= 0 && v <= int64_t(std::numeric_limits<int>::max()), op, ": ", what, " = ", v,
           " does not fit the 32-bit sizes this kernel uses");
  return int(v);
}

// Conversions go through double when either side is f64, else through f32.
template <class D, class S>
__device__ __forceinline__ D convert_value(S v) {
  if constexpr (std::is_same_v<D, double>) {
    if constexpr (std::is_same_v<S, bf16_t>) return double(__bfloat162float(v));
    else return double(v);
  } else if constexpr (std::is_same_v<D, bf16_t>) {
    if constexpr (std::is_same_v<S, double>) return __double2bfloat16(v);
    else return from_f32<bf16_t>(to_f32(v));
  } else {
    return to_f32(v);
  }
}

// ---- rotary embedding -------------------------------------------------------------------------------
// (a, b) rotated by the angle with cosine c and sine s: (a c - b s, b c + a s), each operation rounded
// on its own (no fused multiply-add), so every kernel that rotates produces the same bits.
__device__ __forceinline__ float2 rotate_pair(float a, float b, float c, float s) {
  return make_float2(__fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s)), __fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s)));
}

// ---- deterministic reductions ------------------------------------------------------------------
// Butterfly sums: every lane ends with the same bits (a + b == b + a at each level), and the order
// is fixed, so results are reproducible.
template <class T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}
template <class T>
__device__ __forceinline__ T warp_max(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = max(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `scratch` holds 32 values in shared memory; the call ends with the block synchronised.
template <class T>
__device__ T block_sum(T v, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T total = lane < warps ? scratch[lane] : T(0);
  total = warp_sum(total);
  return total;
}
template <class T>
__device__ T block_max(T v, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T total = lane < warps ? scratch[lane] : -std::numeric_limits<T>::infinity();
  total = warp_max(total);
  return total;
}

// ---- GEMM ---------------------------------------------------------------------------------------------
// Row-major c[m, n] = alpha * op(a) op(b) + beta * c through cublasGemmEx (f32 accumulation);
// lda/ldb/ldc are the row strides of the stored matrices. a and b share a dtype (f32 or bf16);
// c is f32 or bf16 (bf16 only with bf16 a and b). With k == 0 the product is zero.
void gemm_row_major(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const void* a,
                    int64_t lda, const void* b, int64_t ldb, DType ab_dtype, double beta, void* c, int64_t ldc,
                    DType c_dtype, const char* op);

// dw_g[n, k] += dy_g^T x_g for the row ranges [offsets[g], offsets[g+1]) of bf16 dy [rows, n] and
// x [rows, k] into f32 dw [groups, n, k], one tensor-core launch (cuda_grouped_weight_grad.cu).
// Returns false, launching nothing, for shapes it does not cover (n or k not a multiple of 8,
// unaligned tensors, more than 512 groups, over 2^31 rows).
bool grouped_weight_grad_mma(const bf16_t* dy, const bf16_t* x, float* dw, int64_t n, int64_t k,
                             const std::vector<int64_t>& offsets);

// The Hopper forms (cuda_grouped_gemm_wgmma.cu), used first where they apply: y rows of group g =
// x rows op(w_g), bf16 -> bf16, w [groups, out, in] (w_stored_out_in: y = x w_g^T) or [groups, in, out];
// and the weight gradient above. Both return false, launching nothing, without sm_90a code or a
// compute capability 9.0 device, with R1_CUDA_WGMMA=0, for widths not a multiple of 8, unaligned
// tensors, more than 256 groups or over 2^31 rows.
bool grouped_gemm_wgmma(const bf16_t* x, const bf16_t* w, bool w_stored_out_in, bf16_t* y, int64_t in, int64_t out,
                        const std::vector<int64_t>& offsets);
bool grouped_weight_grad_wgmma(const bf16_t* dy, const bf16_t* x, float* dw, int64_t n, int64_t k,
                               const std::vector<int64_t>& offsets);

}  // namespace r1::ops::cuda
