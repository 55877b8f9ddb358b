// The tiny configs compiled into the binary (configs/tiny-*.yaml), so `r1 run tiny-r1` works from
// any folder and the README's first command needs no file at hand.
#pragma once
#include <string>
#include <vector>

namespace r1::cli {

struct EmbeddedConfig {
  const char* name;  // file stem, e.g. "tiny-r1"
  const char* text;
};
const std::vector<EmbeddedConfig>& embedded_configs();

}  // namespace r1::cli
