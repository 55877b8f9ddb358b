// SlotScheduler: the slots and the queue of pending requests.
#include "rl/rollout/slot_scheduler.hpp"

namespace r1 {

SlotScheduler::SlotScheduler(const std::vector<RolloutRequest>& requests, int64_t slots, int64_t groups)
    : requests_(requests), slots_(size_t(slots)), groups_(groups) {
  for (int64_t i = 0; i < int64_t(requests.size()); ++i) pending_.push_back(i);
}

}  // namespace r1
