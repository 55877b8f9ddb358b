// CUDA backend runtime: device selection, the one stream, cuBLAS/cuBLASLt handles and workspace,
// the caching device allocator behind the Tensor DeviceHooks, pinned staging for host->device
// uploads, the error helpers, and the argument checks shared by the kernel files.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/log.hpp"
#include "core/runtime_settings.hpp"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

constexpr size_t kCublasWorkspaceBytes = size_t(32) << 20;  // cuBLAS' recommendation for Hopper
constexpr size_t kSmallBlockLimit = size_t(1) << 20;        // sizes up to here round to a power of two
constexpr size_t kLargeBlockStep = size_t(2) << 20;         // larger sizes round to a multiple of this
constexpr size_t kMinStagingBytes = size_t(64) << 10;

struct RuntimeState {
  bool ready = false;
  int device = -1;
  int sm_count = 0;
  int max_smem_optin = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublas_lt = nullptr;
  void* workspace = nullptr;
  bool capturing = false;  // a CUDA graph is being recorded on the stream
};

// Never destroyed: tensors may be released during static destruction, after main returns.
RuntimeState& state() {
  static RuntimeState* s = new RuntimeState;
  return *s;
}

const RuntimeState& ready_state() {
  const RuntimeState& s = state();
  if (!s.ready) throw Error("CUDA backend used before r1::ComputeRuntime::enable_cuda() (cuda::initialize) was called");
  return s;
}

// Size-binned free lists: a freed block goes to the list of its rounded size and is handed out again
// for any request of that rounded size. Blocks are returned to CUDA only when an allocation fails.
// With runtime.cuda_exact_alloc (R1_CUDA_EXACT_ALLOC=1) every tensor gets its own exact-size cudaMalloc and
// is freed at once, so compute-sanitizer's memcheck sees every out-of-bounds access.
class CachingAllocator {
 public:
  CachingAllocator() {
    exact_ = runtime_settings().cuda_exact_alloc;
  }

  static size_t rounded_size(size_t bytes) {
    if (bytes <= 512) return 512;
    if (bytes <= kSmallBlockLimit) {
      size_t size = 512;
      while (size < bytes) size <<= 1;
      return size;
    }
    return (bytes + kLargeBlockStep - 1) / kLargeBlockStep * kLargeBlockStep;
  }

  void* allocate(size_t bytes) {
    const size_t size = exact_ ? bytes : rounded_size(bytes);
    if (!exact_) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* ptr = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= size;
        live_[ptr] = size;
        note_live(size);
        return ptr;
      }
    }
    void* ptr = nullptr;
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // clear the failed allocation, then retry with the cache emptied
      release_cached();
      err = cudaMalloc(&ptr, size);
    }
    if (err != cudaSuccess)
      throw_cuda_error("cudaMalloc", __FILE__, __LINE__,
                       std::string(cudaGetErrorString(err)) + " (asked for " + std::to_string(size) + " bytes, " +
                           std::to_string(live_bytes()) + " bytes in use)");
    std::lock_guard<std::mutex> lock(mutex_);
    live_[ptr] = size;
    note_live(size);
    return ptr;
  }

  // Bytes handed out now, and the most handed out at once since the last reset_peak().
  size_t live_total() const { return live_total_; }
  size_t peak() const { return peak_; }
  size_t cached() const { return cached_bytes_; }
  void reset_peak() { peak_ = live_total_; }

  // While `held` is set, released blocks are appended to it (still in use, by a graph being
  // recorded) instead of being freed or cached; release them later with release().
  void hold_releases(std::vector<void*>* held) {
    std::lock_guard<std::mutex> lock(mutex_);
    held_ = held;
  }

  // Called from Storage's destructor: never throws.
  void release(void* ptr) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(ptr);
    if (it == live_.end()) {
      log_warn("cuda allocator: free of a pointer it did not hand out (ignored)");
      return;
    }
    if (held_) {
      held_->push_back(ptr);
      return;
    }
    live_total_ -= it->second;
    if (exact_) {
      live_.erase(it);
      const cudaError_t err = cudaFree(ptr);  // waits for the device first
      if (err != cudaSuccess) log_warn(std::string("cuda allocator: cudaFree failed: ") + cudaGetErrorString(err));
      return;
    }
    free_[it->second].push_back(ptr);
    cached_bytes_ += it->second;
    live_.erase(it);
  }

  // Returns every cached block to CUDA (cudaFree waits for the device first).
  void release_cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, blocks] : free_)
      for (void* ptr : blocks) CUDA_CHECK(cudaFree(ptr));
    free_.clear();
    cached_bytes_ = 0;
  }

  size_t live_bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t total = 0;
    for (const auto& [ptr, size] : live_) total += size;
    return total;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // rounded size -> cached blocks
  std::unordered_map<void*, size_t> live_;               // handed-out block -> rounded size
  size_t cached_bytes_ = 0;
  size_t live_total_ = 0, peak_ = 0;
  void note_live(size_t size) {
    live_total_ += size;
    if (live_total_ > peak_) peak_ = live_total_;
  }
  bool exact_ = false;
  std::vector<void*>* held_ = nullptr;
};

CachingAllocator& allocator() {
  static CachingAllocator* a = new CachingAllocator;
  return *a;
}

// Pinned host blocks for uploads. A block is reused once the event recorded after its copy has
// completed, so an upload never waits for the device unless every block is still in flight.
class StagingPool {
 public:
  void upload(void* device_dst, const void* host_src, size_t bytes, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    Block* chosen = nullptr;
    for (Block& b : blocks_) {
      if (b.bytes < bytes) continue;
      cudaError_t q = cudaEventQuery(b.done);
      if (q == cudaSuccess) {
        chosen = &b;
        break;
      }
      if (q != cudaErrorNotReady) CUDA_CHECK(q);
      (void)cudaGetLastError();  // "not ready" is no error; clear it (every launch is checked already)
    }
    if (!chosen) {
      Block b;
      b.bytes = std::max(kMinStagingBytes, bytes);
      CUDA_CHECK(cudaHostAlloc(&b.host, b.bytes, cudaHostAllocDefault));
      CUDA_CHECK(cudaEventCreateWithFlags(&b.done, cudaEventDisableTiming));
      blocks_.push_back(b);
      chosen = &blocks_.back();
    }
    std::memcpy(chosen->host, host_src, bytes);
    CUDA_CHECK(cudaMemcpyAsync(device_dst, chosen->host, bytes, cudaMemcpyHostToDevice, stream));
    CUDA_CHECK(cudaEventRecord(chosen->done, stream));
  }

 private:
  struct Block {
    void* host = nullptr;
    size_t bytes = 0;
    cudaEvent_t done = nullptr;  // recorded after the block's last copy
  };
  std::mutex mutex_;
  std::vector<Block> blocks_;
};

StagingPool& staging() {
  static StagingPool* p = new StagingPool;
  return *p;
}

// Host copies wait for the device or read host memory when the copy runs, so a recorded graph would
// replay them with stale data: an error while recording.
void require_not_capturing(const char* what) {
  if (state().capturing)
    throw Error(std::string("CUDA backend: ") + what +
                " while a CUDA graph is being recorded (the recorded step must keep its inputs and outputs on the device)");
}

// ---- Tensor DeviceHooks -----------------------------------------------------------------------
void* hook_alloc(size_t bytes) { return allocator().allocate(bytes); }
void hook_free(void* ptr) { allocator().release(ptr); }
void hook_copy(void* dst, const void* src, size_t bytes, int kind) {
  cudaStream_t s = ready_state().stream;
  if (kind != 2) require_not_capturing(kind == 0 ? "a host-to-device tensor copy" : "a device-to-host tensor copy");
  switch (kind) {
    case 0:  // host -> device; waits, since the host memory may be pinned and reused at once
      CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
      CUDA_CHECK(cudaStreamSynchronize(s));
      break;
    case 1:  // device -> host
      CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
      CUDA_CHECK(cudaStreamSynchronize(s));
      break;
    case 2:  // device -> device, ordered on the stream
      CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s));
      break;
    default: throw Error("cuda copy hook: unknown copy kind " + std::to_string(kind));
  }
}
void hook_memset_zero(void* ptr, size_t bytes) { CUDA_CHECK(cudaMemsetAsync(ptr, 0, bytes, ready_state().stream)); }

}  // namespace

// ---- errors -------------------------------------------------------------------------------------------
void throw_cuda_error(const char* call, const char* file, int line, const std::string& what) {
  throw Error("CUDA error on rank " + std::to_string(log_rank()) + ": " + call + " failed at " + file + ":" +
              std::to_string(line) + ": " + what);
}

std::string cublas_status_text(cublasStatus_t status) {
  return std::string(cublasGetStatusName(status)) + " (" + cublasGetStatusString(status) + ")";
}

// ---- runtime ------------------------------------------------------------------------------------------
bool available() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return count > 0;
}

void initialize(int local_rank) {
  RuntimeState& s = state();
  if (s.ready) return;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    (void)cudaGetLastError();
    throw Error("CUDA backend: no usable GPU on rank " + std::to_string(log_rank()) + " (cudaGetDeviceCount: " +
                (err != cudaSuccess ? std::string(cudaGetErrorString(err)) : std::string("0 devices")) + ")");
  }
  R1_CHECK(local_rank >= 0, "cuda::initialize: negative local rank ", local_rank);
  s.device = local_rank % count;
  CUDA_CHECK(cudaSetDevice(s.device));
  CUDA_CHECK(cudaDeviceGetAttribute(&s.sm_count, cudaDevAttrMultiProcessorCount, s.device));
  CUDA_CHECK(cudaDeviceGetAttribute(&s.max_smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, s.device));
  CUDA_CHECK(cudaStreamCreate(&s.stream));
  CUBLAS_CHECK(cublasCreate(&s.cublas));
  CUBLAS_CHECK(cublasSetStream(s.cublas, s.stream));
  CUDA_CHECK(cudaMalloc(&s.workspace, kCublasWorkspaceBytes));
  CUBLAS_CHECK(cublasSetWorkspace(s.cublas, s.workspace, kCublasWorkspaceBytes));
  CUBLAS_CHECK(cublasSetMathMode(s.cublas, CUBLAS_DEFAULT_MATH));  // no TF32: f32 GEMMs stay f32
  CUBLAS_CHECK(cublasLtCreate(&s.cublas_lt));
  DeviceHooks hooks;
  hooks.alloc = hook_alloc;
  hooks.free = hook_free;
  hooks.copy = hook_copy;
  hooks.memset_zero = hook_memset_zero;
  set_device_hooks(Device::cuda, hooks);
  s.ready = true;
}

void synchronize() {
  const RuntimeState& s = state();
  if (s.ready) CUDA_CHECK(cudaStreamSynchronize(s.stream));
}

void* stream_handle() { return static_cast<void*>(stream()); }

MemoryStats memory_stats() {
  MemoryStats m;
  m.live = int64_t(allocator().live_total());
  m.peak = int64_t(allocator().peak());
  m.cached = int64_t(allocator().cached());
  size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  m.available = int64_t(free_bytes) + m.cached;  // the allocator's cached blocks are free to r1
  return m;
}

void reset_memory_peak() { allocator().reset_peak(); }

void set_capturing(std::vector<void*>* held) {
  state().capturing = held != nullptr;
  allocator().hold_releases(held);
}
bool capturing() { return state().capturing; }
void release_device_blocks(const std::vector<void*>& blocks) {
  for (void* ptr : blocks) allocator().release(ptr);
}

cudaStream_t stream() { return ready_state().stream; }
cublasHandle_t cublas() { return ready_state().cublas; }
cublasLtHandle_t cublas_lt() { return ready_state().cublas_lt; }
void* cublas_workspace() { return ready_state().workspace; }
size_t cublas_workspace_bytes() { return kCublasWorkspaceBytes; }
int max_shared_memory_per_block() { return ready_state().max_smem_optin; }
int multiprocessor_count() { return ready_state().sm_count; }

void* device_alloc(size_t bytes) {
  (void)ready_state();
  return allocator().allocate(bytes);
}
void device_free(void* ptr) { allocator().release(ptr); }

void upload_bytes(void* device_dst, const void* host_src, size_t bytes) {
  if (bytes == 0) return;
  require_not_capturing("an upload of host memory");
  staging().upload(device_dst, host_src, bytes, ready_state().stream);
}

void download_bytes(void* host_dst, const void* device_src, size_t bytes) {
  if (bytes == 0) return;
  require_not_capturing("a download to host memory");
  cudaStream_t s = ready_state().stream;
  CUDA_CHECK(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
}

// ---- argument checks --------------------------------------------------------------------------------
void check_device_tensor(const char* op, const Tensor& t, const char* what) {
  R1_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
  R1_CHECK(t.device() == Device::cuda, op, ": ", what, " is ", t.describe(), " but this is the CUDA backend");
}

void check_device_numel(const char* op, const Tensor& t, int64_t numel, const char* what) {
  check_device_tensor(op, t, what);
  R1_CHECK(t.numel() == numel, op, ": ", what, " is ", t.describe(), ", expected ", numel, " elements");
}

void check_dtype(const char* op, const Tensor& t, DType dtype, const char* what) {
  R1_CHECK(t.dtype() == dtype, op, ": ", what, " is ", t.describe(), ", expected ", dtype_name(dtype));
}

const int32_t* device_indices(const Tensor& t, const char* op, const char* what, DeviceBuffer& holder) {
  R1_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
  check_dtype(op, t, DType::i32, what);
  if (t.device() == Device::cuda) return static_cast<const int32_t*>(t.raw());
  holder = DeviceBuffer(t.nbytes());
  upload_bytes(holder.as<void>(), t.raw(), t.nbytes());
  return holder.as<int32_t>();
}

void check_host_indices(const Tensor& t, int64_t limit, const char* op, const char* what) {
  if (!t.is_host()) return;
  const int32_t* r = t.data<int32_t>();
  for (int64_t i = 0; i < t.numel(); ++i)
    R1_CHECK(r[i] >= 0 && r[i] < limit, op, ": ", what, " ", r[i], " at ", i, " is outside [0, ", limit, ")");
}

std::vector<int32_t> host_indices(const Tensor& t, const char* op, const char* what) {
  R1_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
  check_dtype(op, t, DType::i32, what);
  std::vector<int32_t> values(static_cast<size_t>(t.numel()));
  if (values.empty()) return values;
  if (t.device() == Device::cuda) download_bytes(values.data(), t.raw(), t.nbytes());
  else std::memcpy(values.data(), t.raw(), t.nbytes());
  return values;
}

}  // namespace r1::ops::cuda
