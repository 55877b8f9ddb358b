// Per-rank memory and communication of one optimizer step under a rank grid, from the analytic
// model sizes (model_plan.hpp): what `r1 plan` prints. Ranks of one pipeline stage are alike (they
// differ only in which routed experts they hold), so the plan has one entry per pipeline stage.
// Training runs 1F1B: stage s (0-based) of pp keeps min(pp - s, micro-batches) forwards in flight.
#pragma once
#include <cstdint>
#include <vector>

#include "model/memory_policy.hpp"
#include "model/model_plan.hpp"
#include "parallel/grid_layout.hpp"

namespace r1 {

// The work of one optimizer step on one pipeline (one data-parallel rank of each stage).
struct StepShape {
  bool trains = true;                 // false: a generation-only stage (no optimizer, no activations)
  int64_t tokens_per_micro_batch = 0;  // T: rows of one forward/backward on one rank
  int64_t micro_batches = 0;           // forward+backward micro-batches per optimizer step
  double forward_only_micro_batches = 0;  // extra inference forwards per optimizer step (GRPO old/reference log-probs)
  bool balance_loss = false;          // sequence-wise balance loss on (saves its router gradient)
  bool with_mtp = false;              // MTP modules run in training
  bool reference_model = false;       // GRPO with beta > 0 keeps a frozen copy of the shard
};

// Generation on one rank: `slots` sequences of up to `capacity` positions (0 slots: none).
struct GenerationShape {
  int64_t slots = 0, capacity = 0;
};

struct StageMemory {
  ShardParamCount params;
  int64_t compute_weights = 0, master_weights = 0, grads = 0, optimizer = 0;
  int64_t reference_model = 0;  // the reference model's ParamStore: weights (+ master copy) and gradient buffer
  int64_t rope_tables = 0;      // cos/sin [max_position_embeddings, rope_dim / 2] per model
  ShardSaved saved;             // per micro-batch
  int64_t activations_per_micro_batch = 0, in_flight = 0, activations = 0;
  int64_t lm_head_buffer = 0;   // the LM head's [chunk_rows, vocab] work buffer(s) and saved rows, last stage
  int64_t kv_cache = 0;
  int64_t static_bytes() const { return compute_weights + master_weights + grads + optimizer + reference_model + rope_tables; }
  int64_t training_peak() const { return static_bytes() + activations + lm_head_buffer; }
  int64_t generation_peak() const { return static_bytes() + kv_cache; }
  int64_t peak() const { return training_peak() > generation_peak() ? training_peak() : generation_peak(); }
  // Reference figures (r1 keeps a full optimizer copy per rank): optimizer state (f32 master weights + AdamW moments)
  // sharded over the data-parallel replicas of each tensor (ZeRO-1), and BF16 moments.
  int64_t optimizer_zero1 = 0, optimizer_bf16_moments = 0, optimizer_zero1_bf16_moments = 0;
};

// Bytes one rank sends per optimizer step (it receives about as much).
struct StageComm {
  double grad_allreduce_dense = 0;   // ring all-reduce of dense gradients over dp
  double grad_allreduce_expert = 0;  // ring all-reduce of expert gradients over the dp / ep replicas
  double embedding_sync = 0;         // embedding gradient shared by the first and last stage
  double router_load = 0;            // expert loads (i64) summed over dp for the balancing bias
  double all_to_all = 0;             // MoE dispatch + combine, forward and backward, leaving the rank
  double pipeline = 0;               // hidden states forward, their gradients backward
  double total() const {
    return grad_allreduce_dense + grad_allreduce_expert + embedding_sync + router_load + all_to_all + pipeline;
  }
};

struct PipelineStagePlan {
  int64_t stage = 0, layer_begin = 0, layer_end = 0;
  bool holds_embedding = false, has_head = false;
  int64_t local_experts = 0;
  StageMemory memory;
  StageComm comm;
};

std::vector<PipelineStagePlan> plan_pipeline_stages(const ModelConfig& c, const GridLayout& grid, const BytesPolicy& policy,
                                                    const StepShape& step, const GenerationShape& generation);

// Bytes each rank sends in a ring all-reduce of `bytes` over `ranks` ranks: 2 (n - 1) / n of the buffer.
double ring_allreduce_bytes(double bytes, int64_t ranks);

}  // namespace r1
