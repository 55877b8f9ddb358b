// MPI-IO defaults applied before MPI_Init. Open MPI's own MPI-IO layer (OMPIO) opens a shared-file-
// pointer component with every file: its `sm` component creates a named POSIX semaphore per file
// basename (/dev/shm/sem.OMPIO_<name>), which a process killed during a checkpoint write leaves
// behind locked — every later open of a file with that name on the node (the next step_N.h5.tmp)
// then waits forever; its `lockedfile` component leaves lock files in the checkpoint folder instead.
// r1 never uses shared file pointers, so with Open MPI it selects ROMIO (no per-file semaphores or
// lock files) unless the user has chosen an io component (OMPI_MCA_io) already.
#pragma once

namespace r1 {

void apply_mpi_io_defaults();

}  // namespace r1
