// `r1 run [CONFIG] [key=value ...]`: runs a recipe (default: the built-in tiny-r1 recipe).
#include "cli/command.hpp"
#include "cli/config_loading.hpp"
#include "core/log.hpp"
#include "core/runtime_settings.hpp"
#include "kernels/runtime.hpp"

namespace r1::cli {

namespace {
int run_command(const Args& a, const Comm& world) {
  std::string source = a.positionals.empty() ? "tiny-r1" : a.positionals[0];
  RecipeInputs in = load_recipe(source, a.overrides);
  in.stop_after = a.get("--stop-after");
  if (a.flag("--dry-run")) {
    log_line(in.resolved_yaml);
    return 0;
  }
  int argc = 0;
  ComputeRuntime runtime(argc, nullptr, int(in.config.threads));
  log_info("r1 ", R1_VERSION, " run ", in.config_file, " on ", world.size(), " rank", world.size() > 1 ? "s" : "");
  log_line("---- resolved config ----\n" + in.resolved_yaml + "-------------------------");
  log_info("runtime: ", describe(runtime_settings()));
  run_recipe(in, world);
  return 0;
}

Registrar reg(Command{
    "run",
    "run a recipe: its stages in order, in one job",
    "CONFIG is a YAML recipe (see configs/) or the name of a built-in config. The resolved config is printed\n"
    "and saved to <run_dir>/config.yaml; per-step metrics go to <run_dir>/metrics.jsonl. Checkpoints go to\n"
    "<run_dir>/checkpoints; rerunning the same command resumes from the newest complete one.\n\n"
    "Exit codes: 0 finished (or stopped after --stop-after), 1 internal error, 2 bad input (config, data,\n"
    "checkpoint), 85 stopped by SIGTERM/SIGUSR1 after writing a checkpoint (requeue the job).",
    {{"CONFIG", "recipe file or built-in name (default: tiny-r1)", false}},
    {{"--dry-run", "", "print the resolved config and exit"},
     {"--stop-after", "STAGE", "run until this stage (name or index) is done, then exit 0; rerun to continue"}},
    true,
    true,
    run_command});
}  // namespace

}  // namespace r1::cli
