// Recipe runner: run directory, tokenizer, model, and the stage loop.
#include "rl/recipe_runner.hpp"

#include <filesystem>
#include <fstream>

#include "core/log.hpp"
#include "kernels/runtime.hpp"
#include "rl/chat_template.hpp"
#include "rl/data/synth_datasets.hpp"
#include "rl/run_context.hpp"
#include "io/bpe_pretokenizer.hpp"
#include "io/dataset_file.hpp"
#include "io/dataset_tokenizer_identity.hpp"
#include "rl/stages/distill_stage.hpp"
#include "rl/stages/eval_stage.hpp"
#include "rl/stages/grpo_stage.hpp"
#include "rl/stages/rejection_stage.hpp"
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
  return Tokenizer::train_bpe(corpus, c.tokenizer.vocab_size, r1_special_tokens(),
                              c.tokenizer.pattern == "qwen2" ? bpe::kQwen2Pattern : "");
}

// Examples from an HDF5 dataset file written by `r1 data import` or an earlier stage.
std::vector<Example> file_dataset(const RunContext& ctx, const StageConfig& s) {
  TokenizerIdentity id = tokenizer_identity(ctx.tokenizer);
  DatasetOpenOptions opts;
  opts.expected_tokenizer = &id;
  DatasetReader reader = DatasetReader::open(s.data.path, opts);
  std::vector<Example> out;
  for (DatasetRecord& r : reader.read_rows(0, std::min<int64_t>(reader.size(), s.data.examples))) {
    Example e;
    e.id = r.id;
    e.prompt = std::move(r.prompt);
    e.response = std::move(r.response);
    e.question = std::move(r.question);
    e.gold = std::move(r.gold);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Example> stage_dataset(const RunContext& ctx, const StageConfig& s) {
  const RunConfig& c = ctx.config;
  uint64_t seed = uint64_t(c.seed);
  if (s.data.source == "path") return file_dataset(ctx, s);
  if (s.data.source == "previous") {
    R1_INPUT_CHECK(!ctx.previous_sft.empty(), ctx.config_file, ": stage '", s.display_name(),
                   "': data.source 'previous' but no earlier stage produced an SFT set");
    return ctx.previous_sft;
  }
  SynthSplit split = synth_split_from_name(s.data.split);
  if (s.kind == "pretrain") return synth_pretrain_documents(c.synth, seed, s.data.examples, ctx.tokenizer);
  if (s.kind == "sft") return synth_sft_examples(c.synth, seed, split, s.data.examples, ctx.tokenizer);
  return synth_prompts(c.synth, seed, split, s.data.examples, ctx.tokenizer);
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
    if (s.kind == "pretrain" || s.kind == "sft") run_sft_stage(ctx, s, data);
    else if (s.kind == "grpo") run_grpo_stage(ctx, s, data);
    else if (s.kind == "eval") run_eval_stage(ctx, s, data);
    else if (s.kind == "rejection_sample") run_rejection_stage(ctx, s, data);
    else if (s.kind == "distill") run_distill_stage(ctx, s, data);
  }
  if (!ctx.eval_results.empty()) log_info("\nevaluation:\n", format_eval_table(ctx.eval_results));
  log_info("recipe finished: ", c.stages.size(), " stages, ", ctx.global_step, " optimizer steps; metrics in ",
           (run_dir / "metrics.jsonl").string());
  return RecipeResult{std::move(ctx.model), ctx.global_step};
}

}  // namespace r1
