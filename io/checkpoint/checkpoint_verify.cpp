// CheckpointReader::verify: recomputes every dataset's layout-independent checksum from its stored
// bytes, reading bounded row blocks (dealt round-robin to the ranks of a collective reader, whose
// partial sums are then added with one all-reduce), and compares with r1_checksum.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "io/checkpoint/checkpoint_agreement.hpp"
#include "io/checkpoint/checkpoint_checksum.hpp"
#include "io/checkpoint/checkpoint_reader_state.hpp"
#include "io/formats/hdf5_attributes.hpp"
#include "io/formats/hdf5_dtype.hpp"
#include "io/formats/hdf5_selection.hpp"

namespace r1 {

namespace {

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

// This rank's share of dataset `d`'s checksum: blocks of at most block_bytes dealt round-robin
// (block rank, rank + size, ...). Every rank makes the same number of read calls, reading an empty
// selection when it has no block in a round, so collective transfers and collective metadata reads
// stay matched.
uint64_t partial_checksum(hid_t file, const DatasetInfo& d, hid_t transfer, int rank, int size, int64_t block_bytes,
                          const std::string& where, std::vector<unsigned char>& buffer) {
  h5::Dataset dataset(H5_CHECK(H5Dopen2(file, d.path.c_str(), H5P_DEFAULT), where));
  if (d.is_text) {
    h5::Datatype type(H5_CHECK(H5Dget_type(dataset.id()), where));
    h5::Dataspace file_space(H5_CHECK(H5Dget_space(dataset.id()), where));
    h5::Dataspace memory_space = h5::make_dataspace({}, where);
    if (rank != 0) {
      H5_CHECK(H5Sselect_none(file_space.id()), where);
      H5_CHECK(H5Sselect_none(memory_space.id()), where);
    }
    buffer.assign(size_t(d.stored_bytes), 0);
    H5_CHECK(H5Dread(dataset.id(), type.id(), memory_space.id(), file_space.id(), transfer, buffer.data()), where);
    return rank == 0 ? checksum_partial(buffer.data(), 1, d.stored_bytes, 0) : 0;
  }
  if (shape_numel(d.shape) == 0) return 0;
  size_t element_size = dtype_size(d.dtype);
  int64_t rows = d.shape.empty() ? 1 : d.shape[0];
  int64_t row_elements = d.shape.empty() ? 1 : shape_numel(Shape(d.shape.begin() + 1, d.shape.end()));
  int64_t rows_per_block = std::max<int64_t>(1, block_bytes / (row_elements * int64_t(element_size)));
  int64_t blocks = (rows + rows_per_block - 1) / rows_per_block;
  int64_t rounds = (blocks + size - 1) / size;
  uint64_t sum = 0;
  for (int64_t round = 0; round < rounds; ++round) {
    int64_t block = round * size + rank;
    int64_t row_begin = std::min(block * rows_per_block, rows);
    int64_t block_rows = std::min(rows_per_block, rows - row_begin);
    buffer.resize(std::max<size_t>(1, size_t(block_rows * row_elements) * element_size));
    h5::RowSelection selection = h5::select_rows(dataset.id(), d.shape, row_begin, block_rows, where);
    H5_CHECK(H5Dread(dataset.id(), h5::memory_type_of(d.dtype), selection.memory.id(), selection.file.id(), transfer,
                     buffer.data()),
             where);
    sum += checksum_partial(buffer.data(), element_size, block_rows * row_elements, row_begin * row_elements);
  }
  return sum;
}

}  // namespace

std::string VerifyResult::summary() const {
  if (ok()) return "ok (" + std::to_string(datasets_checked) + " datasets)";
  std::string text;
  for (const DatasetFailure& f : failures)
    text += (text.empty() ? "" : "; ") + ("dataset " + f.dataset + ": " + f.reason);
  return text;
}

VerifyResult CheckpointReader::verify(int64_t block_bytes) const {
  const Impl& r = *impl_;
  R1_INPUT_CHECK(block_bytes > 0, "checkpoint verify: block size must be positive, got ", block_bytes);
  VerifyResult result;
  std::optional<std::string> format = attribute("/", "r1_format");
  if (format != std::string(kCheckpointFormat))
    result.failures.push_back({"/", "not an r1 checkpoint (root attribute r1_format is " +
                                        (format ? "'" + *format + "'" : std::string("missing")) + ")"});

  size_t n = r.datasets.size();
  std::vector<uint64_t> sums(2 * n, 0);  // [checksum partials..., read failures...]
  std::vector<std::string> read_errors(n);
  std::vector<unsigned char> buffer;
  h5::PropertyList transfer = h5::data_transfer(r.collective_mode(), r.path);
  for (size_t i = 0; i < n; ++i) {
    const DatasetInfo& d = r.datasets[i];
    if (!d.checksum) continue;
    try {
      sums[i] =
          partial_checksum(r.file.id(), d, transfer.id(), r.rank(), r.size(), block_bytes, r.where(d.path), buffer);
    } catch (const Error& e) {
      sums[n + i] = 1;
      read_errors[i] = e.what();
    }
  }
  if (r.comm) allreduce_u64(*r.comm, sums.data(), int(sums.size()), MPI_SUM);

  for (size_t i = 0; i < n; ++i) {
    const DatasetInfo& d = r.datasets[i];
    if (!d.checksum) {
      result.failures.push_back({d.path, "no r1_checksum attribute"});
    } else if (sums[n + i]) {
      result.failures.push_back(
          {d.path, "unreadable data: " +
                       (read_errors[i].empty() ? std::string("read failed on another rank") : read_errors[i])});
    } else if (sums[i] != *d.checksum) {
      result.failures.push_back(
          {d.path, "checksum mismatch (stored " + hex(*d.checksum) + ", computed " + hex(sums[i]) + ")"});
    }
  }
  result.datasets_checked = int64_t(n);
  return result;
}

}  // namespace r1
