// HDF5 building blocks of the dataset files (private to io/dataset_*): scalar attributes (int64 and
// variable-length UTF-8 strings), one-dimensional columns that grow by appending (chunked, unlimited)
// and reads of a contiguous range or of a list of points of such a column. Columns hold int32,
// int64 or variable-length UTF-8 strings. Structural problems of an input file (missing object,
// wrong type or rank) throw InputError naming the file and the object; failed HDF5 calls after
// validation throw r1::Error through H5_CHECK.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/formats/hdf5_handles.hpp"

namespace r1::dataset_h5 {

// "FILE:/name" for messages.
std::string object_path(const std::string& file, const std::string& name);

// True when `path` is a readable HDF5 file (no HDF5 error output either way).
bool is_hdf5_file(const std::string& path);

// File access properties for dataset files: default driver (each process opens the file on its
// own) and HDF5 file locking that is skipped, instead of failing, on file systems without flock.
h5::PropertyList file_access(const std::string& where);

bool has_object(hid_t file, const std::string& name);
bool has_attribute(hid_t object, const std::string& name);

void write_attribute(hid_t object, const std::string& name, int64_t value, const std::string& where);
void write_attribute(hid_t object, const std::string& name, const std::string& value, const std::string& where);
// Missing attributes or ones of another type throw InputError naming `where` and the attribute.
int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& where);
std::string read_string_attribute(hid_t object, const std::string& name, const std::string& where);

enum class ColumnType { i32, i64, string };

// A column being written: created empty (or with `initial` values for i64), grown by append.
class ColumnWriter {
 public:
  ColumnWriter(hid_t file, const std::string& name, ColumnType type, int64_t chunk_elements, const std::string& where);
  void append(const int32_t* values, int64_t count);
  void append(const int64_t* values, int64_t count);
  void append(const std::vector<std::string>& values);
  int64_t size() const { return size_; }
  void close() { dataset_.reset(); }

 private:
  void append_raw(const void* values, int64_t count, hid_t memory_type);

  h5::Dataset dataset_;
  ColumnType type_;
  int64_t size_ = 0;
  std::string where_;
};

// A column opened for reading; opening checks that it exists, is one-dimensional and has `type`.
class ColumnReader {
 public:
  ColumnReader() = default;
  ColumnReader(hid_t file, const std::string& name, ColumnType type, const std::string& where);
  bool valid() const { return dataset_.valid(); }
  int64_t size() const { return size_; }
  const std::string& where() const { return where_; }

  // Elements [begin, begin + count).
  std::vector<int32_t> read_i32(int64_t begin, int64_t count) const;
  std::vector<int64_t> read_i64(int64_t begin, int64_t count) const;
  std::vector<std::string> read_strings(int64_t begin, int64_t count) const;
  // Elements at `points`, in the order given (repeats allowed).
  std::vector<int64_t> read_i64_points(const std::vector<int64_t>& points) const;
  std::vector<std::string> read_string_points(const std::vector<int64_t>& points) const;
  // The concatenation of the element ranges [begin_i, end_i), which must be sorted and disjoint.
  std::vector<int32_t> read_i32_ranges(const std::vector<std::pair<int64_t, int64_t>>& ranges) const;

 private:
  void read_selection(hid_t file_space, int64_t count, hid_t memory_type, void* out) const;
  std::vector<std::string> read_string_selection(hid_t file_space, int64_t count) const;

  h5::Dataset dataset_;
  int64_t size_ = 0;
  std::string where_;
};

}  // namespace r1::dataset_h5
