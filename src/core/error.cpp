// Out-of-line part of error.hpp: formatting of failed internal checks.
#include "core/error.hpp"

namespace r1::detail {

void throw_check_failure(const char* cond, const char* file, int line, const std::string& msg) {
  std::ostringstream os;
  os << "internal check failed: " << cond << " at " << file << ":" << line;
  if (!msg.empty()) os << ": " << msg;
  throw Error(os.str());
}

}  // namespace r1::detail
