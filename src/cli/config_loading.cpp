// Config loading for commands that take a recipe.
#include "cli/config_loading.hpp"

#include <filesystem>

#include "cli/embedded_configs.hpp"
#include "core/config_yaml.hpp"
#include "core/runtime_settings.hpp"
#include "rl/hf_recipe.hpp"

namespace r1::cli {

std::string embedded_config_names() {
  std::string s;
  for (auto& e : embedded_configs()) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

RecipeInputs load_recipe(const std::string& source, const std::vector<std::string>& overrides) {
  ConfigSource src;
  if (std::filesystem::exists(source)) {
    src = load_config_file(source, overrides);
  } else {
    const EmbeddedConfig* found = nullptr;
    for (auto& e : embedded_configs())
      if (source == e.name) found = &e;
    R1_INPUT_CHECK(found, source, ": no such config file, and not the name of a built-in config (",
                   embedded_config_names(), ")");
    src = ConfigSource{std::string("<built-in ") + found->name + ">", found->text, overrides};
  }
  RecipeInputs in;
  in.config_file = src.file;
  read_config(src, in.config);
  resolve_hf_models(in.config, src.file);  // model.from_hf: the architecture from the folder's config.json
  in.config.validate(src.file);
  const std::vector<std::string> from_environment = apply_environment_overrides(in.config.runtime);
  set_runtime_settings(in.config.runtime);
  for (const std::string& line : from_environment) in.resolved_yaml += "# " + line + "\n";
  in.resolved_yaml += write_config(in.config);
  return in;
}

}  // namespace r1::cli
