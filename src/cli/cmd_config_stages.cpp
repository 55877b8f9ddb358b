// `r1 config stages CONFIG [key=value ...]`: prints the recipe's stage names, one per line, in run
// order (the names `--stop-after` accepts). Job scripts use it to submit one job per stage
// (jobs/chain.sh); `--kinds` adds each stage's kind after a tab.
#include <iostream>

#include "cli/command.hpp"
#include "cli/config_loading.hpp"

namespace r1::cli {

namespace {

int stages(const Args& a, const Comm& world) {
  if (world.rank() != 0) return 0;
  RecipeInputs in = load_recipe(a.positionals[0], a.overrides);
  const bool with_kinds = a.flag("--kinds");
  for (const StageConfig& s : in.config.stages) {
    std::cout << s.display_name();
    if (with_kinds) std::cout << '\t' << s.kind;
    std::cout << '\n';
  }
  return 0;
}

Registrar reg(Command{"config stages", "print a recipe's stage names, one per line, in run order",
                      "Prints the name of every stage (its `name`, or its kind when unnamed) in the order the recipe\n"
                      "runs them; these are the names `r1 run --stop-after` accepts. Overrides apply as for `r1 run`.",
                      {{"CONFIG", "recipe file or built-in name"}},
                      {{"--kinds", "", "print each stage's kind after a tab", ""}},
                      true,
                      false,
                      stages});

}  // namespace

}  // namespace r1::cli
