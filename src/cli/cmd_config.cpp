// `r1 config show CONFIG` prints the resolved config; `r1 config keys` lists every key.
#include <iostream>

#include "cli/command.hpp"
#include "cli/config_loading.hpp"
#include "cli/embedded_configs.hpp"
#include "core/config_yaml.hpp"
#include "rl/run_config.hpp"

namespace r1::cli {

namespace {
int show(const Args& a, const Comm&) {
  RecipeInputs in = load_recipe(a.positionals[0], a.overrides);
  std::cout << in.resolved_yaml;
  return 0;
}

int keys(const Args&, const Comm&) {
  RunConfig c;
  StageConfig s;
  c.stages.push_back(s);
  std::cout << describe_config_keys([&](ConfigVisitor& v) { c.visit(v); });
  std::cout << "\nbuilt-in configs: " << embedded_config_names() << "\n";
  return 0;
}

Registrar show_reg(Command{"config show", "print a recipe with every default and override resolved", "",
                           {{"CONFIG", "recipe file or built-in name"}}, {}, true, false, show});
Registrar keys_reg(Command{"config keys", "list every config key with its type, default and meaning", "", {}, {}, false,
                           false, keys});
}  // namespace

}  // namespace r1::cli
