// HDF5 attributes and appendable one-dimensional columns for the dataset files.
#include "io/formats/dataset_h5.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace r1::dataset_h5 {

namespace {

h5::Datatype string_type(H5T_cset_t cset = H5T_CSET_UTF8) {
  h5::Datatype t(H5_CHECK(H5Tcopy(H5T_C_S1), "variable-length string type"));
  H5_CHECK(H5Tset_size(t.id(), H5T_VARIABLE), "variable-length string type");
  H5_CHECK(H5Tset_cset(t.id(), cset), "variable-length string type");
  return t;
}

const char* type_name(ColumnType type) {
  switch (type) {
    case ColumnType::i32: return "an integer column (int32)";
    case ColumnType::i64: return "an integer column (int64)";
    case ColumnType::string: return "a variable-length string column";
  }
  return "?";
}

void free_vlen_strings(hid_t memory_type, int64_t count, std::vector<char*>& buffer) {
  hsize_t dims[1] = {hsize_t(count)};
  h5::Dataspace space(H5_CHECK(H5Screate_simple(1, dims, nullptr), "string buffer"));
#if H5_VERSION_GE(1, 12, 0)
  H5Treclaim(memory_type, space.id(), H5P_DEFAULT, buffer.data());
#else
  H5Dvlen_reclaim(memory_type, space.id(), H5P_DEFAULT, buffer.data());
#endif
}

}  // namespace

std::string object_path(const std::string& file, const std::string& name) { return file + ":/" + name; }

bool is_hdf5_file(const std::string& path) {
  h5::h5_quiet();
#if H5_VERSION_GE(1, 12, 0)
  htri_t ok = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
  htri_t ok = H5Fis_hdf5(path.c_str());
#endif
  H5Eclear2(H5E_DEFAULT);
  return ok > 0;
}

h5::PropertyList file_access(const std::string& where) {
  h5::PropertyList access(H5_CHECK(H5Pcreate(H5P_FILE_ACCESS), where));
#if (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 12, 0)) || H5_VERSION_GE(1, 12, 1)
  H5_CHECK(H5Pset_file_locking(access.id(), true, true), where);
#endif
  return access;
}

bool has_object(hid_t file, const std::string& name) { return H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0; }

bool has_attribute(hid_t object, const std::string& name) { return H5Aexists(object, name.c_str()) > 0; }

void write_attribute(hid_t object, const std::string& name, int64_t value, const std::string& where) {
  h5::Dataspace space(H5_CHECK(H5Screate(H5S_SCALAR), where));
  h5::Attribute attr(
      H5_CHECK(H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), where + " @" + name));
  H5_CHECK(H5Awrite(attr.id(), H5T_NATIVE_INT64, &value), where + " @" + name);
}

void write_attribute(hid_t object, const std::string& name, const std::string& value, const std::string& where) {
  h5::Datatype type = string_type();
  h5::Dataspace space(H5_CHECK(H5Screate(H5S_SCALAR), where));
  h5::Attribute attr(
      H5_CHECK(H5Acreate2(object, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), where + " @" + name));
  const char* text = value.c_str();
  H5_CHECK(H5Awrite(attr.id(), type.id(), &text), where + " @" + name);
}

int64_t read_int_attribute(hid_t object, const std::string& name, const std::string& where) {
  R1_INPUT_CHECK(has_attribute(object, name), where, ": attribute '", name, "' is missing");
  h5::Attribute attr(H5_CHECK(H5Aopen(object, name.c_str(), H5P_DEFAULT), where + " @" + name));
  h5::Datatype type(H5_CHECK(H5Aget_type(attr.id()), where + " @" + name));
  h5::Dataspace space(H5_CHECK(H5Aget_space(attr.id()), where + " @" + name));
  R1_INPUT_CHECK(H5Tget_class(type.id()) == H5T_INTEGER && H5Sget_simple_extent_npoints(space.id()) == 1, where,
                 ": attribute '", name, "' must be one integer");
  int64_t value = 0;
  H5_CHECK(H5Aread(attr.id(), H5T_NATIVE_INT64, &value), where + " @" + name);
  return value;
}

std::string read_string_attribute(hid_t object, const std::string& name, const std::string& where) {
  R1_INPUT_CHECK(has_attribute(object, name), where, ": attribute '", name, "' is missing");
  h5::Attribute attr(H5_CHECK(H5Aopen(object, name.c_str(), H5P_DEFAULT), where + " @" + name));
  h5::Datatype type(H5_CHECK(H5Aget_type(attr.id()), where + " @" + name));
  h5::Dataspace space(H5_CHECK(H5Aget_space(attr.id()), where + " @" + name));
  R1_INPUT_CHECK(H5Tget_class(type.id()) == H5T_STRING && H5Sget_simple_extent_npoints(space.id()) == 1, where,
                 ": attribute '", name, "' must be one string");
  if (H5Tis_variable_str(type.id()) > 0) {
    h5::Datatype memory = string_type(H5Tget_cset(type.id()));
    char* text = nullptr;
    H5_CHECK(H5Aread(attr.id(), memory.id(), &text), where + " @" + name);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  size_t size = H5Tget_size(type.id());
  std::string value(size, '\0');
  H5_CHECK(H5Aread(attr.id(), type.id(), value.data()), where + " @" + name);
  value.resize(std::find(value.begin(), value.end(), '\0') - value.begin());
  return value;
}

ColumnWriter::ColumnWriter(hid_t file, const std::string& name, ColumnType type, int64_t chunk_elements,
                           const std::string& where)
    : type_(type), where_(object_path(where, name)) {
  hsize_t dims[1] = {0}, max_dims[1] = {H5S_UNLIMITED}, chunk[1] = {hsize_t(std::max<int64_t>(1, chunk_elements))};
  h5::Dataspace space(H5_CHECK(H5Screate_simple(1, dims, max_dims), where_));
  h5::PropertyList create(H5_CHECK(H5Pcreate(H5P_DATASET_CREATE), where_));
  H5_CHECK(H5Pset_chunk(create.id(), 1, chunk), where_);
  h5::Datatype strings;
  hid_t file_type = H5T_STD_I32LE;
  if (type == ColumnType::i64) file_type = H5T_STD_I64LE;
  if (type == ColumnType::string) {
    strings = string_type();
    file_type = strings.id();
  }
  dataset_ = h5::Dataset(H5_CHECK(
      H5Dcreate2(file, name.c_str(), file_type, space.id(), H5P_DEFAULT, create.id(), H5P_DEFAULT), where_));
}

void ColumnWriter::append_raw(const void* values, int64_t count, hid_t memory_type) {
  if (count == 0) return;
  hsize_t new_size[1] = {hsize_t(size_ + count)};
  H5_CHECK(H5Dset_extent(dataset_.id(), new_size), where_);
  h5::Dataspace file_space(H5_CHECK(H5Dget_space(dataset_.id()), where_));
  hsize_t start[1] = {hsize_t(size_)}, length[1] = {hsize_t(count)};
  H5_CHECK(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start, nullptr, length, nullptr), where_);
  h5::Dataspace memory_space(H5_CHECK(H5Screate_simple(1, length, nullptr), where_));
  H5_CHECK(H5Dwrite(dataset_.id(), memory_type, memory_space.id(), file_space.id(), H5P_DEFAULT, values), where_);
  size_ += count;
}

void ColumnWriter::append(const int32_t* values, int64_t count) {
  R1_CHECK(type_ == ColumnType::i32, where_, ": int32 values appended to another column type");
  append_raw(values, count, H5T_NATIVE_INT32);
}

void ColumnWriter::append(const int64_t* values, int64_t count) {
  R1_CHECK(type_ == ColumnType::i64, where_, ": int64 values appended to another column type");
  append_raw(values, count, H5T_NATIVE_INT64);
}

void ColumnWriter::append(const std::vector<std::string>& values) {
  R1_CHECK(type_ == ColumnType::string, where_, ": strings appended to another column type");
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& v : values) pointers.push_back(v.c_str());
  h5::Datatype memory = string_type();
  append_raw(pointers.data(), int64_t(pointers.size()), memory.id());
}

ColumnReader::ColumnReader(hid_t file, const std::string& name, ColumnType type, const std::string& where)
    : where_(object_path(where, name)) {
  R1_INPUT_CHECK(has_object(file, name), where_, ": dataset is missing");
  dataset_ = h5::Dataset(H5_CHECK(H5Dopen2(file, name.c_str(), H5P_DEFAULT), where_));
  h5::Datatype file_type(H5_CHECK(H5Dget_type(dataset_.id()), where_));
  H5T_class_t type_class = H5Tget_class(file_type.id());
  bool type_ok = type == ColumnType::string
                     ? type_class == H5T_STRING && H5Tis_variable_str(file_type.id()) > 0
                     : type_class == H5T_INTEGER;
  R1_INPUT_CHECK(type_ok, where_, ": must be ", type_name(type));
  h5::Dataspace space(H5_CHECK(H5Dget_space(dataset_.id()), where_));
  R1_INPUT_CHECK(H5Sget_simple_extent_ndims(space.id()) == 1, where_, ": must be one-dimensional");
  hsize_t dims[1] = {0};
  H5_CHECK(H5Sget_simple_extent_dims(space.id(), dims, nullptr), where_);
  size_ = int64_t(dims[0]);
}

void ColumnReader::read_selection(hid_t file_space, int64_t count, hid_t memory_type, void* out) const {
  if (count == 0) return;
  hsize_t length[1] = {hsize_t(count)};
  h5::Dataspace memory_space(H5_CHECK(H5Screate_simple(1, length, nullptr), where_));
  H5_CHECK(H5Dread(dataset_.id(), memory_type, memory_space.id(), file_space, H5P_DEFAULT, out), where_);
}

namespace {
h5::Dataspace range_space(hid_t dataset, int64_t begin, int64_t count, int64_t size, const std::string& where) {
  R1_CHECK(begin >= 0 && count >= 0 && begin + count <= size, where, ": range [", begin, ", ", begin + count,
           ") outside [0, ", size, ")");
  h5::Dataspace space(H5_CHECK(H5Dget_space(dataset), where));
  hsize_t start[1] = {hsize_t(begin)}, length[1] = {hsize_t(count)};
  if (count > 0) H5_CHECK(H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, start, nullptr, length, nullptr), where);
  return space;
}

h5::Dataspace point_space(hid_t dataset, const std::vector<int64_t>& points, int64_t size, const std::string& where) {
  h5::Dataspace space(H5_CHECK(H5Dget_space(dataset), where));
  std::vector<hsize_t> coords(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    R1_CHECK(points[i] >= 0 && points[i] < size, where, ": element ", points[i], " outside [0, ", size, ")");
    coords[i] = hsize_t(points[i]);
  }
  if (!points.empty())
    H5_CHECK(H5Sselect_elements(space.id(), H5S_SELECT_SET, coords.size(), coords.data()), where);
  return space;
}
}  // namespace

std::vector<int32_t> ColumnReader::read_i32(int64_t begin, int64_t count) const {
  std::vector<int32_t> out(static_cast<size_t>(count));
  h5::Dataspace space = range_space(dataset_.id(), begin, count, size_, where_);
  read_selection(space.id(), count, H5T_NATIVE_INT32, out.data());
  return out;
}

std::vector<int64_t> ColumnReader::read_i64(int64_t begin, int64_t count) const {
  std::vector<int64_t> out(static_cast<size_t>(count));
  h5::Dataspace space = range_space(dataset_.id(), begin, count, size_, where_);
  read_selection(space.id(), count, H5T_NATIVE_INT64, out.data());
  return out;
}

std::vector<std::string> ColumnReader::read_string_selection(hid_t file_space, int64_t count) const {
  std::vector<std::string> out(static_cast<size_t>(count));
  if (count == 0) return out;
  h5::Datatype file_type(H5_CHECK(H5Dget_type(dataset_.id()), where_));
  h5::Datatype memory = string_type(H5Tget_cset(file_type.id()));
  std::vector<char*> buffer(size_t(count), nullptr);
  read_selection(file_space, count, memory.id(), buffer.data());
  for (size_t i = 0; i < buffer.size(); ++i)
    if (buffer[i]) out[i] = buffer[i];
  free_vlen_strings(memory.id(), count, buffer);
  return out;
}

std::vector<std::string> ColumnReader::read_strings(int64_t begin, int64_t count) const {
  h5::Dataspace space = range_space(dataset_.id(), begin, count, size_, where_);
  return read_string_selection(space.id(), count);
}

std::vector<int64_t> ColumnReader::read_i64_points(const std::vector<int64_t>& points) const {
  std::vector<int64_t> out(points.size());
  h5::Dataspace space = point_space(dataset_.id(), points, size_, where_);
  read_selection(space.id(), int64_t(points.size()), H5T_NATIVE_INT64, out.data());
  return out;
}

std::vector<std::string> ColumnReader::read_string_points(const std::vector<int64_t>& points) const {
  h5::Dataspace space = point_space(dataset_.id(), points, size_, where_);
  return read_string_selection(space.id(), int64_t(points.size()));
}

std::vector<int32_t> ColumnReader::read_i32_ranges(const std::vector<std::pair<int64_t, int64_t>>& ranges) const {
  h5::Dataspace space(H5_CHECK(H5Dget_space(dataset_.id()), where_));
  H5_CHECK(H5Sselect_none(space.id()), where_);
  int64_t total = 0, previous_end = 0;
  for (auto [begin, end] : ranges) {
    R1_CHECK(begin >= previous_end && end >= begin && end <= size_, where_, ": ranges must be sorted, disjoint and inside [0, ",
             size_, "), got [", begin, ", ", end, ")");
    previous_end = end;
    if (end == begin) continue;
    hsize_t start[1] = {hsize_t(begin)}, length[1] = {hsize_t(end - begin)};
    H5_CHECK(H5Sselect_hyperslab(space.id(), H5S_SELECT_OR, start, nullptr, length, nullptr), where_);
    total += end - begin;
  }
  std::vector<int32_t> out(static_cast<size_t>(total));
  read_selection(space.id(), total, H5T_NATIVE_INT32, out.data());
  return out;
}

}  // namespace r1::dataset_h5
