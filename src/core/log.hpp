// Logging: rank-0 human lines on stdout, warnings on stderr, and a progress meter (rate, ETA).
// The rank is set once by main after MPI starts; every other module just calls log_info().
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace r1 {

void set_log_rank(int rank);
int log_rank();
void set_log_quiet(bool quiet);

// Prints on rank 0 only.
void log_line(const std::string& line);
template <class... Args>
void log_info(const Args&... args) {
  log_line(detail::concat(args...));
}
// Prints on every rank, prefixed with the rank, to stderr.
void log_warn(const std::string& line);

std::string format_duration(double seconds);  // "1h02m", "3m07s", "12.3s"
std::string format_count(double n);            // "12.3k", "4.56M"

// Steps done / total, rate and ETA from wall-clock time since construction.
class Progress {
 public:
  explicit Progress(int64_t total);
  void set_done(int64_t done) { done_ = done; }
  double elapsed() const;
  double eta_seconds() const;
  std::string eta_text() const { return format_duration(eta_seconds()); }

 private:
  int64_t total_, done_ = 0, start_done_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace r1
