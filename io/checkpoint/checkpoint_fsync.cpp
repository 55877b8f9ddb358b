// fsync / rename helpers for the checkpoint commit protocol (POSIX).
#include "io/checkpoint/checkpoint_fsync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace r1 {

namespace {
[[noreturn]] void throw_errno(const std::string& what, const std::string& path, int error) {
  throw Error(what + " " + path + ": " + std::strerror(error));
}

void fsync_opened(const std::string& path, int flags, const char* what) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw_errno(std::string("cannot open for ") + what, path, errno);
  int status = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (status != 0) throw_errno(what, path, error);
}
}  // namespace

void fsync_file(const std::string& path) { fsync_opened(path, O_RDONLY, "fsync"); }

void fsync_directory(const std::string& dir) { fsync_opened(dir, O_RDONLY | O_DIRECTORY, "fsync of folder"); }

std::string parent_directory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

void rename_durably(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) throw_errno("cannot rename " + from + " to", to, errno);
  fsync_directory(parent_directory(to));
}

void replace_file_atomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("cannot create", tmp, errno);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      throw_errno("cannot write", tmp, error);
    }
    written += size_t(n);
  }
  int status = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (status != 0) throw_errno("fsync", tmp, error);
  rename_durably(tmp, path);
}

}  // namespace r1
