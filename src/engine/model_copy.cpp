// Model cloning by configuration + flat parameter copy.
#include "engine/model_copy.hpp"

namespace r1 {

std::unique_ptr<Model> clone_model(const Model& m) {
  auto copy = std::make_unique<Model>(m.config(), m.dtype(), m.device(), m.shard(), m.expert_comm());
  copy->params().flat_values().copy_from(m.params().flat_values());
  copy->params().refresh_weights();
  return copy;
}

}  // namespace r1
