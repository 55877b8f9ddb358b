// CUDA graphs for the CUDA backend: recording the one stream's work (kernels, cuBLAS calls, device
// copies) between begin and end into an executable graph, replaying it with one launch, and keeping
// the device blocks the recorded work used but released while recording until the graph is gone.
// Recording uses the relaxed capture mode (the caching allocator may call cudaMalloc meanwhile);
// host copies made while recording are reported as errors by the runtime (cuda_runtime.cu).
#include <cuda_runtime.h>

#include <vector>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

struct RecordedGraph {
  cudaGraphExec_t exec = nullptr;
  std::vector<void*> held;         // device blocks released while recording; the graph still uses them
  std::vector<OpRecord> profile;  // R1_PROFILE_OPS events recorded as graph nodes
};

namespace {
std::vector<void*>* recording_held = nullptr;
std::vector<OpRecord>* recording_profile = nullptr;
}  // namespace

void begin_graph_recording() {
  R1_CHECK(!capturing(), "CUDA graphs: a recording is already in progress");
  recording_held = new std::vector<void*>;
  recording_profile = new std::vector<OpRecord>;
  CUDA_CHECK(cudaStreamBeginCapture(stream(), cudaStreamCaptureModeRelaxed));
  set_capturing(recording_held);
  op_profile_begin_recording(recording_profile);
}

RecordedGraph* end_graph_recording() {
  set_capturing(nullptr);
  op_profile_begin_recording(nullptr);
  auto* recorded = new RecordedGraph;
  recorded->held = std::move(*recording_held);
  recorded->profile = std::move(*recording_profile);
  delete recording_held;
  delete recording_profile;
  recording_held = nullptr;
  recording_profile = nullptr;
  cudaGraph_t graph = nullptr;
  cudaError_t err = cudaStreamEndCapture(stream(), &graph);
  if (err == cudaSuccess) err = cudaGraphInstantiate(&recorded->exec, graph, 0);
  if (graph) (void)cudaGraphDestroy(graph);
  if (err != cudaSuccess) {
    release_device_blocks(recorded->held);  // nothing of the recording ever ran
    op_profile_release(recorded->profile);
    delete recorded;
    throw_cuda_error("cudaStreamEndCapture/cudaGraphInstantiate", __FILE__, __LINE__, cudaGetErrorString(err));
  }
  return recorded;
}

void abort_graph_recording() noexcept {
  if (!recording_held) return;
  set_capturing(nullptr);
  op_profile_begin_recording(nullptr);
  op_profile_release(*recording_profile);
  delete recording_profile;
  recording_profile = nullptr;
  cudaGraph_t graph = nullptr;
  (void)cudaStreamEndCapture(stream(), &graph);
  if (graph) (void)cudaGraphDestroy(graph);
  (void)cudaGetLastError();
  release_device_blocks(*recording_held);
  delete recording_held;
  recording_held = nullptr;
}

void launch_graph(const RecordedGraph* graph) {
  CUDA_CHECK(cudaGraphLaunch(graph->exec, stream()));
  op_profile_add_replay(graph->profile);  // nothing unless R1_PROFILE_OPS=1
}

void destroy_graph(RecordedGraph* graph) noexcept {
  if (!graph) return;
  (void)cudaStreamSynchronize(stream());  // a launched replay may still use the held blocks
  if (graph->exec) (void)cudaGraphExecDestroy(graph->exec);
  release_device_blocks(graph->held);
  op_profile_release(graph->profile);
  delete graph;
}

}  // namespace r1::ops::cuda
