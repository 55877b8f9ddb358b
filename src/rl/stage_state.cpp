// StageState (rl/run_context.hpp) to and from the checkpoint's "stage_state" JSON object: only the
// keys a stage set are written, with the spellings checkpoints have always used.
#include "core/error.hpp"
#include "rl/run_context.hpp"

namespace r1 {

namespace {
const char* phase_name(DistillPhase p) {
  switch (p) {
    case DistillPhase::student_pretrain: return "student_pretrain";
    case DistillPhase::sft: return "sft";
    case DistillPhase::teacher_traces: break;
  }
  return "teacher_traces";
}
}  // namespace

nlohmann::json StageState::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (!rejection.dataset.empty()) j["dataset"] = rejection.dataset;
  if (!distill.traces.empty()) j["traces"] = distill.traces;
  if (distill.phase != DistillPhase::teacher_traces) j["phase"] = phase_name(distill.phase);
  return j;
}

StageState StageState::from_json(const nlohmann::json& j, const std::string& where) {
  R1_INPUT_CHECK(j.is_object(), where, ": /state/json stage_state: not an object");
  StageState s;
  s.rejection.dataset = j.value("dataset", "");
  s.distill.traces = j.value("traces", "");
  const std::string phase = j.value("phase", "");
  if (phase == "student_pretrain") s.distill.phase = DistillPhase::student_pretrain;
  else if (phase == "sft") s.distill.phase = DistillPhase::sft;
  else R1_INPUT_CHECK(phase.empty(), where, ": /state/json stage_state.phase: '", phase, "' (expected student_pretrain or sft)");
  return s;
}

}  // namespace r1
