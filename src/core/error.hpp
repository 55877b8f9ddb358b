// Errors. `Error` is a programming or runtime failure; `InputError` is bad user input (config,
// dataset, checkpoint, command line) and its message names the file, field or line. Both are
// exceptions so that a failed start can unwind without touching existing outputs; `main` turns
// them into one clear line and a non-zero exit.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace r1 {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InputError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
[[noreturn]] void throw_check_failure(const char* cond, const char* file, int line, const std::string& msg);
}  // namespace detail

}  // namespace r1

// Internal invariant: throws r1::Error naming the condition and source location.
// Usage: R1_CHECK(cond, "message parts", value, ...) (at least one message part).
#define R1_CHECK(cond, ...)                                                                       \
  do {                                                                                            \
    if (!(cond))                                                                                  \
      ::r1::detail::throw_check_failure(#cond, __FILE__, __LINE__, ::r1::detail::concat(__VA_ARGS__)); \
  } while (0)

// Bad user input: throws r1::InputError with the message only (it already names file/field/line).
#define R1_INPUT_CHECK(cond, ...)                                                   \
  do {                                                                              \
    if (!(cond)) throw ::r1::InputError(::r1::detail::concat(__VA_ARGS__));          \
  } while (0)
