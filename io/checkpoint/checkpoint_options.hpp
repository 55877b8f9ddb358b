// How checkpoint files are written and read: HDF5 layout knobs (alignment, chunking) and the
// transport (MPI-IO through parallel HDF5, or ranks writing one after another through serial HDF5).
// These become the config keys checkpoint.io.*; docs/formats.md ("Checkpoint files") says when to
// change them.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "core/config_visitor.hpp"

namespace r1 {

enum class CheckpointTransport {
  automatic,      // mpi_io when HDF5 is the parallel build, else ranks_in_turn
  mpi_io,         // one shared open through MPI-IO (parallel HDF5 only)
  ranks_in_turn,  // rank 0 creates the file and every dataset; then ranks append their slices in turn
};

struct CheckpointIoOptions {
  // Objects of at least this many bytes start on a multiple of it in the file (H5Pset_alignment
  // threshold and alignment). Match the file system's stripe size; <= 1 disables alignment.
  int64_t alignment = int64_t(1) << 20;
  // 0: contiguous datasets. Otherwise chunked datasets with about this many bytes per chunk (whole
  // rows of the first dimension per chunk).
  int64_t chunk_bytes = 0;
  // Collective MPI-IO transfers for tensor data and collective metadata operations (mpi_io only).
  bool collective = true;
  // MPI-IO hints passed through MPI_Info, e.g. striping_factor, striping_unit, romio_cb_write,
  // cb_buffer_size, cb_nodes.
  std::map<std::string, std::string> mpi_hints;
  CheckpointTransport transport = CheckpointTransport::automatic;
  // HDF5 file locking (flock) on files opened without MPI-IO. Turn off on file systems mounted
  // without flock support, where opening fails with "unable to lock file".
  bool file_locking = true;
};

// True when r1 was built against the parallel (MPI-IO capable) HDF5.
bool hdf5_is_parallel();

// The transport `options` asks for, with `automatic` resolved. mpi_io in a serial-HDF5 build is an
// InputError.
CheckpointTransport resolve_transport(const CheckpointIoOptions& options);

const char* transport_name(CheckpointTransport transport);
// The spellings of checkpoint.transport (and of r1 bench ckpt --transport).
const EnumNames<CheckpointTransport>& checkpoint_transport_names();

}  // namespace r1
