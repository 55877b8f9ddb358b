// RunConfig schema and validation.
#include "rl/run_config.hpp"

#include "core/error.hpp"

namespace r1 {

void OptimConfig::visit(ConfigVisitor& v) {
  v.field("lr", lr, "peak learning rate", greater_than(0));
  v.field("min_lr_ratio", min_lr_ratio, "final lr as a fraction of lr", between(0, 1));
  v.field("warmup_steps", warmup_steps, "linear warm-up steps", at_least(0));
  v.choice("schedule", schedule, {"constant", "linear", "cosine"}, "decay after warm-up");
  v.field("weight_decay", weight_decay, "AdamW decoupled weight decay", at_least(0));
  v.field("beta1", beta1, "AdamW beta1", between(0, 0.999999));
  v.field("beta2", beta2, "AdamW beta2", between(0, 0.999999));
  v.field("eps", eps, "AdamW epsilon", greater_than(0));
  v.field("grad_clip", grad_clip, "max global gradient norm (0 = off)", at_least(0));
}

void DataConfig::visit(ConfigVisitor& v) {
  v.choice("source", source, {"synth", "path", "previous"}, "where examples come from");
  v.field("path", path, "dataset file when source is path");
  v.choice("split", split, {"train", "heldout"}, "synthetic split");
  v.field("examples", examples, "synthetic examples to generate", at_least(1));
}

void StageConfig::visit(ConfigVisitor& v) {
  v.choice("kind", kind, {"pretrain", "sft"}, "what the stage does");
  v.field("name", name, "label in logs and metrics (default: kind)");
  v.field("steps", steps, "optimizer steps", at_least(1));
  v.field("batch_size", batch_size, "sequences per optimizer step (global)", at_least(1));
  v.field("micro_batch_size", micro_batch_size, "sequences per forward/backward per rank", at_least(1));
  v.field("seq_len", seq_len, "tokens per sequence", at_least(2));
  v.field("log_every", log_every, "steps between progress lines", at_least(1));
  section(v, "optim", optim, "optimizer and schedule");
  section(v, "data", data, "training data");
}

void TokenizerConfig::visit(ConfigVisitor& v) {
  v.choice("source", source, {"train", "path"}, "train a BPE on the synthetic corpus, or load one");
  v.field("path", path, "Hugging Face tokenizer folder or tokenizer.json (source: path)");
  v.field("vocab_size", vocab_size, "BPE vocabulary size when training", at_least(260));
  v.field("train_examples", train_examples, "synthetic documents to train on", at_least(1));
}

void ParallelConfig::visit(ConfigVisitor& v) {
  v.field("pp", pp, "pipeline-parallel stages", at_least(1));
  v.field("ep", ep, "expert-parallel group size (divides dp)", at_least(1));
}

void RunConfig::visit(ConfigVisitor& v) {
  v.field("run_dir", run_dir, "output folder: config, metrics, checkpoints");
  v.field("seed", seed, "seed of every random stream", at_least(0));
  v.field("threads", threads, "host threads per rank", at_least(1));
  v.choice("device", device, {"host", "cuda"}, "where tensors live");
  section(v, "tokenizer", tokenizer, "tokenizer");
  section(v, "synth", synth, "synthetic task");
  section(v, "model", model, "model architecture (Hugging Face config names)");
  section(v, "parallel", parallel, "rank layout");
  list(v, "stages", stages, "recipe stages, run in order");
}

void RunConfig::validate(const std::string& file) const {
  model.validate(file);
  R1_INPUT_CHECK(!stages.empty(), file, ": stages: the recipe has no stages");
  R1_INPUT_CHECK(!run_dir.empty(), file, ": run_dir: must not be empty");
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageConfig& s = stages[i];
    std::string at = file + ": stages[" + std::to_string(i) + "]";
    R1_INPUT_CHECK(s.micro_batch_size <= s.batch_size, at, ".micro_batch_size: ", s.micro_batch_size,
                   " exceeds batch_size ", s.batch_size);
    R1_INPUT_CHECK(s.seq_len <= model.max_position_embeddings, at, ".seq_len: ", s.seq_len,
                   " exceeds model.max_position_embeddings ", model.max_position_embeddings);
    R1_INPUT_CHECK(s.data.source != "path" || !s.data.path.empty(), at, ".data.path: required when data.source is path");
    for (size_t j = 0; j < i; ++j)
      R1_INPUT_CHECK(stages[j].display_name() != s.display_name(), at, ".name: '", s.display_name(),
                     "' is used by stages[", j, "] too (give each stage a distinct name)");
  }
  R1_INPUT_CHECK(tokenizer.source != "path" || !tokenizer.path.empty(), file, ": tokenizer.path: required when tokenizer.source is path");
}

}  // namespace r1
