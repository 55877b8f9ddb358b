// Copies of models: a frozen reference model for GRPO's KL term (the stage's starting weights).
#pragma once
#include <memory>

#include "model/model.hpp"

namespace r1 {

std::unique_ptr<Model> clone_model(const Model& m);

}  // namespace r1
