// bench_stage_index.
#include "rl/bench_stage.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace r1 {

int64_t bench_stage_index(const RunConfig& c, const std::string& config_file, const std::string& wanted,
                          const std::vector<StageKind>& kinds, const std::string& command) {
  std::string kind_names;
  for (StageKind k : kinds) kind_names += (kind_names.empty() ? "" : "/") + to_string(k);
  auto accepted = [&](StageKind k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
  int64_t index = -1;
  for (size_t i = 0; i < c.stages.size() && index < 0; ++i) {
    const StageConfig& s = c.stages[i];
    const bool named = !wanted.empty() && (s.display_name() == wanted || std::to_string(i) == wanted);
    if (named || (wanted.empty() && accepted(s.kind))) index = int64_t(i);
  }
  R1_INPUT_CHECK(index >= 0, config_file, ": no ", wanted.empty() ? kind_names : "'" + wanted + "'",
                 " stage to benchmark");
  const StageConfig& s = c.stages[size_t(index)];
  R1_INPUT_CHECK(accepted(s.kind), config_file, ": stage '", s.display_name(), "' is a ", s.kind, " stage; ", command,
                 " times ", kind_names, " stages");
  return index;
}

}  // namespace r1
