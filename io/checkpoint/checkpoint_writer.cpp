// CheckpointWriter: collective creation of a checkpoint file, per-rank row slices, checksums and
// the commit (close, fsync, rename). Two transports share one sequence of agreement points:
//   every call: [local checks] -> all-reduce MAX {declaration hash, ~hash, failed} -> [create +
//   write] -> all-reduce SUM {checksum partial, rows, failed} -> [r1_checksum attribute]
// so a failure on any rank surfaces on every rank at the same call (checkpoint_agreement.hpp).
#include <filesystem>
#include <set>
#include <vector>

#include "io/checkpoint/checkpoint_agreement.hpp"
#include "io/checkpoint/checkpoint_checksum.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "io/checkpoint/checkpoint_fsync.hpp"
#include "io/formats/hdf5_attributes.hpp"
#include "io/formats/hdf5_dtype.hpp"
#include "io/formats/hdf5_file_access.hpp"
#include "io/formats/hdf5_selection.hpp"
#include "parallel/mpi_check.hpp"

namespace r1 {

namespace {

// Rows of a slice a rank passes to write(); 0 for an empty Tensor.
int64_t slice_rows(const Shape& global_shape, const Tensor& local) {
  if (!local.defined() || local.numel() == 0) return 0;
  return global_shape.empty() ? 1 : local.size(0);
}

int64_t row_elements(const Shape& global_shape) {
  return global_shape.empty() ? 1 : shape_numel(Shape(global_shape.begin() + 1, global_shape.end()));
}

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

void check_slice(const std::string& where, const Shape& global_shape, DType dtype, int64_t row_begin,
                 const Tensor& local) {
  for (int64_t d : global_shape)
    R1_INPUT_CHECK(d >= 0, where, ": negative dimension in shape ", shape_str(global_shape));
  R1_INPUT_CHECK(dtype == DType::f32 || dtype == DType::f64 || dtype == DType::bf16 || dtype == DType::i32 ||
                     dtype == DType::i64 || dtype == DType::u8,
                 where, ": unsupported dtype ", dtype_name(dtype));
  int64_t rows = slice_rows(global_shape, local);
  if (rows == 0) return;
  R1_INPUT_CHECK(local.is_host(), where, ": write() needs a host tensor, got ", local.describe());
  R1_INPUT_CHECK(local.dtype() == dtype, where, ": declared ", dtype_name(dtype), " but the slice is ",
                 local.describe());
  if (global_shape.empty()) {
    R1_INPUT_CHECK(local.numel() == 1 && row_begin == 0, where, ": a scalar dataset takes one element at row 0, got ",
                   local.describe(), " at row ", row_begin);
    return;
  }
  R1_INPUT_CHECK(local.ndim() == int64_t(global_shape.size()), where, ": slice ", local.describe(),
                 " does not match the global shape ", shape_str(global_shape));
  for (size_t d = 1; d < global_shape.size(); ++d)
    R1_INPUT_CHECK(local.shape()[d] == global_shape[d], where, ": slice ", local.describe(),
                   " does not match the global shape ", shape_str(global_shape), " in dim ", d);
  R1_INPUT_CHECK(row_begin >= 0 && row_begin + rows <= global_shape[0], where, ": rows [", row_begin, ", ",
                 row_begin + rows, ") are outside the global shape ", shape_str(global_shape));
}

void write_rows(hid_t dataset, const Shape& global_shape, DType dtype, int64_t row_begin, int64_t rows,
                const Tensor& local, hid_t transfer, const std::string& where) {
  h5::RowSelection selection = h5::select_rows(dataset, global_shape, row_begin, rows, where);
  static const char empty_buffer = 0;  // HDF5 wants a non-null buffer even for an empty selection
  const void* data = rows > 0 ? local.raw() : &empty_buffer;
  H5_CHECK(H5Dwrite(dataset, h5::memory_type_of(dtype), selection.memory.id(), selection.file.id(), transfer, data),
           where);
}

h5::Object open_or_create_group(hid_t file, const std::string& path, const std::string& where) {
  if (h5::object_exists(file, path, where))
    return h5::Object(H5_CHECK(H5Oopen(file, path.c_str(), H5P_DEFAULT), where));
  h5::PropertyList lcpl(H5_CHECK(H5Pcreate(H5P_LINK_CREATE), where));
  H5_CHECK(H5Pset_create_intermediate_group(lcpl.id(), 1), where);
  h5::Group group(H5_CHECK(H5Gcreate2(file, path.c_str(), lcpl.id(), H5P_DEFAULT, H5P_DEFAULT), where));
  group.reset();
  return h5::Object(H5_CHECK(H5Oopen(file, path.c_str(), H5P_DEFAULT), where));
}

h5::Dataset create_dataset(hid_t file, const std::string& path, hid_t file_type, const h5::Dataspace& space,
                           hid_t creation, const std::string& where) {
  h5::PropertyList lcpl(H5_CHECK(H5Pcreate(H5P_LINK_CREATE), where));
  H5_CHECK(H5Pset_create_intermediate_group(lcpl.id(), 1), where);
  return h5::Dataset(
      H5_CHECK(H5Dcreate2(file, path.c_str(), file_type, space.id(), lcpl.id(), creation, H5P_DEFAULT), where));
}

struct PendingSlice {
  std::string path;
  Shape global_shape;
  DType dtype;
  int64_t row_begin;
  int64_t rows;
  Tensor local;
};

}  // namespace

struct CheckpointWriter::Impl {
  std::string final_path, tmp_path;
  Comm comm;
  CheckpointIoOptions options;
  CheckpointTransport transport;
  h5::File file;                      // open on every rank (mpi_io) or on rank 0 (ranks_in_turn) until commit
  std::vector<PendingSlice> pending;  // ranks_in_turn, ranks > 0: rows written at commit
  std::set<std::string> declared;     // dataset paths written so far (the same on every rank)
  RankFailure failure;
  bool broken = false, committed = false;
  int64_t call_index = 0;

  bool holds_file() const { return transport == CheckpointTransport::mpi_io || comm.rank() == 0; }
  std::string where(const std::string& path) const { return tmp_path + ":" + path; }

  h5::TransferMode transfer_mode() const {
    if (transport != CheckpointTransport::mpi_io) return h5::TransferMode::local;
    return options.collective ? h5::TransferMode::mpio_collective : h5::TransferMode::mpio_independent;
  }

  void require_usable(const char* method) const {
    R1_CHECK(!committed, "CheckpointWriter::", method, " after commit() of ", final_path);
    R1_CHECK(!broken, "CheckpointWriter::", method, " after an earlier failure writing ", tmp_path);
  }

  void raise_if_failed() {
    try {
      raise_if_any_rank_failed(comm, failure);
    } catch (...) {
      broken = true;
      throw;
    }
  }

  // Collective: every rank must be at the same call with the same declaration, and none failed.
  void agree_on_call(const std::string& declaration) {
    ++call_index;
    uint64_t h = fnv1a(std::to_string(call_index) + "|" + declaration);
    uint64_t values[3] = {h, ~h, failure.failed ? 1u : 0u};
    allreduce_u64(comm, values, 3, MPI_MAX);
    if (values[2]) raise_if_failed();
    if (values[0] != h || values[1] != ~h) {
      broken = true;
      throw Error("checkpoint " + tmp_path + ": ranks disagree at call #" + std::to_string(call_index) +
                  "; this rank (" + std::to_string(comm.rank()) + ") called " + declaration +
                  " (every rank must make the same calls in the same order)");
    }
  }

  void create_file() {
    if (transport == CheckpointTransport::mpi_io) {
      h5::PropertyList fapl = h5::mpio_file_access(options, comm.native(), tmp_path);
      file = h5::File(H5_CHECK(H5Fcreate(tmp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()), tmp_path));
    } else if (comm.rank() == 0) {
      h5::PropertyList fapl = h5::local_file_access(options, tmp_path);
      file = h5::File(H5_CHECK(H5Fcreate(tmp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()), tmp_path));
    }
    if (!holds_file()) return;
    h5::Object root(H5_CHECK(H5Oopen(file.id(), "/", H5P_DEFAULT), where("/")));
    h5::write_string_attribute(root.id(), "r1_format", kCheckpointFormat, where("/"));
    h5::write_string_attribute(root.id(), "r1_format_version", kCheckpointFormatVersion, where("/"));
    h5::write_string_attribute(root.id(), "r1_writer_ranks", std::to_string(comm.size()), where("/"));
  }

  void close_file() {
    if (!file.valid()) return;
    if (transport == CheckpointTransport::mpi_io)
      H5_CHECK(H5Fflush(file.id(), H5F_SCOPE_GLOBAL), tmp_path);  // MPI_File_sync on every rank
    H5_CHECK(file.reset(), tmp_path);
  }

  // ranks_in_turn, rank > 0: this rank's turn to add its rows to the closed file.
  void write_pending_slices() {
    if (pending.empty()) return;
    h5::PropertyList fapl = h5::local_file_access(options, tmp_path);
    h5::File turn_file(H5_CHECK(H5Fopen(tmp_path.c_str(), H5F_ACC_RDWR, fapl.id()), tmp_path));
    h5::PropertyList transfer = h5::data_transfer(h5::TransferMode::local, tmp_path);
    for (const PendingSlice& slice : pending) {
      h5::Dataset dataset(H5_CHECK(H5Dopen2(turn_file.id(), slice.path.c_str(), H5P_DEFAULT), where(slice.path)));
      write_rows(dataset.id(), slice.global_shape, slice.dtype, slice.row_begin, slice.rows, slice.local, transfer.id(),
                 where(slice.path));
    }
    pending.clear();
    H5_CHECK(turn_file.reset(), tmp_path);
    fsync_file(tmp_path);
  }

  void pass_turns() {
    const int token_tag = 0x5231;
    int token = 0;
    if (comm.rank() > 0)
      MPI_CHECK(MPI_Recv(&token, 1, MPI_INT, comm.rank() - 1, token_tag, comm.native(), MPI_STATUS_IGNORE));
    if (comm.rank() > 0 && token == 0) run_recording_failure(failure, [&] { write_pending_slices(); });
    token = token || failure.failed;
    if (comm.rank() + 1 < comm.size())
      MPI_CHECK(MPI_Send(&token, 1, MPI_INT, comm.rank() + 1, token_tag, comm.native()));
  }
};

CheckpointWriter::CheckpointWriter(const std::string& final_path, const Comm& comm, const CheckpointIoOptions& options)
    : impl_(std::make_unique<Impl>()) {
  h5::h5_quiet();
  Impl& w = *impl_;
  w.final_path = final_path;
  w.tmp_path = final_path + ".tmp";
  w.comm = comm;
  w.options = options;
  w.transport = resolve_transport(options);
  run_recording_failure(w.failure, [&] {
    std::string dir = parent_directory(final_path);
    R1_INPUT_CHECK(std::filesystem::is_directory(dir), "checkpoint ", final_path, ": folder ", dir, " does not exist");
    R1_INPUT_CHECK(options.chunk_bytes >= 0, "checkpoint.io.chunk_bytes must be >= 0, got ", options.chunk_bytes);
  });
  w.raise_if_failed();
  run_recording_failure(w.failure, [&] { w.create_file(); });
  w.raise_if_failed();
}

CheckpointWriter::~CheckpointWriter() = default;

const std::string& CheckpointWriter::final_path() const { return impl_->final_path; }
CheckpointTransport CheckpointWriter::transport() const { return impl_->transport; }

void CheckpointWriter::write(const std::string& path_in, const Shape& global_shape, DType dtype, int64_t row_begin,
                             const Tensor& local) {
  Impl& w = *impl_;
  w.require_usable("write");
  std::string path = path_in;
  run_recording_failure(w.failure, [&] {
    path = normalize_checkpoint_path(path_in);
    check_slice(w.where(path), global_shape, dtype, row_begin, local);
    R1_INPUT_CHECK(!w.declared.count(path), w.where(path), ": dataset written twice");
  });
  w.agree_on_call("write(" + path + ", " + dtype_name(dtype) + shape_str(global_shape) + ")");
  w.declared.insert(path);

  int64_t rows = slice_rows(global_shape, local);
  uint64_t partial = 0;
  run_recording_failure(w.failure, [&] {
    std::string where = w.where(path);
    partial = checksum_partial(rows > 0 ? local : Tensor(), row_begin * row_elements(global_shape));
    if (w.holds_file()) {
      h5::Dataspace space = h5::make_dataspace(global_shape, where);
      h5::PropertyList creation = h5::dataset_creation(global_shape, dtype_size(dtype), w.options.chunk_bytes, where);
      h5::Dataset dataset = create_dataset(w.file.id(), path, h5::file_type_of(dtype), space, creation.id(), where);
      h5::write_string_attribute(dataset.id(), "r1_dtype", dtype_name(dtype), where);
      // Every rank takes part in a collective transfer, except for datasets without elements (no
      // file space to address), which nobody writes.
      bool has_elements = shape_numel(global_shape) > 0;
      if (has_elements && (w.transport == CheckpointTransport::mpi_io || rows > 0)) {
        h5::PropertyList transfer = h5::data_transfer(w.transfer_mode(), where);
        write_rows(dataset.id(), global_shape, dtype, row_begin, rows, local, transfer.id(), where);
      }
    } else if (rows > 0) {
      w.pending.push_back({path, global_shape, dtype, row_begin, rows, local});
    }
  });

  uint64_t sums[3] = {partial, uint64_t(rows), w.failure.failed ? 1u : 0u};
  allreduce_u64(w.comm, sums, 3, MPI_SUM);
  if (sums[2]) w.raise_if_failed();
  int64_t global_rows = global_shape.empty() ? 1 : global_shape[0];
  if (shape_numel(global_shape) > 0 && int64_t(sums[1]) != global_rows) {
    w.broken = true;
    throw InputError(w.where(path) + ": the ranks wrote " + std::to_string(sums[1]) + " rows in all, the shape " +
                     shape_str(global_shape) + " has " + std::to_string(global_rows) +
                     " (each row must be written by exactly one rank; a replicated tensor by one rank only)");
  }
  run_recording_failure(w.failure, [&] {
    if (!w.holds_file()) return;
    h5::Dataset dataset(H5_CHECK(H5Dopen2(w.file.id(), path.c_str(), H5P_DEFAULT), w.where(path)));
    h5::write_u64_attribute(dataset.id(), "r1_checksum", sums[0], w.where(path));
  });
}

void CheckpointWriter::write_string(const std::string& path_in, const std::string& text_in) {
  Impl& w = *impl_;
  w.require_usable("write_string");
  std::string path = path_in;
  run_recording_failure(w.failure, [&] {
    path = normalize_checkpoint_path(path_in);
    R1_INPUT_CHECK(!w.declared.count(path), w.where(path), ": dataset written twice");
  });
  w.agree_on_call("write_string(" + path + ")");
  w.declared.insert(path);
  std::string text = text_in;
  w.comm.broadcast(text, 0);
  run_recording_failure(w.failure, [&] {
    if (!w.holds_file()) return;
    std::string where = w.where(path);
    h5::Datatype type = h5::fixed_string_type(text.size());
    h5::Dataspace space = h5::make_dataspace({}, where);
    h5::PropertyList creation = h5::dataset_creation({}, text.size() + 1, 0, where);
    h5::Dataset dataset = create_dataset(w.file.id(), path, type.id(), space, creation.id(), where);
    h5::PropertyList transfer = h5::data_transfer(w.transfer_mode(), where);
    h5::Dataspace file_space(H5_CHECK(H5Dget_space(dataset.id()), where));
    h5::Dataspace memory_space = h5::make_dataspace({}, where);
    if (w.comm.rank() != 0) {
      H5_CHECK(H5Sselect_none(file_space.id()), where);
      H5_CHECK(H5Sselect_none(memory_space.id()), where);
    }
    H5_CHECK(H5Dwrite(dataset.id(), type.id(), memory_space.id(), file_space.id(), transfer.id(), text.c_str()), where);
    uint64_t checksum = checksum_partial(text.c_str(), 1, int64_t(text.size()) + 1, 0);  // text + its NUL
    h5::write_string_attribute(dataset.id(), "r1_dtype", "text", where);
    h5::write_u64_attribute(dataset.id(), "r1_checksum", checksum, where);
  });
}

void CheckpointWriter::set_attribute(const std::string& path_in, const std::string& key, const std::string& value_in) {
  Impl& w = *impl_;
  w.require_usable("set_attribute");
  std::string path = path_in;
  run_recording_failure(w.failure, [&] {
    path = normalize_checkpoint_path(path_in);
    R1_INPUT_CHECK(!key.empty() && key.rfind("r1_", 0) != 0, w.where(path), ": attribute key '", key,
                   "' is empty or uses the reserved prefix r1_");
  });
  w.agree_on_call("set_attribute(" + path + ", " + key + ")");
  std::string value = value_in;
  w.comm.broadcast(value, 0);
  run_recording_failure(w.failure, [&] {
    if (!w.holds_file()) return;
    h5::Object object = open_or_create_group(w.file.id(), path, w.where(path));
    h5::write_string_attribute(object.id(), key, value, w.where(path));
  });
}

void CheckpointWriter::commit() {
  Impl& w = *impl_;
  w.require_usable("commit");
  w.agree_on_call("commit()");
  run_recording_failure(w.failure, [&] { w.close_file(); });
  if (w.transport == CheckpointTransport::ranks_in_turn) {
    if (w.comm.rank() == 0) run_recording_failure(w.failure, [&] { fsync_file(w.tmp_path); });
    w.pass_turns();
  }
  w.raise_if_failed();
  if (w.comm.rank() == 0)
    run_recording_failure(w.failure, [&] {
      if (w.transport == CheckpointTransport::mpi_io) fsync_file(w.tmp_path);
      rename_durably(w.tmp_path, w.final_path);
    });
  w.raise_if_failed();
  w.committed = true;
}

}  // namespace r1
