// DeviceGraph over the CUDA backend's graph recording; a plain call of the body elsewhere.
#include "kernels/device_graph.hpp"

#include "core/runtime_settings.hpp"

#ifdef R1_WITH_CUDA
#include "kernels/cuda/cuda_ops.hpp"
#endif

namespace r1 {

DeviceGraph::DeviceGraph(Device device) : device_(device) {}

DeviceGraph::~DeviceGraph() {
#ifdef R1_WITH_CUDA
  ops::cuda::destroy_graph(graph_);
#endif
}

bool DeviceGraph::enabled(Device device) {
  if (device != Device::cuda) return false;
  return runtime_settings().cuda_graphs;
}

void DeviceGraph::run(const std::function<void()>& body) {
#ifdef R1_WITH_CUDA
  if (graph_) {
    ops::cuda::launch_graph(graph_);
    return;
  }
  if (enabled(device_)) {
    ops::cuda::begin_graph_recording();
    try {
      body();
    } catch (...) {
      ops::cuda::abort_graph_recording();
      throw;
    }
    graph_ = ops::cuda::end_graph_recording();
    ops::cuda::launch_graph(graph_);
    return;
  }
#endif
  body();
}

}  // namespace r1
