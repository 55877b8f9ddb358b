// The per-stage phase clock (see phase_clock.hpp).
#include "engine/phase_clock.hpp"

namespace r1 {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::other: return "other";
    case Phase::data: return "data";
    case Phase::generation: return "generation";
    case Phase::scoring: return "scoring";
    case Phase::update: return "update";
    case Phase::checkpoint: return "checkpoint";
  }
  return "?";
}

double PhaseTimes::total() const {
  double t = 0;
  for (double s : seconds) t += s;
  return t;
}

PhaseClock& PhaseClock::instance() {
  static PhaseClock clock;
  return clock;
}

void PhaseClock::charge() {
  const Clock::time_point now = Clock::now();
  const Phase running = stack_.empty() ? Phase::other : stack_.back();
  times_.seconds[size_t(running)] += std::chrono::duration<double>(now - mark_).count();
  mark_ = now;
}

void PhaseClock::reset() {
  times_ = PhaseTimes{};
  mark_ = Clock::now();
}

PhaseTimes PhaseClock::read() {
  charge();
  return times_;
}

void PhaseClock::enter(Phase p) {
  charge();
  stack_.push_back(p);
}

void PhaseClock::leave() {
  charge();
  if (!stack_.empty()) stack_.pop_back();
}

}  // namespace r1
