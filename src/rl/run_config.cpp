// RunConfig schema and validation.
#include "rl/run_config.hpp"

#include "core/error.hpp"

namespace r1 {

void DataConfig::visit(ConfigVisitor& v) {
  choice(v, "source", source, data_source_names(),
           "where examples come from (random: sequences of seq_len random token ids, for benchmarks; a grpo stage's are prompts)");
  v.field("path", path, "dataset file when source is path");
  choice(v, "split", split, synth_split_names(), "synthetic split");
  v.field("examples", examples, "synthetic examples to generate", at_least(1));
}

void GrpoConfig::visit(ConfigVisitor& v) {
  v.field("group_size", group_size, "completions per prompt (G)", at_least(2));
  v.field("prompts_per_step", prompts_per_step, "prompts per rollout batch (whole job)", at_least(1));
  v.field("mu", mu, "update passes over each rollout batch", at_least(1));
  v.field("mini_batches", mini_batches, "optimizer steps per pass", at_least(1));
  v.field("eps_low", eps_low, "lower clip range (ratio >= 1 - eps_low)", between(0, 1));
  v.field("eps_high", eps_high, "upper clip range (ratio <= 1 + eps_high)", at_least(0));
  v.field("beta", beta, "KL (k3) coefficient to the stage's starting weights; 0 skips the reference model", at_least(0));
  choice(v, "loss_aggregation", loss_aggregation, loss_aggregation_names(), "how token losses are averaged");
  choice(v, "policy_loss", policy_loss, policy_loss_names(),
         "grpo: per-token ratio, clipped; gspo: per-sequence (length-normalised) ratio, clipped; cispo: "
         "clipped, stop-gradient importance weight on every token's log-prob");
  choice(v, "rollout_correction", rollout_correction, rollout_correction_names(),
         "importance correction against the rollout's own log-probs: token_tis (truncated per-token weight) "
         "or sequence_mask (sequences whose ratio leaves [1/cap, cap] are left out)");
  v.field("rollout_correction_cap", rollout_correction_cap, "token_tis: weight cap; sequence_mask: ratio range",
          at_least(1));
  v.field("scale_rewards", scale_rewards, "divide advantages by the group reward std");
  v.field("skip_equal_reward_groups", skip_equal_reward_groups, "drop groups whose rewards are all equal");
  v.field("dynamic_sampling", dynamic_sampling,
          "DAPO's dynamic sampling: sample more prompts (prompts_per_step at a time) until the step holds "
          "prompts_per_step groups whose rewards differ; train on those only");
  v.field("max_sampling_rounds", max_sampling_rounds, "dynamic sampling: sampling rounds per step at most",
          at_least(1));
  list(v, "rewards", rewards, "rule-based rewards and their weights");
  section(v, "sampling", sampling, "rollout sampling");
}

void EvalConfig::visit(ConfigVisitor& v) {
  v.field("samples", samples, "completions per prompt (k of pass@1 over k and cons@k)", at_least(1));
  v.field("language", language, "target language of the chain of thought");
  v.field("show", show, "completions printed to the log", at_least(0));
  section(v, "sampling", sampling, "evaluation sampling");
}

void RejectionConfig::visit(ConfigVisitor& v) {
  v.field("samples_per_prompt", samples_per_prompt, "completions drawn per prompt", at_least(1));
  v.field("min_response_tokens", min_response_tokens, "shortest completion kept", at_least(1));
  v.field("max_response_tokens", max_response_tokens, "longest completion kept", at_least(1));
  v.field("min_language_share", min_language_share, "least share of the chain of thought in the target language",
          between(0, 1));
  v.field("deduplicate", deduplicate, "keep one copy of repeated completions of a prompt");
  v.field("require_correct", require_correct, "keep only completions the verifier accepts");
  v.field("require_format", require_format, "keep only completions in the think/answer format");
  v.field("language", language, "target language of the chain of thought");
  v.field("output", output, "SFT dataset file written (default: <run_dir>/<stage>.h5)");
  section(v, "sampling", sampling, "sampling");
}

void DistillConfig::visit(ConfigVisitor& v) {
  section(v, "student", student, "the student's architecture (Hugging Face config names)");
  section(v, "traces", traces, "how the teacher's traces are drawn and filtered");
  v.field("student_pretrain_steps", student_pretrain_steps, "pretraining steps of the student before SFT on traces", at_least(0));
  v.field("student_pretrain_examples", student_pretrain_examples, "synthetic documents for the student's pretraining", at_least(1));
}

void StageConfig::visit(ConfigVisitor& v) {
  choice(v, "kind", kind, stage_kind_names(), "what the stage does");
  v.field("name", name, "label in logs and metrics (default: kind)");
  if (trains()) v.field("steps", steps, "optimizer steps (grpo: rollout batches)", at_least(1));
  if (is_supervised(kind))
    v.field("batch_size", batch_size, "sequences per optimizer step (global)", at_least(1));
  if (trains()) {
    v.field("micro_batch_size", micro_batch_size, "sequences per forward/backward per rank", at_least(1));
    v.field("seq_len", seq_len, "longest training sequence in tokens", at_least(2));
  }
  v.field("log_every", log_every, "steps between progress lines", at_least(1));
  if (trains()) section(v, "optim", optim, "optimizer and schedule");
  section(v, "data", data, kind == StageKind::pretrain || kind == StageKind::sft ? "training data" : "prompts");
  if (kind == StageKind::grpo) section(v, "grpo", grpo, "GRPO settings");
  if (kind == StageKind::eval) section(v, "eval", eval, "evaluation settings");
  if (kind == StageKind::rejection_sample) section(v, "rejection", rejection, "rejection sampling settings");
  if (kind == StageKind::distill) section(v, "distill", distill, "distillation settings");
}

void TokenizerConfig::visit(ConfigVisitor& v) {
  choice(v, "source", source, tokenizer_source_names(), "train a BPE on the synthetic corpus, or load one");
  v.field("path", path, "Hugging Face tokenizer folder or tokenizer.json (source: path)");
  v.field("vocab_size", vocab_size, "BPE vocabulary size when training", at_least(260));
  choice(v, "pattern", pattern, bpe_pattern_names(), "pre-tokenizer of a trained BPE (qwen2 splits numbers into digits)");
  v.field("train_examples", train_examples, "synthetic documents to train on", at_least(1));
  v.field("add_tokens", add_tokens, "tokens added to a loaded tokenizer (the embedding and LM head grow to fit)");
}

void InitConfig::visit(ConfigVisitor& v) {
  v.field("checkpoint", checkpoint, "start from this r1 checkpoint's weights instead of a random init");
}

void RunConfig::visit(ConfigVisitor& v) {
  v.field("run_dir", run_dir, "output folder: config, metrics, checkpoints");
  v.field("seed", seed, "seed of every random stream", at_least(0));
  v.field("threads", threads, "host threads per rank", at_least(1));
  choice(v, "device", device, device_names(), "where tensors live");
  section(v, "tokenizer", tokenizer, "tokenizer");
  v.field("template", prompt_template, "prompt template: compact | r1_zero | hf (the model's chat template) | text with {question}");
  v.field("template_system", template_system, "hf template: system message before each question (empty: none)");
  v.field("template_variables", template_variables, "hf template: extra variables as name=value (e.g. enable_thinking=false)");
  section(v, "synth", synth, "synthetic task");
  section(v, "model", model, "model architecture (Hugging Face config names)");
  section(v, "init", init, "starting weights");
  section(v, "parallel", parallel, "rank layout");
  section(v, "checkpoint", checkpoint, "checkpoints and restart");
  section(v, "runtime", runtime, "kernel and transport switches (each overridable by its R1_* environment variable)");
  list(v, "stages", stages, "recipe stages, run in order");
}

void RunConfig::validate(const std::string& file) const {
  model.validate(file);
  R1_INPUT_CHECK(!stages.empty(), file, ": stages: the recipe has no stages");
  R1_INPUT_CHECK(!run_dir.empty(), file, ": run_dir: must not be empty");
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageConfig& s = stages[i];
    std::string at = file + ": stages[" + std::to_string(i) + "]";
    if (is_supervised(s.kind))
      R1_INPUT_CHECK(s.micro_batch_size <= s.batch_size, at, ".micro_batch_size: ", s.micro_batch_size,
                     " exceeds batch_size ", s.batch_size);
    if (s.kind == StageKind::grpo) {
      R1_INPUT_CHECK(!s.grpo.rewards.empty(), at, ".grpo.rewards: list at least one reward (e.g. {name: accuracy, weight: 1})");
      for (size_t r = 0; r < s.grpo.rewards.size(); ++r) rewards::make_reward(s.grpo.rewards[r]);
      R1_INPUT_CHECK(s.data.source != DataSource::previous, at,
                     ".data.source: grpo needs prompts (synth, path, or random prompts of seq_len tokens for benchmarks)");
    }
    if (s.kind == StageKind::distill) s.distill.student.validate(at + ".distill.student");
    if (s.kind == StageKind::sft && s.data.source == DataSource::previous)
      R1_INPUT_CHECK(i > 0 && (stages[i - 1].kind == StageKind::rejection_sample || stages[i - 1].kind == StageKind::distill), at,
                     ".data.source: 'previous' needs a rejection_sample stage right before this one");
    if (is_supervised(s.kind))
      R1_INPUT_CHECK(s.seq_len <= (s.kind == StageKind::distill ? s.distill.student : model).max_position_embeddings, at,
                     ".seq_len: ", s.seq_len, " exceeds the model's max_position_embeddings");
    R1_INPUT_CHECK(s.data.source != DataSource::path || !s.data.path.empty(), at, ".data.path: required when data.source is path");
    for (size_t j = 0; j < i; ++j)
      R1_INPUT_CHECK(stages[j].display_name() != s.display_name(), at, ".name: '", s.display_name(),
                     "' is used by stages[", j, "] too (give each stage a distinct name)");
  }
  for (auto& h : checkpoint.mpi_hints)
    R1_INPUT_CHECK(h.find('=') != std::string::npos && h.find('=') > 0, file, ": checkpoint.mpi_hints: '", h,
                   "' is not of the form key=value");
  R1_INPUT_CHECK(tokenizer.source != TokenizerSource::path || !tokenizer.path.empty(), file, ": tokenizer.path: required when tokenizer.source is path");
}

}  // namespace r1
