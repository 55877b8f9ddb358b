// Recipe stage -> per-rank step and generation shapes for `r1 plan`.
#include "cli/plan_shapes.hpp"

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"

namespace r1::cli {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::string short_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::string uneven_note(int64_t items, int64_t ranks, const char* what) {
  if (items % ranks == 0) return "";
  return " (" + std::to_string(items) + " " + what + " do not split evenly over dp = " + std::to_string(ranks) +
         ": planned for the ranks that get one more)";
}
}  // namespace

PlannedStages pick_planned_stages(const RunConfig& c, const std::string& stage_option, const std::string& file) {
  PlannedStages p;
  if (!stage_option.empty()) {
    for (size_t i = 0; i < c.stages.size(); ++i)
      if (c.stages[i].display_name() == stage_option || std::to_string(i) == stage_option) {
        const StageConfig& s = c.stages[i];
        if (s.trains()) p.training = &s;
        if (generates(s.kind)) p.generation = &s;
      }
    R1_INPUT_CHECK(p.training || p.generation, file, ": --stage ", stage_option,
                   ": no stage of that name or index that trains or generates");
    return p;
  }
  for (const StageConfig& s : c.stages)
    if (!p.training && (s.kind == StageKind::pretrain || s.kind == StageKind::sft || s.kind == StageKind::grpo)) p.training = &s;
  if (!p.training)
    for (const StageConfig& s : c.stages)
      if (!p.training && s.kind == StageKind::distill) p.training = &s;
  // A distill stage trains another model (the student): its plan has no generation of its own.
  if (!p.training || p.training->kind != StageKind::distill)
    for (const StageConfig& s : c.stages)
      if (!p.generation && generates(s.kind)) p.generation = &s;
  R1_INPUT_CHECK(p.training || p.generation, file, ": stages: nothing to plan (no stage trains or generates)");
  return p;
}

const ModelConfig& planned_model(const RunConfig& c, const PlannedStages& stages) {
  if (stages.training && stages.training->kind == StageKind::distill) return stages.training->distill.student;
  return c.model;
}

StepShape training_step_shape(const ModelConfig& m, const StageConfig& s, const GridLayout& g, int64_t prompt_tokens,
                              std::string& description) {
  StepShape st;
  int64_t seq_len = s.seq_len, sequences = s.batch_size;
  std::string note;
  if (s.kind == StageKind::grpo) {
    const GrpoConfig& gr = s.grpo;
    seq_len = prompt_tokens + gr.sampling.max_new_tokens;
    const int64_t rollout = gr.prompts_per_step * gr.group_size;
    sequences = ceil_div(rollout, gr.mini_batches);
    st.reference_model = gr.beta > 0;
    const int64_t passes = (gr.mu == 1 && gr.mini_batches == 1 ? 0 : 1) + (gr.beta > 0 ? 1 : 0);
    const int64_t rollout_micro_batches = ceil_div(ceil_div(rollout, g.dp), std::max<int64_t>(1, s.micro_batch_size));
    st.forward_only_micro_batches = double(passes * rollout_micro_batches) / double(gr.mu * gr.mini_batches);
    note = "; sequences of up to " + std::to_string(prompt_tokens) + " prompt + " + std::to_string(gr.sampling.max_new_tokens) +
           " completion tokens";
    if (passes > 0)
      note += "; " + std::to_string(passes) + " inference pass(es) per rollout for old" +
              (gr.beta > 0 ? std::string("/reference") : std::string()) + " log-probs";
    if (gr.beta > 0) note += "; a frozen reference model (beta " + short_number(gr.beta) + ")";
  } else {
    st.balance_loss = m.n_routed_experts > 0 && m.seq_aux_loss_alpha > 0;
    st.with_mtp = m.num_nextn_predict_layers > 0 && m.mtp_loss_weight > 0;
    if (st.with_mtp) note += "; MTP depth " + std::to_string(m.num_nextn_predict_layers);
    if (st.balance_loss) note += "; sequence-wise balance loss";
  }
  const int64_t per_rank = ceil_div(sequences, g.dp);
  const int64_t micro = std::min(s.micro_batch_size, per_rank);
  st.micro_batches = ceil_div(per_rank, micro);
  st.tokens_per_micro_batch = micro * seq_len;
  if (seq_len > m.max_position_embeddings)
    note += "; WARNING: " + std::to_string(seq_len) + " tokens exceed model.max_position_embeddings " +
            std::to_string(m.max_position_embeddings);
  description = "stage '" + s.display_name() + "' (" + to_string(s.kind) + "): " + std::to_string(sequences) + " sequences of " +
                std::to_string(seq_len) + " tokens per optimizer step, " + std::to_string(per_rank) +
                " per pipeline = " + std::to_string(st.micro_batches) + " micro-batch(es) of " + std::to_string(micro) +
                " sequence(s) (" + std::to_string(st.tokens_per_micro_batch) + " tokens)" +
                uneven_note(sequences, g.dp, "sequences") + note;
  return st;
}

GenerationShape generation_shape(const ModelConfig& m, const StageConfig& s, const GridLayout& g, int64_t prompt_tokens,
                                 std::string& description) {
  const SamplingConfig* sampling = nullptr;
  int64_t requests = 0;
  if (s.kind == StageKind::grpo) {
    sampling = &s.grpo.sampling;
    requests = s.grpo.prompts_per_step * s.grpo.group_size;
  } else if (s.kind == StageKind::eval) {
    sampling = &s.eval.sampling;
    requests = s.data.examples * s.eval.samples;
  } else {
    sampling = &s.rejection.sampling;
    requests = s.data.examples * s.rejection.samples_per_prompt;
  }
  const int64_t per_rank = ceil_div(requests, g.dp);
  GenerationShape gen;
  // sampling.batch 0: every completion at once (a run caps it by the device memory left; the plan
  // shows the whole demand, so --memory-gib tells whether it fits).
  gen.slots = std::max<int64_t>(1, sampling->batch > 0 ? std::min(sampling->batch, per_rank) : per_rank);
  gen.capacity = prompt_tokens + sampling->max_new_tokens;
  description = "stage '" + s.display_name() + "' (" + to_string(s.kind) + "): " + std::to_string(gen.slots) +
                " sequences decoded together per rank (sampling.batch " +
                (sampling->batch > 0 ? std::to_string(sampling->batch) : std::string("0: all")) + ", " +
                std::to_string(per_rank) + " completions per pipeline) x " + std::to_string(gen.capacity) +
                " cached positions (" + std::to_string(prompt_tokens) + " prompt + " +
                std::to_string(sampling->max_new_tokens) + " new)";
  if (gen.capacity > m.max_position_embeddings)
    description += "; WARNING: exceeds model.max_position_embeddings " + std::to_string(m.max_position_embeddings);
  return gen;
}

}  // namespace r1::cli
