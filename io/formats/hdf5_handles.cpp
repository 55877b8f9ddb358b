// HDF5 error reporting: silencing the automatic printer and turning the error stack into text.
#include "io/formats/hdf5_handles.hpp"

#include <sstream>

namespace r1::h5 {

void h5_quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

namespace {
herr_t append_error(unsigned depth, const H5E_error2_t* err, void* client) {
  auto& out = *static_cast<std::string*>(client);
  if (depth > 0) out += "; ";
  out += err->func_name ? err->func_name : "?";
  out += ": ";
  out += err->desc ? err->desc : "(no description)";
  return 0;
}
}  // namespace

std::string error_stack_text() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, append_error, &text);
  return text;
}

bool object_exists(hid_t file, const std::string& absolute_path, const std::string& where) {
  if (absolute_path == "/") return true;
  size_t next = 0;
  while (next != std::string::npos) {
    next = absolute_path.find('/', next + 1);
    std::string prefix = absolute_path.substr(0, next);
    if (H5_CHECK(H5Lexists(file, prefix.c_str(), H5P_DEFAULT), where) <= 0) return false;
  }
  return true;
}

void throw_h5_failure(const char* call, const char* file, int line, const std::string& object_path) {
  std::ostringstream os;
  os << "HDF5 call " << call << " failed at " << file << ":" << line;
  if (!object_path.empty()) os << " on " << object_path;
  std::string stack = error_stack_text();
  if (!stack.empty()) os << " (HDF5: " << stack << ")";
  H5Eclear2(H5E_DEFAULT);
  throw Error(os.str());
}

}  // namespace r1::h5
