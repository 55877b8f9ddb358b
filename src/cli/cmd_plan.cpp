// `r1 plan CONFIG --world N`: per-rank memory (parameters, gradients, optimizer state, activations,
// KV cache) and communication per optimizer step of a recipe's model under its rank layout, computed
// analytically — nothing is allocated or run, so a 671B layout can be planned on a laptop.
#include <algorithm>
#include <iostream>

#include "cli/command.hpp"
#include "cli/config_loading.hpp"
#include "cli/plan_report.hpp"
#include "cli/plan_shapes.hpp"
#include "core/log.hpp"
#include "rl/recipe_setup.hpp"

namespace r1::cli {

namespace {

std::string stage_split(const GridLayout& g, bool explicit_split) {
  std::string s;
  for (int64_t i = 0; i < g.pp; ++i)
    s += (i ? " " : "") + std::to_string(g.stage_layer_begin[size_t(i + 1)] - g.stage_layer_begin[size_t(i)]);
  return s + (explicit_split ? " (parallel.layers)" : " (even split)");
}

// 512 prompt tokens, or fewer when prompt + completion would exceed the model's positions.
int64_t default_prompt_tokens(const ModelConfig& m, const PlannedStages& stages) {
  int64_t longest_completion = 0;
  for (const StageConfig* s : {stages.training, stages.generation}) {
    if (!s) continue;
    if (s->kind == StageKind::grpo) longest_completion = std::max(longest_completion, s->grpo.sampling.max_new_tokens);
    if (s->kind == StageKind::eval) longest_completion = std::max(longest_completion, s->eval.sampling.max_new_tokens);
    if (s->kind == StageKind::rejection_sample) longest_completion = std::max(longest_completion, s->rejection.sampling.max_new_tokens);
  }
  return std::max<int64_t>(1, std::min<int64_t>(512, m.max_position_embeddings - longest_completion));
}

std::string model_summary(const ModelConfig& m) {
  const ShardParamCount whole = shard_param_count(m, ModelShard{});
  const int64_t main = whole.total().total - whole.mtp.total;
  std::string s = to_string(m.architecture) + ", " + std::to_string(m.num_hidden_layers) + " layers";
  if (m.n_routed_experts > 0)
    s += " (" + std::to_string(whole.dense_layer_count) + " dense + " + std::to_string(whole.moe_layer_count) + " MoE, " +
         std::to_string(m.n_routed_experts) + " routed experts, top-" + std::to_string(m.num_experts_per_tok) + ")";
  if (m.num_nextn_predict_layers > 0) s += " + " + std::to_string(m.num_nextn_predict_layers) + " MTP";
  s += "; " + format_count(double(main)) + " parameters";
  if (whole.mtp.total > 0) s += " (" + format_count(double(whole.total().total)) + " with MTP)";
  if (m.n_routed_experts > 0) s += ", " + format_count(double(activated_param_count(m))) + " activated per token";
  return s;
}

int plan_command(const Args& a, const Comm&) {
  RecipeInputs in = load_recipe(a.positionals[0], a.overrides);
  const RunConfig& c = in.config;
  const int64_t world = a.get_int("--world", 0);
  R1_INPUT_CHECK(world >= 1, "r1 plan: --world N (the number of ranks to plan for) is required and must be >= 1");
  const std::string device_name = a.get("--device", enum_name(c.device, device_names()));
  R1_INPUT_CHECK(device_name == "host" || device_name == "cuda", "r1 plan: --device must be host or cuda, got '",
                 device_name, "'");
  const double memory_gib = a.get_double("--memory-gib", 0.0);

  const PlannedStages stages = pick_planned_stages(c, a.get("--stage"), in.config_file);
  ModelConfig model = planned_model(c, stages);
  const int64_t prompt_tokens = a.get_int("--prompt-tokens", default_prompt_tokens(model, stages));
  R1_INPUT_CHECK(prompt_tokens >= 1, "r1 plan: --prompt-tokens must be >= 1");
  std::string vocab_note;
  if (model.vocab_size == 0) {  // resolved from the tokenizer, as `r1 run` does
    model.vocab_size = build_tokenizer(c).vocab_size();
    vocab_note = " (vocab_size " + std::to_string(model.vocab_size) + " from the tokenizer)";
  }
  const GridLayout grid = make_grid_layout(world, c.parallel.pp, c.parallel.ep, model.num_hidden_layers,
                                           model.n_routed_experts, c.parallel.layers, in.config_file);
  const BytesPolicy policy = bytes_policy(device_name == "cuda" ? Device::cuda : Device::host);

  StepShape step;
  step.trains = false;
  std::string training_line = "none", generation_line = "none";
  if (stages.training) step = training_step_shape(model, *stages.training, grid, prompt_tokens, training_line);
  GenerationShape gen;
  if (stages.generation) gen = generation_shape(model, *stages.generation, grid, prompt_tokens, generation_line);
  const auto plan = plan_pipeline_stages(model, grid, policy, step, gen);

  std::string head = "r1 plan: " + in.config_file + "\n";
  head += "  ranks: " + std::to_string(world) + " = pp " + std::to_string(grid.pp) + " x dp " + std::to_string(grid.dp);
  if (model.n_routed_experts > 0)
    head += "; ep " + std::to_string(grid.ep) + ": " + std::to_string(grid.experts_per_rank()) + " of " +
            std::to_string(model.n_routed_experts) + " routed experts per rank and MoE layer, " +
            std::to_string(grid.dp / grid.ep) + " replica(s) of each";
  head += "\n  layers per stage: " + stage_split(grid, !c.parallel.layers.empty()) + "\n";
  head += "  model: " + model_summary(model) + vocab_note + "\n";
  head += "  dtype policy: " + policy.name + "\n";
  head += "  training: " + training_line + "\n";
  head += "  generation: " + generation_line + "\n";
  PlanReportOptions options;
  options.training = stages.training != nullptr;
  options.generation = stages.generation != nullptr;
  options.memory_limit_gib = memory_gib;
  std::cout << head << render_plan_tables(plan, grid, options);
  return 0;
}

Registrar reg(Command{
    "plan",
    "per-rank memory and communication of a recipe under a rank layout, without running anything",
    "Prints, for each pipeline stage of the layout world = pp x dp (parallel.pp, parallel.ep, parallel.layers),\n"
    "what one rank holds: parameters, gradients, AdamW state, the activations a training micro-batch saves and how\n"
    "many 1F1B keeps in flight, the KV cache of generation; then the bytes each rank sends per optimizer step\n"
    "(gradient all-reduce, MoE all-to-all, pipeline). Everything is computed from the config: a 671B model can be\n"
    "planned on a laptop. Without --stage the first training stage and the first generating stage are planned.",
    {{"CONFIG", "recipe file or built-in name"}},
    {{"--world", "N", "ranks to plan for (required)", ""},
     {"--stage", "NAME", "plan this stage only (name or index)", ""},
     {"--device", "host|cuda", "dtype policy (default: the config's device)", ""},
     {"--prompt-tokens", "N",
      "prompt length bound of generated sequences (default: 512, or less to stay within max_position_embeddings)", ""},
     {"--memory-gib", "X", "memory per rank to check each stage against (e.g. 80)", ""}},
    true,
    false,
    plan_command});

}  // namespace

}  // namespace r1::cli
