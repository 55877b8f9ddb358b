// One checkpoint = one HDF5 file laid out by logical tensor with global shapes (not by rank), so a
// checkpoint written under one rank layout loads under any other: resharding is a read.
//
//   CheckpointWriter  collective over a Comm: declares /<group>/<name> datasets of global shape and
//                     each rank writes the rows it holds; text datasets and text attributes; every
//                     dataset gets the layout-independent checksum attribute r1_checksum
//                     (checkpoint_checksum.hpp); commit() makes the file durable and renames
//                     <final>.tmp to <final>.
//   CheckpointReader  lists datasets (shapes, dtypes), reads any row range of any dataset into a
//                     host tensor, reads text and attributes, and verifies every checksum. Opened
//                     by one process, or collectively over a Comm (MPI-IO reads in parallel builds).
//
// Conventions (docs/formats.md, "Checkpoint files"): /model/<name>, /optim/m/<name>,
// /optim/v/<name>, /state/...; bf16 is stored as uint16 with the attribute r1_dtype = "bf16".
// The file root carries r1_format = "r1-checkpoint" and r1_format_version = "1".
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "io/checkpoint/checkpoint_options.hpp"
#include "parallel/comm.hpp"

namespace r1 {

inline constexpr const char* kCheckpointFormat = "r1-checkpoint";
inline constexpr const char* kCheckpointFormatVersion = "1";

// Collective: every rank of `comm` calls every method, in the same order, with the same path,
// global shape and dtype (checked; a mismatch throws on every rank). A failure on any rank throws
// the same error on every rank at the next call that synchronises (each call does); a writer that
// threw must not be used again, and its <final>.tmp is left behind uncommitted.
//
// Transport mpi_io: the file is opened once through MPI-IO, datasets are created collectively and
// each rank writes its hyperslab (collective transfers when options.collective). Transport
// ranks_in_turn (serial HDF5): rank 0 creates the file and every dataset and writes its own rows at
// once; other ranks' rows are written at commit(), rank after rank, each opening the file in turn.
// In that mode the tensors passed to write() by ranks other than 0 must stay unchanged until
// commit() returns (the writer holds references, not copies).
class CheckpointWriter {
 public:
  // Creates (truncating) final_path + ".tmp". The folder must exist.
  CheckpointWriter(const std::string& final_path, const Comm& comm, const CheckpointIoOptions& options = {});
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Declares the dataset `path` (e.g. "/model/layers.0.attn.wq"; parent groups are created) of
  // `global_shape` and `dtype` (f32, f64, bf16, i32, i64, u8), and writes this rank's rows
  // [row_begin, row_begin + local.size(0)) of dim 0. A rank holding none passes an empty Tensor (or
  // zero rows). Replicated tensors: exactly one rank passes the data. The rows written by all ranks
  // must add up to the global row count. A scalar dataset (global_shape {}) is written by the rank
  // passing a one-element tensor. `local` is a host tensor of `dtype`.
  void write(const std::string& path, const Shape& global_shape, DType dtype, int64_t row_begin, const Tensor& local);
  // A text dataset (JSON state, YAML config); rank 0's text is stored, other ranks' text is ignored.
  void write_string(const std::string& path, const std::string& text);
  // A text attribute on a dataset or group (a missing group is created); rank 0's value is stored.
  // Keys starting with "r1_" are reserved for the file layer.
  void set_attribute(const std::string& path, const std::string& key, const std::string& value);
  // Closes the file, fsyncs it, renames <final>.tmp to <final> and fsyncs the folder. Returns once
  // every rank is done; the checkpoint is then complete (record it with commit_latest).
  void commit();

  const std::string& final_path() const;
  CheckpointTransport transport() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct DatasetInfo {
  std::string path;                  // "/model/embed"
  Shape shape;                       // global shape; {} for scalars; text datasets: {}
  DType dtype = DType::f32;          // u8 for text datasets
  bool is_text = false;              // written by write_string
  int64_t stored_bytes = 0;          // bytes of data (text: including the terminating NUL)
  std::optional<uint64_t> checksum;  // the r1_checksum attribute
};

struct DatasetFailure {
  std::string dataset;  // "/model/embed", or "/" for file-level problems
  std::string reason;
};

struct VerifyResult {
  int64_t datasets_checked = 0;
  std::vector<DatasetFailure> failures;  // every failing dataset, in path order
  bool ok() const { return failures.empty(); }
  // "ok (N datasets)" or "dataset /x: reason; dataset /y: reason".
  std::string summary() const;
};

// Reading a checkpoint file. A file that cannot be opened, or a request that does not fit the file
// (unknown dataset, rows out of range), throws InputError naming the file and the dataset.
class CheckpointReader {
 public:
  // Opened by this process alone (POSIX driver, read-only); no MPI needed.
  explicit CheckpointReader(const std::string& path, const CheckpointIoOptions& options = {});
  // Opened by every rank of `comm`; then every method is collective (same calls, same order; row
  // ranges may differ and may be empty). MPI-IO reads when the transport resolves to mpi_io.
  CheckpointReader(const std::string& path, const Comm& comm, const CheckpointIoOptions& options = {});
  ~CheckpointReader();
  CheckpointReader(CheckpointReader&&) noexcept;
  CheckpointReader& operator=(CheckpointReader&&) noexcept;

  const std::string& path() const;
  // Every dataset in the file, in path order (cached at open).
  const std::vector<DatasetInfo>& datasets() const;
  std::optional<DatasetInfo> find(const std::string& path) const;
  const DatasetInfo& info(const std::string& path) const;  // InputError when missing

  // Rows [row_begin, row_begin + row_count) of dim 0 as a host tensor of the dataset's dtype, shape
  // {row_count, global_shape[1:]...}. Scalars: row_begin 0, row_count 1 (shape {}) or 0.
  Tensor read_rows(const std::string& path, int64_t row_begin, int64_t row_count) const;
  Tensor read(const std::string& path) const;  // the whole dataset
  std::string read_string(const std::string& path) const;
  // A text attribute of a dataset, group or "/" (nullopt when absent).
  std::optional<std::string> attribute(const std::string& object_path, const std::string& key) const;
  // Byte offset of a contiguous dataset's data in the file (nullopt for chunked or unallocated data).
  std::optional<int64_t> data_offset(const std::string& path) const;

  // Recomputes every dataset's checksum (reading blocks of whole rows of at most block_bytes, or one
  // row when a row is larger; blocks are shared over the ranks of a collective reader) and compares
  // it with r1_checksum; also checks the r1_format attribute.
  VerifyResult verify(int64_t block_bytes = int64_t(64) << 20) const;

  struct Impl;

 private:
  void list_datasets();
  std::unique_ptr<Impl> impl_;
};

// Normalises a dataset or group path to "/a/b" form; InputError for empty components or "." / "..".
std::string normalize_checkpoint_path(const std::string& path);

}  // namespace r1
