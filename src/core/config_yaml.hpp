// Reading, overriding and writing configs as YAML through the ConfigVisitor schema.
#pragma once
#include <string>
#include <vector>

#include "core/config_visitor.hpp"

namespace YAML {
class Node;
}

namespace r1 {

// A parsed YAML document plus where it came from (for error messages) and the overrides applied.
struct ConfigSource {
  std::string file;                    // path shown in messages
  std::string text;                    // the YAML text as read
  std::vector<std::string> overrides;  // "key.path=value" from the command line, in order
};

// Parses `source` (applying overrides), then fills `root` via its visit function. Unknown keys,
// wrong types and out-of-range values throw InputError naming file:line, the key path and what was
// expected; unknown keys get a "did you mean" suggestion.
void read_config(const ConfigSource& source, const std::function<void(ConfigVisitor&)>& root);

template <class S>
void read_config(const ConfigSource& source, S& s) {
  read_config(source, [&](ConfigVisitor& v) { s.visit(v); });
}

// Emits the resolved config as YAML text (every key, defaults included).
std::string write_config(const std::function<void(ConfigVisitor&)>& root);
template <class S>
std::string write_config(S& s) {
  return write_config([&](ConfigVisitor& v) { s.visit(v); });
}

// One line per key: path, type, default, help (for `r1 config keys`).
std::string describe_config_keys(const std::function<void(ConfigVisitor&)>& root);

// Closest candidate by edit distance (empty when nothing is reasonably close).
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

ConfigSource load_config_file(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace r1
