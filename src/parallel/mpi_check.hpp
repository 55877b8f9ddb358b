// MPI_CHECK: on failure prints the call, file:line and rank, then aborts the whole job so no peer
// hangs waiting for this rank.
#pragma once
#include <mpi.h>

#include <cstdio>

#define MPI_CHECK(call)                                                                          \
  do {                                                                                           \
    int r1_mpi_rc_ = (call);                                                                     \
    if (r1_mpi_rc_ != MPI_SUCCESS) {                                                             \
      char r1_mpi_msg_[MPI_MAX_ERROR_STRING];                                                    \
      int r1_mpi_len_ = 0, r1_mpi_rank_ = -1;                                                    \
      MPI_Error_string(r1_mpi_rc_, r1_mpi_msg_, &r1_mpi_len_);                                   \
      MPI_Comm_rank(MPI_COMM_WORLD, &r1_mpi_rank_);                                              \
      std::fprintf(stderr, "[rank %d] MPI error in %s at %s:%d: %s\n", r1_mpi_rank_, #call,      \
                   __FILE__, __LINE__, r1_mpi_msg_);                                             \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                              \
    }                                                                                            \
  } while (0)
