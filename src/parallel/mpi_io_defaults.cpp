// MPI-IO defaults applied before MPI_Init (see mpi_io_defaults.hpp).
#include "parallel/mpi_io_defaults.hpp"

#include <mpi.h>

#include <cstdlib>

namespace r1 {

void apply_mpi_io_defaults() {
#if defined(OPEN_MPI) && defined(OMPI_MAJOR_VERSION)
#if OMPI_MAJOR_VERSION == 4
  setenv("OMPI_MCA_io", "romio321", 0);  // 0: a value the user set wins
#elif OMPI_MAJOR_VERSION >= 5
  setenv("OMPI_MCA_io", "romio341", 0);
#endif
#endif
}

}  // namespace r1
