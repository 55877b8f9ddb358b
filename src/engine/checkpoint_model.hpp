// Loading a model (and its tokenizer) from a checkpoint file for inference commands (`r1 eval`,
// `r1 score`) and for recipes that start from existing weights (init.checkpoint).
#pragma once
#include <memory>
#include <string>

#include "io/tokenizer/tokenizer.hpp"
#include "model/model.hpp"
#include "parallel/comm.hpp"

namespace r1 {

// The model config stored in the checkpoint (/state/model_config).
ModelConfig checkpoint_model_config(const std::string& path);
// Builds the model the checkpoint describes and loads its /model weights (collective over comm).
std::unique_ptr<Model> load_checkpoint_model(const std::string& path, const Comm& comm, DType dtype = DType::f32,
                                             Device device = Device::host);
// Loads /model weights into an existing model; InputError listing the differing tensors on mismatch.
void load_checkpoint_weights(const std::string& path, Model& model, const Comm& comm);
// The tokenizer of the run that wrote the checkpoint: `explicit_path` when given, else
// <checkpoint dir>/../tokenizer.json (a run's checkpoints live in <run_dir>/checkpoints).
Tokenizer checkpoint_tokenizer(const std::string& checkpoint_path, const std::string& explicit_path);

}  // namespace r1
