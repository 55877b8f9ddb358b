// Small HDF5 attribute helpers: text attributes (fixed-length, NUL-terminated C strings, readable
// by h5dump; variable-length ones written by other tools are read too) and unsigned 64-bit
// attributes (checksums). `where` names the file and object for error messages.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>

#include "io/formats/hdf5_handles.hpp"

namespace r1::h5 {

// A fixed-length, NUL-terminated string type holding `text_bytes` bytes of text plus the NUL.
Datatype fixed_string_type(size_t text_bytes);

// Creates or replaces the attribute `key` on object `object`.
void write_string_attribute(hid_t object, const std::string& key, const std::string& value, const std::string& where);
void write_u64_attribute(hid_t object, const std::string& key, uint64_t value, const std::string& where);

// nullopt when the object has no attribute `key`; r1::Error when it has one of another kind.
std::optional<std::string> read_string_attribute(hid_t object, const std::string& key, const std::string& where);
std::optional<uint64_t> read_u64_attribute(hid_t object, const std::string& key, const std::string& where);

}  // namespace r1::h5
