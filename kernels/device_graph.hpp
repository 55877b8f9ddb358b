// DeviceGraph: records a step's device work once and replays it with one launch (a CUDA graph), so
// a step of hundreds of small kernels (one decoding step of generation) costs one launch instead of
// one per kernel. The body must launch the same work with the same arguments every time: its inputs
// are read from, and its outputs written to, device buffers that outlive the graph (the caller
// updates them between runs), and it never waits for the device or copies host memory (the CUDA
// backend reports that as an error while recording). Device memory the body frees while it is
// recorded stays reserved for the graph until the graph is destroyed. On the host, or with
// runtime.cuda_graphs: false (R1_CUDA_GRAPHS=0), run() calls the body every time.
#pragma once
#include <functional>

#include "core/tensor.hpp"

namespace r1 {

namespace ops::cuda {
struct RecordedGraph;
}

class DeviceGraph {
 public:
  explicit DeviceGraph(Device device);
  ~DeviceGraph();
  DeviceGraph(const DeviceGraph&) = delete;
  DeviceGraph& operator=(const DeviceGraph&) = delete;

  // The first call records the body and launches the recording; later calls launch it again.
  void run(const std::function<void()>& body);
  bool recorded() const { return graph_ != nullptr; }

  // Whether graphs are used on `device` (CUDA, unless runtime.cuda_graphs is off).
  static bool enabled(Device device);

 private:
  Device device_;
  ops::cuda::RecordedGraph* graph_ = nullptr;
};

}  // namespace r1
