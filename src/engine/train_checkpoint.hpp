// The training state's tensors in a checkpoint file — the model (/model), AdamW moments (/optim/m,
// /optim/v), a frozen reference model (/ref) — and the checks a restart makes before any work: the
// checkpoint's model must be the one the config describes, a changed config is reported line by
// line, and a run directory with another run's outputs is never overwritten. The recipe's own
// state (stage, step, data cursor; rl/run_checkpoint.hpp) is written beside these tensors.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/optimizer.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "model/model.hpp"
#include "parallel/comm.hpp"

namespace r1 {

// Collective over `comm`. `opt` and `reference` may be null.
void write_training_tensors(CheckpointWriter& w, const Model& model, const Optimizer* opt, const Model* reference,
                            const Comm& comm);
// Collective. /model into `model`; /optim/m, /optim/v into `opt` (which then counts `steps_taken`);
// /ref as a new model shaped like `like`.
void read_model_tensors(const CheckpointReader& r, Model& model, const Comm& comm);
void read_optimizer_tensors(const CheckpointReader& r, Optimizer& opt, const ParamStore& store, int64_t steps_taken,
                            const Comm& comm);
std::unique_ptr<Model> read_reference_model(const CheckpointReader& r, const Model& like, const Comm& comm);

// Restart checks. Throws InputError when the checkpoint's /model tensors do not match `expected`:
// `what(n)` is the message before the list of the n differing tensors.
void require_checkpoint_model(const CheckpointReader& r, const ModelConfig& expected,
                              const std::function<std::string(size_t)>& what);
// Lines of `now` not in `saved` (the resolved config against the checkpoint's), for the restart log.
std::vector<std::string> changed_config_lines(const std::string& now, const std::string& saved);
// Without a checkpoint, a run directory may start over only for the same job: InputError when
// <run_dir>/config.yaml exists and differs from `resolved_yaml`.
void require_same_job_outputs(const std::string& run_dir, const std::string& resolved_yaml);

}  // namespace r1
