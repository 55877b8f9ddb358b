// Analytic sizes of a model shard, computed from ModelConfig + ModelShard without building anything
// (so a 671B model can be planned on a laptop):
//   - parameter counts per module, mirroring the declarations of attention_gqa.cpp,
//     attention_mla.cpp, ffn_dense.cpp, ffn_moe.cpp, decoder_layer.cpp and model.cpp exactly;
//   - the elements a training forward saves for its backward per micro-batch of T tokens (the
//     tensors held in ModelActs / LayerActs / AttentionActs / FfnActs / MlpActs / MtpActs);
//   - KV-cache elements for generation (Model::make_kv_cache).
// tests/unit/test_model_plan.cpp checks all three against real Model instances.
#pragma once
#include <cstdint>

#include "model/memory_policy.hpp"
#include "model/model.hpp"

namespace r1 {

struct ParamCount {
  int64_t total = 0;      // elements in the flat parameter buffer (ParamStore::numel())
  int64_t trainable = 0;  // updated by AdamW (the rest: each MoE router's e_score_correction_bias)
  int64_t expert = 0;     // ParamGroup::expert (routed experts); total - expert is ParamGroup::dense
  int64_t dense() const { return total - expert; }
  ParamCount& operator+=(const ParamCount& o);
};
ParamCount operator+(ParamCount a, const ParamCount& b);

ParamCount attention_param_count(const ModelConfig& c);
// `local_experts`: routed experts of the layer held by the shard (ignored for dense layers).
ParamCount ffn_param_count(const ModelConfig& c, int64_t layer, int64_t local_experts);
ParamCount decoder_layer_param_count(const ModelConfig& c, int64_t layer, int64_t local_experts);

struct ShardParamCount {
  ParamCount embedding;     // model.embed_tokens (shard_holds_embedding)
  ParamCount dense_layers;  // decoder layers with a dense SwiGLU FFN
  ParamCount moe_layers;    // decoder layers with an MoE FFN
  ParamCount head;          // model.norm + lm_head (no lm_head when tied)
  ParamCount mtp;           // MTP modules: enorm, hnorm, eh_proj, block, shared_head.norm
  int64_t dense_layer_count = 0, moe_layer_count = 0, mtp_moe_layer_count = 0;
  ParamCount total() const { return embedding + dense_layers + moe_layers + head + mtp; }
};

// The shard with its defaults resolved (layer_end -1 = all layers, experts.end -1 = all experts).
ModelShard resolve_shard(const ModelConfig& c, ModelShard shard);
ShardParamCount shard_param_count(const ModelConfig& c, const ModelShard& shard);
// Parameters one token passes through in the main model (top-k routed experts per MoE layer, no MTP):
// DeepSeek-V3's "activated parameters".
int64_t activated_param_count(const ModelConfig& c);

// Elements saved for the backward, by storage class (a BytesPolicy gives each its size).
struct SavedElements {
  int64_t values = 0;      // hidden states, q/k/v, attention outputs, MLP intermediates
  int64_t stats = 0;       // rstd, lse, router scores / top-k weights / balance-loss gradient
  int64_t indices = 0;     // i32 on the model's device: token ids, targets, positions, top-k expert ids
  int64_t host_bytes = 0;  // host-side vectors (MoE routing tables, expert loads), in bytes
  SavedElements& operator+=(const SavedElements& o);
  int64_t bytes(const BytesPolicy& p) const;
};
SavedElements operator+(SavedElements a, const SavedElements& b);
SavedElements operator*(SavedElements a, int64_t k);

SavedElements attention_saved(const ModelConfig& c, int64_t tokens);
// `balance_loss`: the sequence-wise balance loss is on (seq_aux_loss_alpha > 0 and the batch weighs it).
// `local_experts` < n_routed_experts: expert parallelism (its exchange plan is saved too; the rows a
// rank's experts receive are counted at their balanced-routing mean, N * top_k).
SavedElements ffn_saved(const ModelConfig& c, int64_t layer, int64_t tokens, bool balance_loss, int64_t local_experts);
SavedElements decoder_layer_saved(const ModelConfig& c, int64_t layer, int64_t tokens, bool balance_loss,
                                  int64_t local_experts);

struct ShardSaved {
  SavedElements batch;   // token ids, targets, positions
  SavedElements layers;  // the shard's decoder layers
  SavedElements head;    // final norm input/output, rstd, lse
  SavedElements mtp;     // MTP modules (when they run)
  SavedElements total() const { return batch + layers + head + mtp; }
};
// One training micro-batch of `tokens` rows through the shard's stage pieces (prepare, embed,
// run_layers, head with MTP when `with_mtp`).
ShardSaved shard_saved(const ModelConfig& c, const ModelShard& shard, int64_t tokens, bool balance_loss, bool with_mtp);

// Rows of the LM head processed at once (Model's rule, here so `r1 plan` counts the same buffer):
// its [rows, vocab] work buffer fits a per-device budget.
int64_t lm_head_chunk_rows(int64_t vocab, Device device);
// Whether a training forward keeps the LM head's softmax - onehot rows [tokens, vocab] for the backward.
bool lm_head_saves_dlogits(int64_t tokens, int64_t vocab, Device device);

// Cached elements per position per decoder layer: MLA kv_lora_rank + qk_rope_head_dim (latent and
// rotary key); GQA 2 * num_key_value_heads * head_dim.
int64_t kv_cache_elements_per_position(const ModelConfig& c);
// Model::make_kv_cache(slots, capacity) on the shard: its decoder layers only (not MTP).
int64_t kv_cache_elements(const ModelConfig& c, const ModelShard& shard, int64_t slots, int64_t capacity);

}  // namespace r1
