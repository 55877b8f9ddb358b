// Recipe runner: run directory, tokenizer, model, and the stage loop.
#include "rl/recipe_runner.hpp"

#include <filesystem>
#include <fstream>

#include "core/log.hpp"
#include "kernels/runtime.hpp"
#include "rl/chat_template.hpp"
#include "rl/data/synth_datasets.hpp"
#include "rl/run_context.hpp"
#include "rl/stages/sft_stage.hpp"

namespace fs = std::filesystem;

namespace r1 {

namespace {

Tokenizer build_tokenizer(const RunConfig& c) {
  if (c.tokenizer.source == "path") {
    Tokenizer t = Tokenizer::load(c.tokenizer.path);
    t.add_special_tokens(r1_special_tokens());
    return t;
  }
  std::vector<std::string> corpus;
  for (int64_t i = 0; i < c.tokenizer.train_examples; ++i) {
    corpus.push_back(make_synth_document(c.synth, uint64_t(c.seed), i));
    SynthProblem p = make_synth_problem(c.synth, uint64_t(c.seed), SynthSplit::train, i);
    corpus.push_back(format_prompt(p.question) + format_response(p.reasoning, p.answer));
  }
  return Tokenizer::train_bpe(corpus, c.tokenizer.vocab_size, r1_special_tokens());
}

std::vector<Example> stage_dataset(const RunContext& ctx, const StageConfig& s) {
  const RunConfig& c = ctx.config;
  R1_INPUT_CHECK(s.data.source == "synth", ctx.config_file, ": stages '", s.display_name(), "': data.source '",
                 s.data.source, "' is not available for ", s.kind, " stages yet (use synth)");
  uint64_t seed = uint64_t(c.seed);
  if (s.kind == "pretrain") return synth_pretrain_documents(c.synth, seed, s.data.examples, ctx.tokenizer);
  return synth_sft_examples(c.synth, seed, synth_split_from_name(s.data.split), s.data.examples, ctx.tokenizer);
}

void write_text_file(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw Error("cannot write " + tmp.string());
    out << text;
  }
  fs::rename(tmp, path);
}

}  // namespace

RecipeResult run_recipe(const RecipeInputs& in, const Comm& world) {
  const RunConfig& c = in.config;
  c.validate(in.config_file);
  R1_INPUT_CHECK(c.parallel.pp == 1 && c.parallel.ep == 1, in.config_file,
                 ": parallel: pipeline and expert parallelism are not available in this build of the recipe runner "
                 "(use pp: 1, ep: 1; data parallelism comes from the number of ranks)");

  // Tokenizer first: the model's vocabulary follows it.
  RunContext ctx{c, in.config_file, world, world, build_tokenizer(c), nullptr, MetricsLog()};
  ctx.device = c.device == "cuda" ? Device::cuda : Device::host;
  if (ctx.device == Device::cuda) ComputeRuntime::enable_cuda(world.rank());
  ModelConfig mc = c.model;
  if (mc.vocab_size == 0) mc.vocab_size = ctx.tokenizer.vocab_size();
  R1_INPUT_CHECK(mc.vocab_size >= ctx.tokenizer.vocab_size(), in.config_file, ": model.vocab_size: ", mc.vocab_size,
                 " is smaller than the tokenizer's vocabulary (", ctx.tokenizer.vocab_size(), "); use 0 to follow the tokenizer");

  // Outputs: only now, after every input check, touch the run directory.
  fs::path run_dir(c.run_dir);
  if (world.rank() == 0) {
    fs::create_directories(run_dir);
    write_text_file(run_dir / "config.yaml", in.resolved_yaml);
    ctx.tokenizer.save((run_dir / "tokenizer.json").string());
  }
  world.barrier();
  ctx.metrics = MetricsLog((run_dir / "metrics.jsonl").string(), world.rank());

  ctx.model = std::make_unique<Model>(mc, ctx.dtype, ctx.device);
  ctx.model->init_weights(uint64_t(c.seed));
  log_info("model: ", mc.architecture, ", ", format_count(double(ctx.model->params().numel())), " parameters, ",
           mc.num_hidden_layers, " layers, vocab ", mc.vocab_size, (mc.n_routed_experts ? ", MoE " : ""),
           (mc.n_routed_experts ? std::to_string(mc.n_routed_experts) + " experts top-" + std::to_string(mc.num_experts_per_tok) : ""));
  log_info("ranks: ", world.size(), " (data parallel), ", ComputeRuntime::host_description());

  for (size_t i = 0; i < c.stages.size(); ++i) {
    const StageConfig& s = c.stages[i];
    log_info("== stage ", i + 1, "/", c.stages.size(), ": ", s.display_name(), " (", s.kind, ")");
    std::vector<Example> data = stage_dataset(ctx, s);
    run_sft_stage(ctx, s, data);
  }
  log_info("recipe finished: ", c.stages.size(), " stages, ", ctx.global_step, " optimizer steps; metrics in ",
           (run_dir / "metrics.jsonl").string());
  return RecipeResult{std::move(ctx.model), ctx.global_step};
}

}  // namespace r1
