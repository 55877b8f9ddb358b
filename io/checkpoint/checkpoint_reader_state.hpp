// Internal to the checkpoint reader (checkpoint_reader.cpp, checkpoint_verify.cpp): the open file,
// how it was opened, and the dataset listing cached at open.
#pragma once
#include <map>
#include <optional>

#include "io/checkpoint/checkpoint_file.hpp"
#include "io/formats/hdf5_file_access.hpp"
#include "io/formats/hdf5_handles.hpp"

namespace r1 {

struct CheckpointReader::Impl {
  std::string path;
  std::optional<Comm> comm;  // set for a collective reader
  CheckpointIoOptions options;
  bool mpio = false;  // opened through MPI-IO (collective reader, mpi_io transport)
  h5::File file;
  std::vector<DatasetInfo> datasets;    // path order
  std::map<std::string, size_t> index;  // path -> position in datasets

  std::string where(const std::string& object) const { return path + ":" + object; }
  int rank() const { return comm ? comm->rank() : 0; }
  int size() const { return comm ? comm->size() : 1; }
  // Transfers of a collective reader: every rank calls, each with its own (possibly empty) selection.
  h5::TransferMode collective_mode() const {
    if (!mpio) return h5::TransferMode::local;
    return options.collective ? h5::TransferMode::mpio_collective : h5::TransferMode::mpio_independent;
  }
};

}  // namespace r1
