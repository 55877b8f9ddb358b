// Transport resolution for checkpoint I/O (depends on which HDF5 flavour r1 was built against).
#include "io/checkpoint/checkpoint_options.hpp"

#include "core/error.hpp"

namespace r1 {

bool hdf5_is_parallel() {
#if defined(R1_HDF5_PARALLEL)
  return true;
#else
  return false;
#endif
}

CheckpointTransport resolve_transport(const CheckpointIoOptions& options) {
  switch (options.transport) {
    case CheckpointTransport::automatic:
      return hdf5_is_parallel() ? CheckpointTransport::mpi_io : CheckpointTransport::ranks_in_turn;
    case CheckpointTransport::mpi_io:
      R1_INPUT_CHECK(hdf5_is_parallel(),
                     "checkpoint.io.transport: mpi_io needs r1 built against parallel HDF5; this build uses serial "
                     "HDF5 (use ranks_in_turn or automatic)");
      return CheckpointTransport::mpi_io;
    case CheckpointTransport::ranks_in_turn: return CheckpointTransport::ranks_in_turn;
  }
  return CheckpointTransport::ranks_in_turn;
}

const EnumNames<CheckpointTransport>& checkpoint_transport_names() {
  static const EnumNames<CheckpointTransport> t = {{CheckpointTransport::automatic, "automatic"},
                                                   {CheckpointTransport::mpi_io, "mpi_io"},
                                                   {CheckpointTransport::ranks_in_turn, "ranks_in_turn"}};
  return t;
}

const char* transport_name(CheckpointTransport transport) {
  return enum_name(transport, checkpoint_transport_names()).c_str();
}

}  // namespace r1
