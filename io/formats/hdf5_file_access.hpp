// HDF5 property lists for checkpoint files: file access (one process through the POSIX driver, or
// every rank of a communicator through MPI-IO with hints and collective metadata), data transfer
// (collective or independent MPI-IO) and dataset creation (contiguous or chunked, space allocated
// at creation, no fill-value writes).
#pragma once
#include <mpi.h>

#include "core/tensor.hpp"
#include "io/checkpoint/checkpoint_options.hpp"
#include "io/formats/hdf5_handles.hpp"

namespace r1::h5 {

enum class TransferMode { local, mpio_independent, mpio_collective };

// File access for this process alone (sec2 driver), with alignment and file locking from `options`.
PropertyList local_file_access(const CheckpointIoOptions& options, const std::string& where);

// File access shared by every rank of `comm` through MPI-IO (parallel HDF5 builds only; InputError
// otherwise), with options.mpi_hints as MPI_Info, alignment, and collective metadata operations
// when options.collective.
PropertyList mpio_file_access(const CheckpointIoOptions& options, MPI_Comm comm, const std::string& where);

PropertyList data_transfer(TransferMode mode, const std::string& where);

// Creation properties for a dataset of `shape` with `element_size`-byte elements: contiguous when
// chunk_bytes == 0 (or the dataset is scalar or empty), else chunks of whole rows of about
// chunk_bytes bytes.
PropertyList dataset_creation(const Shape& shape, size_t element_size, int64_t chunk_bytes, const std::string& where);

}  // namespace r1::h5
