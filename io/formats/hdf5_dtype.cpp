// r1 DType <-> HDF5 datatype mapping.
#include "io/formats/hdf5_dtype.hpp"

#include "core/error.hpp"

namespace r1::h5 {

hid_t file_type_of(DType dtype) {
  switch (dtype) {
    case DType::f32: return H5T_IEEE_F32LE;
    case DType::f64: return H5T_IEEE_F64LE;
    case DType::bf16: return H5T_STD_U16LE;
    case DType::i32: return H5T_STD_I32LE;
    case DType::i64: return H5T_STD_I64LE;
    case DType::u8: return H5T_STD_U8LE;
  }
  R1_CHECK(false, "no HDF5 file type for dtype ", int(dtype));
  return H5I_INVALID_HID;
}

hid_t memory_type_of(DType dtype) {
  switch (dtype) {
    case DType::f32: return H5T_NATIVE_FLOAT;
    case DType::f64: return H5T_NATIVE_DOUBLE;
    case DType::bf16: return H5T_NATIVE_UINT16;
    case DType::i32: return H5T_NATIVE_INT32;
    case DType::i64: return H5T_NATIVE_INT64;
    case DType::u8: return H5T_NATIVE_UINT8;
  }
  R1_CHECK(false, "no HDF5 memory type for dtype ", int(dtype));
  return H5I_INVALID_HID;
}

std::optional<DType> dtype_from_name(const std::string& name) {
  for (DType t : {DType::f32, DType::f64, DType::bf16, DType::i32, DType::i64, DType::u8})
    if (name == dtype_name(t)) return t;
  return std::nullopt;
}

std::optional<DType> dtype_from_hdf5(hid_t type, const std::optional<std::string>& r1_dtype_attribute) {
  H5T_class_t type_class = H5Tget_class(type);
  size_t size = H5Tget_size(type);
  std::optional<DType> from_type;
  if (type_class == H5T_FLOAT) {
    if (size == 4) from_type = DType::f32;
    if (size == 8) from_type = DType::f64;
  } else if (type_class == H5T_INTEGER) {
    bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (is_signed && size == 4) from_type = DType::i32;
    if (is_signed && size == 8) from_type = DType::i64;
    if (!is_signed && size == 1) from_type = DType::u8;
    if (!is_signed && size == 2 && r1_dtype_attribute == std::string("bf16")) from_type = DType::bf16;
  }
  if (from_type && r1_dtype_attribute && dtype_from_name(*r1_dtype_attribute) != from_type) return std::nullopt;
  return from_type;
}

}  // namespace r1::h5
