// Dataset and group path normalisation for checkpoint files ("model//w" -> "/model/w").
#include <sstream>

#include "io/checkpoint/checkpoint_file.hpp"

namespace r1 {

std::string normalize_checkpoint_path(const std::string& path) {
  R1_INPUT_CHECK(!path.empty(), "checkpoint path is empty");
  std::string normalized;
  std::istringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty()) continue;
    R1_INPUT_CHECK(part != "." && part != "..", "checkpoint path '", path, "' has a '", part, "' component");
    normalized += "/" + part;
  }
  return normalized.empty() ? "/" : normalized;
}

}  // namespace r1
