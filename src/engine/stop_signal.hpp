// Stop requests from the batch system. SIGTERM and SIGUSR1 (Slurm's preemption and time-limit
// warnings) only set a flag; at the next step boundary the ranks agree on it with an all-reduce,
// write a checkpoint and leave with kRequeueExitCode, which job scripts map to a requeue.
#pragma once
#include <exception>

#include "parallel/comm.hpp"

namespace r1 {

// Exit code of a run that stopped on a signal after writing its checkpoint ("requeue me").
constexpr int kRequeueExitCode = 85;

void install_stop_signal_handlers();
bool stop_signal_received();             // this rank's flag
bool stop_requested(const Comm& world);  // collective: any rank received a stop signal
void clear_stop_signal();                // tests

// Thrown after the checkpoint of a requested stop is committed; main exits with kRequeueExitCode.
class StopRequested : public std::exception {
 public:
  const char* what() const noexcept override { return "stopped on a signal after writing a checkpoint"; }
};

}  // namespace r1
