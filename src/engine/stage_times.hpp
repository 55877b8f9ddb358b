// Per-stage wall time in metrics.jsonl and the run's summary table: after each stage the runner
// writes {"kind": "stage_time", "stage", "stage_kind", "step", "time/total_s", "time/<phase>_s"} (phases
// of engine/phase_clock.hpp); at the end of a run the table is read back from metrics.jsonl, so a run
// resumed after a kill still lists the stages an earlier invocation finished.
#pragma once
#include <string>

#include "engine/metrics.hpp"
#include "engine/phase_clock.hpp"

namespace r1 {

void write_stage_time(MetricsLog& log, const std::string& stage, const std::string& kind, int64_t global_step,
                      const PhaseTimes& times);
// The markdown table of every stage_time line in `metrics_path` ("" when there is none).
std::string format_stage_time_table(const std::string& metrics_path);

}  // namespace r1
