// Per-pipeline-stage memory and communication of one optimizer step (see rank_plan.hpp).
#include "model/rank_plan.hpp"

#include <algorithm>

#include "model/model_shard.hpp"

namespace r1 {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

StageMemory stage_memory(const ModelConfig& c, const GridLayout& grid, const ModelShard& shard, int64_t stage,
                         const BytesPolicy& p, const StepShape& step, const GenerationShape& gen) {
  StageMemory m;
  m.params = shard_param_count(c, shard);
  const ParamCount n = m.params.total();
  m.compute_weights = n.total * p.compute_weight;
  m.master_weights = n.total * p.master_weight;
  m.grads = n.total * p.grad;  // ParamStore allocates the gradient buffer with the values
  m.optimizer = step.trains ? n.total * p.adam_moments : 0;
  // The reference model is a second Model: its ParamStore has weights and a gradient buffer too.
  if (step.reference_model) m.reference_model = n.total * (p.weight_state() + p.grad);
  m.rope_tables = c.max_position_embeddings * c.rope_dim() * p.stat * (step.reference_model ? 2 : 1);
  if (step.trains) {
    m.saved = shard_saved(c, shard, step.tokens_per_micro_batch, step.balance_loss, step.with_mtp);
    m.activations_per_micro_batch = m.saved.total().bytes(p);
    m.in_flight = std::min(grid.pp - stage, step.micro_batches);
    m.activations = m.in_flight * m.activations_per_micro_batch;
    if (shard.has_head) {
      m.lm_head_buffer = std::min(lm_head_chunk_rows(c.vocab_size, p.device), step.tokens_per_micro_batch) * c.vocab_size * p.lm_head_logit;
      if (lm_head_saves_dlogits(step.tokens_per_micro_batch, c.vocab_size, p.device))
        m.lm_head_buffer += step.tokens_per_micro_batch * c.vocab_size * p.activation;  // softmax - onehot rows
    }
    // Optimizer-side state (master weights + moments) of each tensor sharded over its replicas.
    const int64_t expert_replicas = grid.dp / grid.ep;
    auto sharded = [&](int64_t bytes_per_param) {
      return ceil_div(n.dense() * bytes_per_param, grid.dp) + ceil_div(n.expert * bytes_per_param, expert_replicas);
    };
    const int64_t bf16_moments = 2 + 2;
    m.optimizer_zero1 = sharded(p.master_weight + p.adam_moments);
    m.optimizer_bf16_moments = n.total * (p.master_weight + bf16_moments);
    m.optimizer_zero1_bf16_moments = sharded(p.master_weight + bf16_moments);
  }
  if (gen.slots > 0) m.kv_cache = kv_cache_elements(c, shard, gen.slots, gen.capacity) * p.kv_cache;
  return m;
}

StageComm stage_comm(const ModelConfig& c, const GridLayout& grid, int64_t stage, bool embedding_on_both_ends,
                     const BytesPolicy& p, const StepShape& step, const ShardParamCount& params) {
  StageComm out;
  if (!step.trains) return out;
  const ParamCount n = params.total();
  out.grad_allreduce_dense = ring_allreduce_bytes(double(n.dense()) * double(p.grad), grid.dp);
  out.grad_allreduce_expert = ring_allreduce_bytes(double(n.expert) * double(p.grad), grid.dp / grid.ep);
  if (embedding_on_both_ends && (stage == 0 || stage == grid.pp - 1))
    out.embedding_sync = ring_allreduce_bytes(double(params.embedding.total) * double(p.grad), 2);
  const int64_t moe_layers = params.moe_layer_count + params.mtp_moe_layer_count;
  // Loads for the balancing-bias update (none without the bias: Qwen3-MoE).
  if (c.router_has_bias())
    out.router_load = ring_allreduce_bytes(double(moe_layers) * double(c.n_routed_experts) * 8.0, grid.dp);
  // One direction of one MoE layer for one micro-batch: the T*K routed copies of a hidden row, of
  // which 1/ep (on average, balanced routing) go to experts on this rank.
  const double T = double(step.tokens_per_micro_batch), d = double(c.hidden_size);
  const double exchange = T * double(c.num_experts_per_tok) * d * double(p.activation) * double(grid.ep - 1) / double(grid.ep);
  const int64_t trained_moe_layers = params.moe_layer_count + (step.with_mtp ? params.mtp_moe_layer_count : 0);
  if (c.n_routed_experts > 0)
    out.all_to_all = exchange * (4.0 * double(step.micro_batches) * double(trained_moe_layers) +
                                 2.0 * step.forward_only_micro_batches * double(params.moe_layer_count));
  const double hidden = T * d * double(p.activation);
  const double sends_forward = stage < grid.pp - 1 ? 1.0 : 0.0, sends_backward = stage > 0 ? 1.0 : 0.0;
  out.pipeline = hidden * (double(step.micro_batches) * (sends_forward + sends_backward) +
                           step.forward_only_micro_batches * sends_forward);
  return out;
}
}  // namespace

double ring_allreduce_bytes(double bytes, int64_t ranks) {
  return ranks <= 1 ? 0.0 : 2.0 * double(ranks - 1) / double(ranks) * bytes;
}

std::vector<PipelineStagePlan> plan_pipeline_stages(const ModelConfig& c, const GridLayout& grid, const BytesPolicy& policy,
                                                    const StepShape& step, const GenerationShape& gen) {
  std::vector<ModelShard> shards;
  for (int64_t s = 0; s < grid.pp; ++s)
    shards.push_back(resolve_shard(c, shard_for(grid, rank_position(grid, rank_of(grid, s, 0)))));
  const bool embedding_on_both_ends =
      grid.pp > 1 && shard_holds_embedding(shards.front(), c) && shard_holds_embedding(shards.back(), c);
  std::vector<PipelineStagePlan> out;
  for (int64_t s = 0; s < grid.pp; ++s) {
    const ModelShard& shard = shards[size_t(s)];
    PipelineStagePlan plan;
    plan.stage = s;
    plan.layer_begin = shard.layer_begin;
    plan.layer_end = shard.layer_end;
    plan.holds_embedding = shard_holds_embedding(shard, c);
    plan.has_head = shard.has_head;
    plan.local_experts = shard.experts.end - shard.experts.begin;
    plan.memory = stage_memory(c, grid, shard, s, policy, step, gen);
    plan.comm = stage_comm(c, grid, s, embedding_on_both_ends, policy, step, plan.memory.params);
    out.push_back(plan);
  }
  return out;
}

}  // namespace r1
