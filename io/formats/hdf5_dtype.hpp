// Mapping between r1 element types and HDF5 datatypes. Files store little-endian standard types;
// bf16 is stored as 16-bit unsigned integers (its raw bits) with the dataset attribute
// r1_dtype = "bf16" so readers (and h5dump users) know how to interpret them.
#pragma once
#include <hdf5.h>

#include <optional>
#include <string>

#include "core/dtype.hpp"

namespace r1::h5 {

// Predefined HDF5 types (never closed): the file type and the in-memory type of `dtype`.
hid_t file_type_of(DType dtype);
hid_t memory_type_of(DType dtype);

// "f32", "f64", "bf16", "i32", "i64", "u8" -> DType; nullopt for anything else.
std::optional<DType> dtype_from_name(const std::string& name);

// The r1 type of a dataset of numeric HDF5 type `type`, using the dataset's r1_dtype attribute text
// when it has one (needed to tell bf16 from u16). nullopt when the type has no r1 counterpart.
std::optional<DType> dtype_from_hdf5(hid_t type, const std::optional<std::string>& r1_dtype_attribute);

}  // namespace r1::h5
