// StepTimers: where a training step's wall time goes — compute (forward/backward/optimizer), MoE
// all-to-all, pipeline waits, gradient all-reduce — accumulated by the code that does each part and
// read by `r1 bench train` and the metrics.
#pragma once
#include <chrono>

namespace r1 {

enum class StepPart { compute, all_to_all, pipeline_wait, all_reduce, count };

class StepTimers {
 public:
  void reset() {
    for (double& s : seconds_) s = 0;
  }
  void add(StepPart part, double s) { seconds_[int(part)] += s; }
  double get(StepPart part) const { return seconds_[int(part)]; }

 private:
  double seconds_[int(StepPart::count)] = {};
};

// Adds the scope's duration to one part.
class ScopedStepTimer {
 public:
  ScopedStepTimer(StepTimers* timers, StepPart part) : timers_(timers), part_(part), t0_(std::chrono::steady_clock::now()) {}
  ~ScopedStepTimer() {
    if (timers_) timers_->add(part_, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count());
  }

 private:
  StepTimers* timers_;
  StepPart part_;
  std::chrono::steady_clock::time_point t0_;
};

StepTimers& step_timers();  // process-wide

}  // namespace r1
