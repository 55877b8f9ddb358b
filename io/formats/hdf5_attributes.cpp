// Text and uint64 HDF5 attributes.
#include "io/formats/hdf5_attributes.hpp"

#include <vector>

namespace r1::h5 {

Datatype fixed_string_type(size_t text_bytes) {
  Datatype type(H5_CHECK(H5Tcopy(H5T_C_S1), "string type"));
  H5_CHECK(H5Tset_size(type.id(), text_bytes + 1), "string type");
  H5_CHECK(H5Tset_strpad(type.id(), H5T_STR_NULLTERM), "string type");
  H5_CHECK(H5Tset_cset(type.id(), H5T_CSET_UTF8), "string type");
  return type;
}

namespace {
Attribute recreate(hid_t object, const std::string& key, hid_t file_type, const std::string& where) {
  std::string what = where + " attribute " + key;
  if (H5_CHECK(H5Aexists(object, key.c_str()), what) > 0) H5_CHECK(H5Adelete(object, key.c_str()), what);
  Dataspace scalar(H5_CHECK(H5Screate(H5S_SCALAR), what));
  return Attribute(H5_CHECK(H5Acreate2(object, key.c_str(), file_type, scalar.id(), H5P_DEFAULT, H5P_DEFAULT), what));
}

std::optional<Attribute> open_if_present(hid_t object, const std::string& key, const std::string& what) {
  if (H5_CHECK(H5Aexists(object, key.c_str()), what) <= 0) return std::nullopt;
  return Attribute(H5_CHECK(H5Aopen(object, key.c_str(), H5P_DEFAULT), what));
}

void require_single_value(hid_t attribute, const std::string& what) {
  Dataspace space(H5_CHECK(H5Aget_space(attribute), what));
  hssize_t points = H5_CHECK(H5Sget_simple_extent_npoints(space.id()), what);
  if (points != 1) throw Error(what + ": expected a single value, found " + std::to_string(points));
}
}  // namespace

void write_string_attribute(hid_t object, const std::string& key, const std::string& value, const std::string& where) {
  Datatype type = fixed_string_type(value.size());
  Attribute attribute = recreate(object, key, type.id(), where);
  H5_CHECK(H5Awrite(attribute.id(), type.id(), value.c_str()), where + " attribute " + key);
}

void write_u64_attribute(hid_t object, const std::string& key, uint64_t value, const std::string& where) {
  Attribute attribute = recreate(object, key, H5T_STD_U64LE, where);
  H5_CHECK(H5Awrite(attribute.id(), H5T_NATIVE_UINT64, &value), where + " attribute " + key);
}

std::optional<std::string> read_string_attribute(hid_t object, const std::string& key, const std::string& where) {
  std::string what = where + " attribute " + key;
  std::optional<Attribute> attribute = open_if_present(object, key, what);
  if (!attribute) return std::nullopt;
  require_single_value(attribute->id(), what);
  Datatype file_type(H5_CHECK(H5Aget_type(attribute->id()), what));
  if (H5Tget_class(file_type.id()) != H5T_STRING) throw Error(what + ": expected a text attribute");
  if (H5_CHECK(H5Tis_variable_str(file_type.id()), what) > 0) {
    Datatype memory_type(H5_CHECK(H5Tcopy(file_type.id()), what));
    char* text = nullptr;
    H5_CHECK(H5Aread(attribute->id(), memory_type.id(), &text), what);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  size_t size = H5Tget_size(file_type.id());
  std::vector<char> buffer(size + 1, '\0');  // read as stored (same size, padding and character set)
  H5_CHECK(H5Aread(attribute->id(), file_type.id(), buffer.data()), what);
  return std::string(buffer.data());
}

std::optional<uint64_t> read_u64_attribute(hid_t object, const std::string& key, const std::string& where) {
  std::string what = where + " attribute " + key;
  std::optional<Attribute> attribute = open_if_present(object, key, what);
  if (!attribute) return std::nullopt;
  require_single_value(attribute->id(), what);
  Datatype file_type(H5_CHECK(H5Aget_type(attribute->id()), what));
  if (H5Tget_class(file_type.id()) != H5T_INTEGER || H5Tget_size(file_type.id()) != 8)
    throw Error(what + ": expected a 64-bit integer attribute");
  uint64_t value = 0;
  H5_CHECK(H5Aread(attribute->id(), H5T_NATIVE_UINT64, &value), what);
  return value;
}

}  // namespace r1::h5
