// Keeping ranks in step when one of them fails during collective checkpoint I/O: local work runs
// with its exception recorded (not thrown), and at the next agreement point every rank throws the
// same error (the lowest failing rank's message), so no rank is left waiting in a collective.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "parallel/comm.hpp"

namespace r1 {

// The first failure this rank met since the ranks last agreed.
struct RankFailure {
  bool failed = false;
  bool input_error = false;
  std::string message;
};

// Runs `work` unless `failure` is already set; an exception it throws is recorded in `failure`.
void run_recording_failure(RankFailure& failure, const std::function<void()>& work);

// Collective over `comm`: when any rank has failed, every rank throws the lowest failing rank's
// error (InputError when it was one, else Error; prefixed with the rank on multi-rank runs).
void raise_if_any_rank_failed(const Comm& comm, const RankFailure& failure);

// Element-wise all-reduce of unsigned 64-bit values (MPI_SUM wraps modulo 2^64).
void allreduce_u64(const Comm& comm, uint64_t* values, int count, MPI_Op op);

}  // namespace r1
