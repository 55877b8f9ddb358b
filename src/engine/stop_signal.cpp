// Signal flag and the collective agreement on it.
#include "engine/stop_signal.hpp"

#include <csignal>

namespace r1 {

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }
}  // namespace

void install_stop_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}

bool stop_signal_received() { return g_stop != 0; }
void clear_stop_signal() { g_stop = 0; }

bool stop_requested(const Comm& world) { return world.allreduce(int64_t(g_stop != 0), ReduceOp::max) > 0; }

}  // namespace r1
