// Stage wall-time records and their table (see stage_times.hpp).
#include "engine/stage_times.hpp"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

namespace r1 {

namespace {

constexpr Phase kColumns[] = {Phase::generation, Phase::scoring, Phase::update, Phase::checkpoint, Phase::data,
                              Phase::other};

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

std::string key_of(Phase p) { return std::string("time/") + phase_name(p) + "_s"; }

}  // namespace

void write_stage_time(MetricsLog& log, const std::string& stage, const std::string& kind, int64_t global_step,
                      const PhaseTimes& times) {
  nlohmann::json record = {{"kind", "stage_time"}, {"stage", stage}, {"stage_kind", kind}, {"step", global_step},
                           {"time/total_s", times.total()}};
  for (Phase p : kColumns) record[key_of(p)] = times.of(p);
  log.write(record);
}

std::string format_stage_time_table(const std::string& metrics_path) {
  std::ifstream in(metrics_path);
  std::string rows;
  double total = 0;
  double column_totals[std::size(kColumns)] = {};
  for (std::string line; std::getline(in, line);) {
    nlohmann::json m = nlohmann::json::parse(line, nullptr, false);
    if (m.is_discarded() || m.value("kind", "") != "stage_time") continue;
    const double t = m.value("time/total_s", 0.0);
    total += t;
    rows += "| " + m.value("stage", "") + " | " + m.value("stage_kind", "") + " | " + seconds_text(t);
    for (size_t c = 0; c < std::size(kColumns); ++c) {
      const double v = m.value(key_of(kColumns[c]), 0.0);
      column_totals[c] += v;
      rows += " | " + seconds_text(v);
    }
    rows += " |\n";
  }
  if (rows.empty()) return "";
  std::string table = "| stage | kind | total s";
  std::string rule = "|---|---|---:";
  for (Phase p : kColumns) {
    table += std::string(" | ") + phase_name(p);
    rule += "|---:";
  }
  table += " |\n" + rule + "|\n" + rows + "| **all** | | **" + seconds_text(total) + "**";
  for (double v : column_totals) table += " | " + seconds_text(v);
  return table + " |\n";
}

}  // namespace r1
