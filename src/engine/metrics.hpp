// MetricsLog: the run's machine-readable record — one JSON object per line in
// <run_dir>/metrics.jsonl, written by rank 0 only and flushed per line so a killed job loses at
// most the line being written.
#pragma once
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace r1 {

class MetricsLog {
 public:
  MetricsLog() = default;
  // Opens for appending on rank 0 (other ranks ignore writes).
  MetricsLog(const std::string& path, int rank);
  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
  bool active_ = false;
};

}  // namespace r1
