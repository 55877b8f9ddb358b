// Training tensors in checkpoints, and the restart checks.
#include "engine/train_checkpoint.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "io/checkpoint/model_tensors.hpp"

namespace fs = std::filesystem;

namespace r1 {

void write_training_tensors(CheckpointWriter& w, const Model& model, const Optimizer* opt, const Model* reference,
                            const Comm& comm) {
  const ParamStore& store = model.params();
  write_param_tensors(w, store, store.flat_values(), "model", comm);
  if (opt) {
    write_param_tensors(w, store, const_cast<Optimizer*>(opt)->first_moment(), "optim/m", comm);
    write_param_tensors(w, store, const_cast<Optimizer*>(opt)->second_moment(), "optim/v", comm);
  }
  if (reference) write_param_tensors(w, reference->params(), reference->params().flat_values(), "ref", comm);
}

void read_model_tensors(const CheckpointReader& r, Model& model, const Comm& comm) {
  read_param_tensors(r, model.params(), model.params().flat_values(), "model", comm);
  model.params().refresh_weights();
}

void read_optimizer_tensors(const CheckpointReader& r, Optimizer& opt, const ParamStore& store, int64_t steps_taken,
                            const Comm& comm) {
  read_param_tensors(r, store, opt.first_moment(), "optim/m", comm);
  read_param_tensors(r, store, opt.second_moment(), "optim/v", comm);
  opt.set_steps_taken(steps_taken);
}

std::unique_ptr<Model> read_reference_model(const CheckpointReader& r, const Model& like, const Comm& comm) {
  auto ref = std::make_unique<Model>(like.config(), like.dtype(), like.device(), like.shard(), like.expert_comm());
  read_param_tensors(r, ref->params(), ref->params().flat_values(), "ref", comm);
  ref->params().refresh_weights();
  return ref;
}

void require_checkpoint_model(const CheckpointReader& r, const ModelConfig& expected,
                              const std::function<std::string(size_t)>& what) {
  Model probe(expected, DType::f32, Device::host);
  std::vector<std::string> diffs = param_shape_differences(r, probe.params(), "model");
  if (diffs.empty()) return;
  std::string msg = what(diffs.size());
  for (size_t i = 0; i < diffs.size() && i < 40; ++i) msg += "\n  " + diffs[i];
  throw InputError(msg);
}

std::vector<std::string> changed_config_lines(const std::string& now, const std::string& saved) {
  std::istringstream ia(now), ib(saved);
  std::vector<std::string> lb, out;
  for (std::string l; std::getline(ib, l);) lb.push_back(l);
  size_t j = 0;
  for (std::string l; std::getline(ia, l);) {
    if (j < lb.size() && lb[j] == l) ++j;
    else out.push_back(l);
  }
  return out;
}

void require_same_job_outputs(const std::string& run_dir, const std::string& resolved_yaml) {
  const fs::path config = fs::path(run_dir) / "config.yaml";
  if (!fs::exists(config)) return;
  std::ifstream f(config);
  std::stringstream ss;
  ss << f.rdbuf();
  R1_INPUT_CHECK(ss.str() == resolved_yaml, config.string(),
                 ": run_dir holds another run's outputs (its config differs) and no checkpoint to resume; choose another "
                 "run_dir or remove it");
}

}  // namespace r1
