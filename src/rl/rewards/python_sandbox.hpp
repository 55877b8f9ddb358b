// A program from a completion, run by the system's python3 (/usr/bin/python3) in a fresh process that
// cannot harm the host or other runs (the code reward's executor, issue 23):
//   - its own namespaces: mount, PID (the program is PID 1's child; when PID 1 ends every process in
//     the namespace ends), network (no interface up: no connection leaves), IPC and UTS;
//   - a root of its own: /usr, /lib, /lib64 (and the /bin, /sbin links) bound read-only, a private
//     writable /tmp and working directory (size-capped tmpfs), /dev/null, /dev/zero, /dev/urandom —
//     nothing else of the host's file system (no run folders, no /proc, no /etc, no home);
//   - the unprivileged user nobody, no new privileges;
//   - rlimits: CPU seconds, address space, file size, processes, open files, no core dumps;
//   - a wall-clock limit after which the whole process group is killed, and an output cap (the
//     program is killed once its stdout + stderr exceed it).
// Needs Linux namespaces (root, or unprivileged user namespaces); run_python reports a setup failure
// in the result rather than running the program unconfined.
#pragma once
#include <cstdint>
#include <string>

namespace r1::rewards {

struct SandboxLimits {
  double wall_seconds = 10;
  int64_t cpu_seconds = 5;
  int64_t memory_bytes = int64_t(1) << 30;  // address space
  int64_t file_bytes = int64_t(16) << 20;   // largest file written
  int64_t tmpfs_bytes = int64_t(64) << 20;  // the writable /tmp and working directory, together
  int64_t processes = 16;                   // of the sandbox user
  int64_t output_bytes = int64_t(1) << 20;  // stdout + stderr kept
};

struct SandboxResult {
  bool ran = false;            // the sandbox was set up and python3 started (else `error` says why)
  int exit_code = -1;          // the program's exit status (when it exited)
  int signal = 0;              // the signal that ended it (0 when it exited)
  bool timed_out = false;      // killed at the wall-clock limit
  bool output_truncated = false;  // killed for printing more than output_bytes
  std::string output;          // stdout and stderr, interleaved, at most output_bytes
  std::string error;           // set-up failure
  double seconds = 0;          // wall time
  bool passed() const { return ran && exit_code == 0 && signal == 0 && !timed_out && !output_truncated; }
};

// Runs `program` (Python source) as /work/main.py inside the sandbox.
SandboxResult run_python(const std::string& program, const SandboxLimits& limits = {});

}  // namespace r1::rewards
