// `r1 eval CKPT`: evaluates a checkpoint's model — pass@1 averaged over k samples, cons@k, format rate
// and mean length — on an HDF5 prompt-answer dataset or the synthetic held-out split, on any number
// of ranks (prompts are shared over them).
#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "core/config_yaml.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "kernels/runtime.hpp"
#include "engine/checkpoint_model.hpp"
#include "rl/data/file_dataset.hpp"
#include "rl/data/synth_datasets.hpp"
#include "rl/hf_recipe.hpp"
#include "engine/metrics.hpp"
#include "rl/run_config.hpp"
#include "rl/stages/eval_stage.hpp"

namespace r1::cli {

namespace {
int eval_command(const Args& a, const Comm& world) {
  const std::string ckpt = a.positionals[0];
  int argc = 0;
  ComputeRuntime runtime(argc, nullptr, int(a.get_int("--threads", 1)));
  Tokenizer tok = checkpoint_tokenizer(ckpt, a.get("--tokenizer"));
  EvalConfig ec;
  ec.samples = a.get_int("--samples", 4);
  ec.sampling.temperature = a.get_double("--temperature", 0.6);
  ec.sampling.top_p = a.get_double("--top-p", 0.95);
  ec.sampling.top_k = a.get_int("--top-k", 0);
  ec.sampling.max_new_tokens = a.get_int("--max-new-tokens", 256);
  ec.sampling.batch = a.get_int("--batch", 64);
  ec.show = a.get_int("--show", 0);
  R1_INPUT_CHECK(ec.samples >= 1, "r1 eval: --samples must be >= 1");
  const int64_t limit = a.get_int("--prompts", -1);
  // The recipe of the run that wrote the checkpoint (when it holds one): its stop ids and prompt
  // template (a run from a Hugging Face folder stops at the ids of its generation_config.json).
  std::optional<RunConfig> recipe;
  {
    CheckpointReader reader(ckpt);
    if (reader.find("/state/config")) {
      recipe.emplace();
      read_config(ConfigSource{ckpt + ":/state/config", reader.read_string("/state/config"), {}}, *recipe);
    }
  }
  std::optional<HfPrompting> prompting;
  if (recipe) prompting = run_prompting(*recipe);
  if (prompting) apply_stop_ids(tok, *prompting);
  std::vector<Example> prompts;
  std::string source;
  if (auto data = a.maybe("--data")) {
    prompts = load_dataset_examples(tok, *data, limit);
    source = *data;
  } else {
    // The synthetic held-out split of the run that wrote the checkpoint (its recipe is inside).
    R1_INPUT_CHECK(recipe, ckpt, ": no --data given and the checkpoint holds no recipe for synthetic prompts");
    const PromptTemplate prompt_template = run_prompt_template(*recipe, tok, prompting, ckpt + ":/state/config");
    prompts = synth_prompts(recipe->synth, uint64_t(recipe->seed), SynthSplit::heldout, limit < 0 ? 500 : limit, tok,
                            prompt_template);
    source = "synthetic held-out split";
  }
  R1_INPUT_CHECK(!prompts.empty(), "r1 eval: no prompts in ", source);
  auto model = load_checkpoint_model(ckpt, world);
  uint64_t seed = hash_words({uint64_t(a.get_int("--seed", 1234)), hash_string("eval")});
  EvalResult r = evaluate(*model, tok, world, prompts, ec, seed);
  r.stage = "r1 eval";
  r.model = ckpt;
  log_line(format_eval_table({r}));
  if (auto m = a.maybe("--metrics")) {
    MetricsLog log(*m, world.rank());
    nlohmann::json rec = {{"stage", "eval"},           {"step", 0},
                          {"checkpoint", ckpt},        {"data", source},
                          {"eval/pass@1", r.pass_at_1}, {"eval/cons@k", r.cons_at_k},
                          {"eval/k", r.k},             {"eval/format_rate", r.format_rate},
                          {"eval/length", r.length},   {"eval/prompts", r.prompts}};
    add_pass_and_majority(rec, r);
    log.write(rec);
  }
  return 0;
}

Registrar reg(Command{
    "eval",
    "evaluate a checkpoint: pass@1 over k samples, cons@k, format rate, length",
    "Prompts come from --data (an HDF5 prompt-answer dataset, e.g. from `r1 data import gsm8k`) or, without it,\n"
    "from the synthetic held-out split of the recipe stored in the checkpoint. Launch with mpirun/srun to share\n"
    "the prompts over ranks.",
    {{"CKPT", "r1 checkpoint file (.h5)"}},
    {{"--data", "FILE", "HDF5 prompt-answer dataset"},
     {"--samples", "K", "completions per prompt", "4"},
     {"--temperature", "T", "sampling temperature (R1 used 0.6)", "0.6"},
     {"--top-p", "P", "nucleus mass (R1 used 0.95)", "0.95"},
     {"--top-k", "K", "keep only the k most likely tokens (0 = all)", "0"},
     {"--max-new-tokens", "N", "longest completion", "256"},
     {"--prompts", "N", "evaluate only the first N prompts"},
     {"--batch", "N", "sequences decoded together per rank", "64"},
     {"--seed", "S", "seed of the sampling streams", "1234"},
     {"--tokenizer", "PATH", "tokenizer (default: the run's tokenizer.json next to the checkpoint folder)"},
     {"--metrics", "FILE", "append the result as a JSON line"},
     {"--show", "N", "print N completions"},
     {"--threads", "N", "host threads per rank", "1"}},
    false,
    true,
    eval_command});
}  // namespace

}  // namespace r1::cli
