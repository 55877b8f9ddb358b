// Property lists for checkpoint files (see hdf5_file_access.hpp).
#include "io/formats/hdf5_file_access.hpp"

#include <algorithm>
#include <vector>

namespace r1::h5 {

namespace {
void apply_common_access(hid_t fapl, const CheckpointIoOptions& options, const std::string& where) {
  if (options.alignment > 1)
    H5_CHECK(H5Pset_alignment(fapl, hsize_t(options.alignment), hsize_t(options.alignment)), where);
#if H5_VERSION_GE(1, 10, 7)
  H5_CHECK(H5Pset_file_locking(fapl, options.file_locking, true), where);
#endif
}
}  // namespace

PropertyList local_file_access(const CheckpointIoOptions& options, const std::string& where) {
  PropertyList fapl(H5_CHECK(H5Pcreate(H5P_FILE_ACCESS), where));
  H5_CHECK(H5Pset_fapl_sec2(fapl.id()), where);
  apply_common_access(fapl.id(), options, where);
  return fapl;
}

PropertyList mpio_file_access(const CheckpointIoOptions& options, MPI_Comm comm, const std::string& where) {
#if defined(R1_HDF5_PARALLEL)
  PropertyList fapl(H5_CHECK(H5Pcreate(H5P_FILE_ACCESS), where));
  MPI_Info info = MPI_INFO_NULL;
  if (!options.mpi_hints.empty()) {
    MPI_Info_create(&info);
    for (const auto& [key, value] : options.mpi_hints) MPI_Info_set(info, key.c_str(), value.c_str());
  }
  herr_t status = H5Pset_fapl_mpio(fapl.id(), comm, info);  // keeps its own duplicates of comm and info
  if (info != MPI_INFO_NULL) MPI_Info_free(&info);
  H5_CHECK(status, where);
  apply_common_access(fapl.id(), options, where);
  if (options.collective) {
    H5_CHECK(H5Pset_all_coll_metadata_ops(fapl.id(), true), where);
    H5_CHECK(H5Pset_coll_metadata_write(fapl.id(), true), where);
  }
  return fapl;
#else
  (void)options;
  (void)comm;
  throw InputError(where + ": MPI-IO access needs r1 built against parallel HDF5");
#endif
}

PropertyList data_transfer(TransferMode mode, const std::string& where) {
  PropertyList dxpl(H5_CHECK(H5Pcreate(H5P_DATASET_XFER), where));
#if defined(R1_HDF5_PARALLEL)
  if (mode != TransferMode::local)
    H5_CHECK(H5Pset_dxpl_mpio(dxpl.id(),
                              mode == TransferMode::mpio_collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT),
             where);
#else
  R1_CHECK(mode == TransferMode::local, "MPI-IO transfer requested in a serial-HDF5 build for ", where);
#endif
  return dxpl;
}

PropertyList dataset_creation(const Shape& shape, size_t element_size, int64_t chunk_bytes, const std::string& where) {
  PropertyList dcpl(H5_CHECK(H5Pcreate(H5P_DATASET_CREATE), where));
  H5_CHECK(H5Pset_fill_time(dcpl.id(), H5D_FILL_TIME_NEVER), where);
  H5_CHECK(H5Pset_alloc_time(dcpl.id(), H5D_ALLOC_TIME_EARLY), where);
  bool chunkable = chunk_bytes > 0 && !shape.empty() && shape_numel(shape) > 0;
  if (!chunkable) return dcpl;
  int64_t row_bytes = int64_t(element_size) * shape_numel(Shape(shape.begin() + 1, shape.end()));
  int64_t rows_per_chunk = std::clamp<int64_t>(chunk_bytes / row_bytes, 1, shape[0]);
  R1_INPUT_CHECK(rows_per_chunk * row_bytes < (int64_t(1) << 32), where, ": one row is ", row_bytes,
                 " bytes, over HDF5's 4 GiB chunk limit; use contiguous datasets (checkpoint.io.chunk_bytes: 0)");
  std::vector<hsize_t> chunk(shape.begin(), shape.end());
  chunk[0] = hsize_t(rows_per_chunk);
  H5_CHECK(H5Pset_chunk(dcpl.id(), int(chunk.size()), chunk.data()), where);
  return dcpl;
}

}  // namespace r1::h5
