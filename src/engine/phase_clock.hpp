// Where a stage's wall time goes: a process-wide clock that charges elapsed time to the innermost
// active phase (generation, scoring, update, checkpoint, data), so nested scopes never count twice —
// e.g. the generation inside a GRPO step is generation, the rest of the step update. Time outside
// every scope is "other". The recipe runner resets it at each stage start and writes the split to
// metrics.jsonl ("kind": "stage_time") and to the summary table at the end of a run.
#pragma once
#include <array>
#include <chrono>
#include <string>
#include <vector>

namespace r1 {

enum class Phase { other, data, generation, scoring, update, checkpoint };
inline constexpr size_t kPhaseCount = 6;
const char* phase_name(Phase p);  // "other", "data", "generation", ...

struct PhaseTimes {
  std::array<double, kPhaseCount> seconds{};
  double total() const;
  double of(Phase p) const { return seconds[size_t(p)]; }
};

class PhaseClock {
 public:
  static PhaseClock& instance();
  void reset();            // start of a stage: every phase at 0, the clock running in "other"
  PhaseTimes read();       // the split so far (charges the running phase up to now)
  void enter(Phase p);
  void leave();

 private:
  using Clock = std::chrono::steady_clock;
  void charge();
  PhaseTimes times_;
  std::vector<Phase> stack_;
  Clock::time_point mark_ = Clock::now();
};

// RAII scope: PhaseScope scope(Phase::generation);
class PhaseScope {
 public:
  explicit PhaseScope(Phase p) { PhaseClock::instance().enter(p); }
  ~PhaseScope() { PhaseClock::instance().leave(); }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;
};

}  // namespace r1
