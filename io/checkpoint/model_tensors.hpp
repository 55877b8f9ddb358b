// Parameters in checkpoint files: every parameter of a ParamStore becomes the dataset
// /<group>/<Hugging Face name> with its global shape (f32), so files are read by name, not by rank
// layout. Collective over a communicator: the union of all ranks' parameter names is declared in
// name order; each tensor is written by the lowest rank that holds it (replicas skip), and each rank
// reads the tensors it holds. The same functions carry the AdamW moments (groups optim/m, optim/v)
// and a GRPO reference model (group ref).
#pragma once
#include <string>
#include <vector>

#include "io/checkpoint/checkpoint_file.hpp"
#include "model/param_store.hpp"
#include "parallel/comm.hpp"

namespace r1 {

// `flat` is laid out like store.flat_values() (values, gradients or optimizer moments).
void write_param_tensors(CheckpointWriter& writer, const ParamStore& store, const Tensor& flat, const std::string& group,
                         const Comm& comm);
// Reads into `flat`. Every parameter must exist with the same global shape; otherwise InputError
// listing every differing tensor (missing, or shape in file vs model) before anything is read.
void read_param_tensors(const CheckpointReader& reader, const ParamStore& store, Tensor& flat, const std::string& group,
                        const Comm& comm);
// The differences between the store and the file's group (empty when they match).
std::vector<std::string> param_shape_differences(const CheckpointReader& reader, const ParamStore& store,
                                                 const std::string& group);

}  // namespace r1
