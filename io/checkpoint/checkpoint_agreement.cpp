// Failure agreement for collective checkpoint I/O.
#include "io/checkpoint/checkpoint_agreement.hpp"

#include <exception>

#include "parallel/mpi_check.hpp"

namespace r1 {

void run_recording_failure(RankFailure& failure, const std::function<void()>& work) {
  if (failure.failed) return;
  try {
    work();
  } catch (const InputError& e) {
    failure = {true, true, e.what()};
  } catch (const std::exception& e) {
    failure = {true, false, e.what()};
  }
}

void raise_if_any_rank_failed(const Comm& comm, const RankFailure& failure) {
  int64_t failing_rank = comm.allreduce(int64_t(failure.failed ? comm.rank() : comm.size()), ReduceOp::min);
  if (failing_rank == comm.size()) return;
  std::string message = failure.message;
  comm.broadcast(message, int(failing_rank));
  std::vector<int64_t> input_error{failure.input_error ? 1 : 0};
  comm.broadcast(input_error, int(failing_rank));
  if (comm.size() > 1) message = "rank " + std::to_string(failing_rank) + ": " + message;
  if (input_error[0]) throw InputError(message);
  throw Error(message);
}

void allreduce_u64(const Comm& comm, uint64_t* values, int count, MPI_Op op) {
  if (comm.size() == 1 || count == 0) return;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_UINT64_T, op, comm.native()));
}

}  // namespace r1
