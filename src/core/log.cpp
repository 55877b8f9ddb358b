// Rank-aware logging and the progress meter.
#include "core/log.hpp"

#include <cstdio>
#include <iostream>

namespace r1 {

namespace {
int g_rank = 0;
bool g_quiet = false;
}  // namespace

void set_log_rank(int rank) { g_rank = rank; }
int log_rank() { return g_rank; }
void set_log_quiet(bool quiet) { g_quiet = quiet; }

void log_line(const std::string& line) {
  if (g_rank != 0 || g_quiet) return;
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void log_warn(const std::string& line) {
  std::fprintf(stderr, "[rank %d] warning: %s\n", g_rank, line.c_str());
  std::fflush(stderr);
}

std::string format_duration(double s) {
  char buf[32];
  if (!(s >= 0) || s > 1e9) return "?";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

std::string format_count(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

Progress::Progress(int64_t total) : total_(total), start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::eta_seconds() const {
  if (done_ <= 0) return -1;
  double rate = done_ / std::max(1e-9, elapsed());
  return (total_ - done_) / rate;
}

}  // namespace r1
