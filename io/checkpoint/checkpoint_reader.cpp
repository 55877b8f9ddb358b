// CheckpointReader: opening (one process or collectively), the dataset listing, row-range reads,
// text datasets and attributes. verify() is in checkpoint_verify.cpp.
#include <algorithm>
#include <filesystem>
#include <vector>

#include "io/checkpoint/checkpoint_agreement.hpp"
#include "io/checkpoint/checkpoint_reader_state.hpp"
#include "io/formats/hdf5_attributes.hpp"
#include "io/formats/hdf5_dtype.hpp"
#include "io/formats/hdf5_selection.hpp"

namespace r1 {

namespace {

herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* names) {
  if (info->type == H5L_TYPE_HARD) static_cast<std::vector<std::string>*>(names)->push_back(std::string("/") + name);
  return 0;
}

DatasetInfo describe_dataset(hid_t dataset, const std::string& path, const std::string& where) {
  DatasetInfo info;
  info.path = path;
  h5::Datatype type(H5_CHECK(H5Dget_type(dataset), where));
  h5::Dataspace space(H5_CHECK(H5Dget_space(dataset), where));
  int ndims = H5_CHECK(H5Sget_simple_extent_ndims(space.id()), where);
  std::vector<hsize_t> dims(size_t(std::max(ndims, 0)));
  if (ndims > 0) H5_CHECK(H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr), where);
  info.shape.assign(dims.begin(), dims.end());
  std::optional<std::string> r1_dtype = h5::read_string_attribute(dataset, "r1_dtype", where);
  info.checksum = h5::read_u64_attribute(dataset, "r1_checksum", where);
  if (H5Tget_class(type.id()) == H5T_STRING) {
    R1_INPUT_CHECK(H5_CHECK(H5Tis_variable_str(type.id()), where) == 0 && ndims == 0, where,
                   ": text datasets in checkpoints are scalar fixed-length strings");
    info.is_text = true;
    info.dtype = DType::u8;
    info.stored_bytes = int64_t(H5Tget_size(type.id()));
    return info;
  }
  std::optional<DType> dtype = h5::dtype_from_hdf5(type.id(), r1_dtype);
  R1_INPUT_CHECK(dtype.has_value(), where, ": HDF5 type (class ", int(H5Tget_class(type.id())), ", ",
                 H5Tget_size(type.id()), " bytes, r1_dtype ", r1_dtype.value_or("absent"),
                 ") is not one r1 checkpoints use");
  info.dtype = *dtype;
  info.stored_bytes = shape_numel(info.shape) * int64_t(dtype_size(info.dtype));
  return info;
}

}  // namespace

CheckpointReader::CheckpointReader(const std::string& path, const CheckpointIoOptions& options)
    : impl_(std::make_unique<Impl>()) {
  h5::h5_quiet();
  Impl& r = *impl_;
  r.path = path;
  r.options = options;
  R1_INPUT_CHECK(std::filesystem::is_regular_file(path), "checkpoint ", path, " does not exist");
  try {
    h5::PropertyList fapl = h5::local_file_access(options, path);
    r.file = h5::File(H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.id()), path));
    list_datasets();
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError("checkpoint " + path + " is unreadable: " + e.what());
  }
}

CheckpointReader::CheckpointReader(const std::string& path, const Comm& comm, const CheckpointIoOptions& options)
    : impl_(std::make_unique<Impl>()) {
  h5::h5_quiet();
  Impl& r = *impl_;
  r.path = path;
  r.comm = comm;
  r.options = options;
  r.mpio = resolve_transport(options) == CheckpointTransport::mpi_io;
  RankFailure failure;
  run_recording_failure(
      failure, [&] { R1_INPUT_CHECK(std::filesystem::is_regular_file(path), "checkpoint ", path, " does not exist"); });
  raise_if_any_rank_failed(comm, failure);
  run_recording_failure(failure, [&] {
    try {
      h5::PropertyList fapl =
          r.mpio ? h5::mpio_file_access(options, comm.native(), path) : h5::local_file_access(options, path);
      r.file = h5::File(H5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.id()), path));
      list_datasets();
    } catch (const InputError&) {
      throw;
    } catch (const Error& e) {
      throw InputError("checkpoint " + path + " is unreadable: " + e.what());
    }
  });
  raise_if_any_rank_failed(comm, failure);
}

CheckpointReader::~CheckpointReader() = default;
CheckpointReader::CheckpointReader(CheckpointReader&&) noexcept = default;
CheckpointReader& CheckpointReader::operator=(CheckpointReader&&) noexcept = default;

void CheckpointReader::list_datasets() {
  Impl& r = *impl_;
  std::vector<std::string> names;
  H5_CHECK(H5Lvisit(r.file.id(), H5_INDEX_NAME, H5_ITER_INC, collect_link, &names), r.where("/"));
  for (const std::string& name : names) {
    h5::Object object(H5_CHECK(H5Oopen(r.file.id(), name.c_str(), H5P_DEFAULT), r.where(name)));
    if (H5Iget_type(object.id()) != H5I_DATASET) continue;
    r.datasets.push_back(describe_dataset(object.id(), name, r.where(name)));
  }
  std::sort(r.datasets.begin(), r.datasets.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  for (size_t i = 0; i < r.datasets.size(); ++i) r.index[r.datasets[i].path] = i;
}

const std::string& CheckpointReader::path() const { return impl_->path; }
const std::vector<DatasetInfo>& CheckpointReader::datasets() const { return impl_->datasets; }

std::optional<DatasetInfo> CheckpointReader::find(const std::string& path) const {
  auto it = impl_->index.find(normalize_checkpoint_path(path));
  if (it == impl_->index.end()) return std::nullopt;
  return impl_->datasets[it->second];
}

const DatasetInfo& CheckpointReader::info(const std::string& path) const {
  std::string normalized = normalize_checkpoint_path(path);
  auto it = impl_->index.find(normalized);
  R1_INPUT_CHECK(it != impl_->index.end(), "checkpoint ", impl_->path, " has no dataset ", normalized);
  return impl_->datasets[it->second];
}

Tensor CheckpointReader::read_rows(const std::string& path, int64_t row_begin, int64_t row_count) const {
  const Impl& r = *impl_;
  const DatasetInfo& d = info(path);
  std::string where = r.where(d.path);
  R1_INPUT_CHECK(!d.is_text, where, ": a text dataset (use read_string)");
  int64_t global_rows = d.shape.empty() ? 1 : d.shape[0];
  R1_INPUT_CHECK(row_begin >= 0 && row_count >= 0 && row_begin + row_count <= global_rows, where, ": rows [", row_begin,
                 ", ", row_begin + row_count, ") are outside the shape ", shape_str(d.shape));
  Shape out_shape = d.shape;
  if (d.shape.empty()) {
    if (row_count == 0) out_shape = {0};
  } else {
    out_shape[0] = row_count;
  }
  Tensor out = Tensor::empty(out_shape, d.dtype);
  if (shape_numel(d.shape) == 0) return out;  // no elements, no file space: nothing to read on any rank
  h5::Dataset dataset(H5_CHECK(H5Dopen2(r.file.id(), d.path.c_str(), H5P_DEFAULT), where));
  h5::RowSelection selection = h5::select_rows(dataset.id(), d.shape, row_begin, row_count, where);
  h5::PropertyList transfer = h5::data_transfer(r.collective_mode(), where);
  static char empty_buffer = 0;
  void* buffer = out.numel() > 0 ? out.raw() : &empty_buffer;
  H5_CHECK(H5Dread(dataset.id(), h5::memory_type_of(d.dtype), selection.memory.id(), selection.file.id(), transfer.id(),
                   buffer),
           where);
  return out;
}

Tensor CheckpointReader::read(const std::string& path) const {
  const DatasetInfo& d = info(path);
  return read_rows(path, 0, d.shape.empty() ? 1 : d.shape[0]);
}

std::string CheckpointReader::read_string(const std::string& path) const {
  const Impl& r = *impl_;
  const DatasetInfo& d = info(path);
  std::string where = r.where(d.path);
  R1_INPUT_CHECK(d.is_text, where, ": not a text dataset (", dtype_name(d.dtype), shape_str(d.shape), ")");
  h5::Dataset dataset(H5_CHECK(H5Dopen2(r.file.id(), d.path.c_str(), H5P_DEFAULT), where));
  h5::Datatype type(H5_CHECK(H5Dget_type(dataset.id()), where));
  h5::PropertyList transfer = h5::data_transfer(r.collective_mode(), where);
  std::vector<char> buffer(size_t(d.stored_bytes) + 1, '\0');
  H5_CHECK(H5Dread(dataset.id(), type.id(), H5S_ALL, H5S_ALL, transfer.id(), buffer.data()), where);
  return std::string(buffer.data());
}

std::optional<std::string> CheckpointReader::attribute(const std::string& object_path, const std::string& key) const {
  const Impl& r = *impl_;
  std::string path = normalize_checkpoint_path(object_path);
  std::string where = r.where(path);
  R1_INPUT_CHECK(h5::object_exists(r.file.id(), path, where), "checkpoint ", r.path, " has no object ", path);
  h5::Object object(H5_CHECK(H5Oopen(r.file.id(), path.c_str(), H5P_DEFAULT), where));
  return h5::read_string_attribute(object.id(), key, where);
}

std::optional<int64_t> CheckpointReader::data_offset(const std::string& path) const {
  const Impl& r = *impl_;
  const DatasetInfo& d = info(path);
  h5::Dataset dataset(H5_CHECK(H5Dopen2(r.file.id(), d.path.c_str(), H5P_DEFAULT), r.where(d.path)));
  haddr_t offset = H5Dget_offset(dataset.id());
  if (offset == HADDR_UNDEF) return std::nullopt;
  return int64_t(offset);
}

}  // namespace r1
