// The process-wide step timers.
#include "parallel/step_timers.hpp"

namespace r1 {

StepTimers& step_timers() {
  static StepTimers timers;
  return timers;
}

}  // namespace r1
