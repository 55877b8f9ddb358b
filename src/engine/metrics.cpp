// MetricsLog implementation.
#include "engine/metrics.hpp"

#include "core/error.hpp"

namespace r1 {

MetricsLog::MetricsLog(const std::string& path, int rank) : path_(path), active_(rank == 0) {
  if (!active_) return;
  out_.open(path, std::ios::app);
  if (!out_) throw Error("cannot open metrics file " + path + " for appending");
}

void MetricsLog::write(const nlohmann::json& record) {
  if (!active_) return;
  out_ << record.dump() << "\n";
  out_.flush();
}

}  // namespace r1
