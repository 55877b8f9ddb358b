// The tables `r1 plan` prints: memory per rank, the optimizer-state comparison (ZeRO-1 / BF16
// moments — r1 keeps a full copy; reference columns only) and communication per optimizer step, one row per pipeline stage
// (consecutive stages with identical numbers share a row, e.g. "1-14").
#pragma once
#include <string>
#include <vector>

#include "model/rank_plan.hpp"

namespace r1::cli {

struct PlanReportOptions {
  bool training = true;         // the plan covers an optimizer step
  bool generation = false;      // ... and a generation phase (KV cache)
  double memory_limit_gib = 0;  // > 0: mark each stage as fitting in this much memory per rank, or not
};

// "512 B", "12.0 KiB", "3.41 MiB", "87.2 GiB" (binary units).
std::string format_bytes(double bytes);
std::string render_plan_tables(const std::vector<PipelineStagePlan>& stages, const GridLayout& grid,
                               const PlanReportOptions& options);

}  // namespace r1::cli
