// Distillation: teacher traces, then student SFT. On a restart inside the stage the student is
// already the restored current model and the traces are reloaded from the file the stage wrote.
#include "rl/stages/distill_stage.hpp"
#include "io/hf/hf_rank_weights.hpp"

#include "core/log.hpp"
#include "core/rng.hpp"
#include "rl/data/file_dataset.hpp"
#include "rl/data/synth_datasets.hpp"
#include "rl/model_factory.hpp"
#include "rl/run_checkpoint.hpp"
#include "rl/sft_dataset_output.hpp"
#include "rl/stages/rejection_stage.hpp"
#include "rl/stages/sft_stage.hpp"

namespace r1 {

void run_distill_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts) {
  const std::string name = stage.display_name();
  std::vector<Example> traces;
  const bool resuming = resume_for_current_stage(ctx) != nullptr;
  if (resuming) {
    const std::string& path = ctx.state.stage.distill.traces;
    R1_INPUT_CHECK(!path.empty(), ctx.state.resume->path, ": distill stage state names no traces file");
    traces = load_dataset_examples(ctx.policy.tokenizer, path);
    const bool pretraining = ctx.state.stage.distill.phase == DistillPhase::student_pretrain;
    log_info(name, ": resuming the student (", pretraining ? "student_pretrain" : "sft", ") with ", traces.size(),
             " traces from ", path);
  } else {
    const uint64_t seed = hash_words({uint64_t(ctx.run.config.seed), hash_string(name)});
    RejectionStats st;
    traces = rejection_sample(ctx, *ctx.policy.model, prompts, stage.distill.traces, seed, &st);
    R1_INPUT_CHECK(!traces.empty(), ctx.run.config_file, ": stage '", name, "': the teacher produced no accepted trace (",
                   st.samples, " sampled)");
    std::string path = write_sft_dataset(ctx, stage, stage.distill.traces.output, traces);
    ctx.state.stage.distill.traces = path;
    ctx.run.metrics.write({{"stage", name}, {"kind", "distill"}, {"step", ctx.state.global_step}, {"distill/traces", st.kept},
                       {"distill/samples", st.samples}, {"distill/dataset", path}});
    ModelConfig sc = stage.distill.student;
    if (sc.vocab_size == 0) sc.vocab_size = ctx.policy.tokenizer.vocab_size();
    R1_INPUT_CHECK(sc.vocab_size >= ctx.policy.tokenizer.vocab_size(), ctx.run.config_file, ": stages '", name,
                   "'.distill.student.vocab_size: smaller than the tokenizer's vocabulary");
    auto student = make_rank_model(ctx, sc);
    if (!sc.from_hf.empty()) {  // a pretrained student (R1-Distill's Qwen2.5 / Llama-3 bases)
      R1_INPUT_CHECK(sc.vocab_size >= ctx.policy.tokenizer.vocab_size(), sc.from_hf, "/config.json: vocab_size: the student has ",
                     sc.vocab_size, " embedding rows but the run's tokenizer has ids up to ", ctx.policy.tokenizer.vocab_size() - 1);
      load_hf_rank_weights(HfModelSource::open(sc.from_hf), *student, ctx.run.world, VocabularyGrowth::exact);
      log_info(name, ": student weights from the Hugging Face folder ", sc.from_hf);
    } else {
      student->init_weights(seed);
    }
    log_info(name, ": ", st.kept, " teacher traces of ", st.samples, " -> ", path, "; student ", sc.architecture, ", ",
             format_count(double(student->params().numel())), " parameters");
    ctx.policy.model = std::move(student);
    ctx.policy.model_name = "student";
    ctx.state.stage.distill.phase = stage.distill.student_pretrain_steps > 0 ? DistillPhase::student_pretrain : DistillPhase::sft;
  }
  // The student's own pretraining first (restartable like any stage: its steps are checkpointed with
  // phase "student_pretrain"), then SFT on the teacher's traces.
  if (ctx.state.stage.distill.phase == DistillPhase::student_pretrain) {
    StageConfig pre = stage;
    pre.kind = StageKind::pretrain;
    pre.name = name + "_student_pretrain";
    pre.steps = stage.distill.student_pretrain_steps;
    std::vector<Example> docs = synth_pretrain_documents(ctx.run.config.synth, uint64_t(ctx.run.config.seed),
                                                         stage.distill.student_pretrain_examples, ctx.policy.tokenizer);
    run_sft_stage(ctx, pre, docs);
    ctx.state.stage.distill.phase = DistillPhase::sft;
    ctx.state.resume.reset();
  }
  run_sft_stage(ctx, stage, traces);
}

}  // namespace r1
