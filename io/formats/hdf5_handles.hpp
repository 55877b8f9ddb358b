// RAII owners for HDF5 identifiers (file, group, dataset, dataspace, datatype, property list,
// attribute, generic object) and H5_CHECK, which turns a failed HDF5 call into an r1::Error naming
// the call, file:line, the HDF5 object path involved and HDF5's own error stack. HDF5's automatic
// error printing is switched off (h5_quiet) so failures are reported once, by us.
#pragma once
#include <hdf5.h>

#include <string>
#include <utility>

#include "core/error.hpp"

namespace r1::h5 {

// Switches off HDF5's automatic error-stack printing for the calling thread (idempotent, cheap).
void h5_quiet();

// The current HDF5 error stack as one line ("func: description; ..."), innermost last.
std::string error_stack_text();

[[noreturn]] void throw_h5_failure(const char* call, const char* file, int line, const std::string& object_path);

template <class Result>
Result check_result(Result result, const char* call, const char* file, int line, const std::string& object_path) {
  if (result < 0) throw_h5_failure(call, file, line, object_path);
  return result;
}

// Whether the object at `absolute_path` ("/a/b") exists in `file`, checking each parent in turn
// (H5Lexists fails rather than answering when a parent is missing).
bool object_exists(hid_t file, const std::string& absolute_path, const std::string& where);

// Owns one hid_t and closes it with `Close` (H5Fclose, H5Dclose, ...) when dropped.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~Handle() { reset(); }

  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; a failed close is reported through the return value (destructors ignore it).
  herr_t reset() {
    herr_t status = 0;
    if (id_ >= 0) status = Close(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using Datatype = Handle<H5Tclose>;
using PropertyList = Handle<H5Pclose>;
using Attribute = Handle<H5Aclose>;
using Object = Handle<H5Oclose>;

}  // namespace r1::h5

// Evaluates an HDF5 call; a negative result throws r1::Error naming the call, the source location,
// `object_path` (the file and object the call was about) and the HDF5 error stack. Yields the result.
#define H5_CHECK(call, object_path) ::r1::h5::check_result((call), #call, __FILE__, __LINE__, (object_path))
