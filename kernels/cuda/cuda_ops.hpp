// CUDA backend declarations (bf16/f32 kernels, cuBLAS GEMMs) and its runtime setup.
#pragma once
#include <string>

#include "core/tensor.hpp"
#include "kernels/ops_types.hpp"

namespace r1::ops::cuda {
#include "kernels/op_signatures.inc"

// Selects the GPU for this rank, creates the cuBLAS handle and registers the device allocator and
// copy hooks with the Tensor layer. Throws r1::Error when no GPU is usable.
void initialize(int local_rank);
bool available();  // a device is present and usable
void synchronize();
// The one CUDA stream every kernel, copy and library call is ordered on (a cudaStream_t), for code
// outside the backend that enqueues work itself (NCCL collectives).
void* stream_handle();

// Device memory through r1's allocator: bytes in use, the peak since reset_memory_peak(), bytes
// cached for reuse, and bytes r1 can still allocate (the device's free memory plus the cache).
struct MemoryStats {
  int64_t live = 0, peak = 0, cached = 0, available = 0;
};
MemoryStats memory_stats();
void reset_memory_peak();

// Per-op GPU timing (cuda_op_profile.cu), on with runtime.profile_ops (R1_PROFILE_OPS=1): the dispatcher brackets every
// CUDA op with an OpProfileScope; op_profile_report() returns the per-op totals since the last
// report or reset (empty when off) and starts a new window.
bool op_profiling();
class OpProfileScope {
 public:
  explicit OpProfileScope(const char* name);
  ~OpProfileScope();
  OpProfileScope(const OpProfileScope&) = delete;
  OpProfileScope& operator=(const OpProfileScope&) = delete;

 private:
  size_t record_ = size_t(-1);
};
std::string op_profile_report();
void op_profile_reset();


// CUDA graphs (cuda_graph.cu): begin_graph_recording() starts recording the stream's work (nothing
// runs until the graph is launched); end_graph_recording() instantiates it, abort_graph_recording()
// drops a failed recording. A graph keeps the device blocks released while it was recorded until
// destroy_graph(), which first waits for the stream.
struct RecordedGraph;
void begin_graph_recording();
RecordedGraph* end_graph_recording();
void abort_graph_recording() noexcept;
void launch_graph(const RecordedGraph* graph);
void destroy_graph(RecordedGraph* graph) noexcept;
}  // namespace r1::ops::cuda
