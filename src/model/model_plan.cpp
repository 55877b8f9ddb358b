// Parameter, saved-activation and KV-cache counts of a model shard, module by module. Each function
// follows the constructor / forward it names; keep them in step (test_model_plan compares them).
#include "model/model_plan.hpp"

#include <algorithm>

#include "model/model_shard.hpp"

namespace r1 {

namespace {
ParamCount weights(int64_t n) { return ParamCount{n, n, 0}; }
ParamCount expert_weights(int64_t n) { return ParamCount{n, n, n}; }
ParamCount buffer(int64_t n) { return ParamCount{n, 0, 0}; }

SavedElements values(int64_t n) { return SavedElements{n, 0, 0, 0}; }
SavedElements stats(int64_t n) { return SavedElements{0, n, 0, 0}; }
SavedElements indices(int64_t n) { return SavedElements{0, 0, n, 0}; }
SavedElements host_bytes(int64_t n) { return SavedElements{0, 0, 0, n}; }

int64_t local_expert_count(const ModelShard& s) { return s.experts.end - s.experts.begin; }
}  // namespace

ParamCount& ParamCount::operator+=(const ParamCount& o) {
  total += o.total;
  trainable += o.trainable;
  expert += o.expert;
  return *this;
}
ParamCount operator+(ParamCount a, const ParamCount& b) { return a += b; }

// attention_mla.cpp / attention_gqa.cpp constructors.
ParamCount attention_param_count(const ModelConfig& c) {
  const int64_t d = c.hidden_size, heads = c.num_attention_heads;
  ParamCount p;
  if (c.is_mla()) {
    const int64_t qk = c.qk_head_dim(), kv_rank = c.kv_lora_rank, rope = c.qk_rope_head_dim;
    if (c.q_lora_rank > 0) {
      p += weights(c.q_lora_rank * d);             // q_a_proj [q_rank, d]
      p += weights(c.q_lora_rank);                 // q_a_layernorm
      p += weights(heads * qk * c.q_lora_rank);    // q_b_proj [H qk, q_rank]
    } else {
      p += weights(heads * qk * d);                // q_proj [H qk, d]
    }
    p += weights((kv_rank + rope) * d);                                  // kv_a_proj_with_mqa
    p += weights(kv_rank);                                               // kv_a_layernorm
    p += weights(heads * (c.qk_nope_head_dim + c.v_head_dim) * kv_rank);  // kv_b_proj
    p += weights(d * heads * c.v_head_dim);                              // o_proj
    return p;
  }
  const int64_t head_dim = c.gqa_head_dim(), kv_heads = c.num_key_value_heads;
  p += weights(heads * head_dim * d);         // q_proj
  p += weights(2 * kv_heads * head_dim * d);  // k_proj, v_proj
  if (c.attention_bias) p += weights(heads * head_dim + 2 * kv_heads * head_dim);
  p += weights(d * heads * head_dim);         // o_proj
  if (c.has_qk_norm()) p += weights(2 * head_dim);  // q_norm, k_norm (Qwen3)
  return p;
}

// ffn_dense.cpp (SwigluMlp) / ffn_moe.cpp constructors.
ParamCount ffn_param_count(const ModelConfig& c, int64_t layer, int64_t local_experts) {
  const int64_t d = c.hidden_size;
  if (!c.is_moe_layer(layer)) return weights(3 * c.intermediate_size * d);  // gate, up, down
  const int64_t experts = c.n_routed_experts, inner = c.moe_intermediate_size;
  ParamCount p = weights(experts * d);                     // gate.weight
  if (c.router_has_bias()) p += buffer(experts);           // gate.e_score_correction_bias
  p += expert_weights(local_experts * 3 * inner * d);      // experts.{e}.gate_proj / up_proj / down_proj
  if (c.n_shared_experts > 0) p += weights(3 * inner * c.n_shared_experts * d);  // shared_experts
  return p;
}

// decoder_layer.cpp constructor: input_layernorm, attention, post_attention_layernorm, FFN.
ParamCount decoder_layer_param_count(const ModelConfig& c, int64_t layer, int64_t local_experts) {
  return weights(2 * c.hidden_size) + attention_param_count(c) + ffn_param_count(c, layer, local_experts);
}

ModelShard resolve_shard(const ModelConfig& c, ModelShard s) {
  if (s.layer_end < 0) s.layer_end = c.num_hidden_layers;
  if (s.experts.end < 0) s.experts.end = c.n_routed_experts;
  return s;
}

// model.cpp constructor.
ShardParamCount shard_param_count(const ModelConfig& c, const ModelShard& shard) {
  const ModelShard s = resolve_shard(c, shard);
  const int64_t d = c.hidden_size, vocab = c.vocab_size, experts = local_expert_count(s);
  ShardParamCount out;
  if (shard_holds_embedding(s, c)) out.embedding = weights(vocab * d);
  for (int64_t l = s.layer_begin; l < s.layer_end; ++l) {
    if (c.is_moe_layer(l)) {
      out.moe_layers += decoder_layer_param_count(c, l, experts);
      ++out.moe_layer_count;
    } else {
      out.dense_layers += decoder_layer_param_count(c, l, experts);
      ++out.dense_layer_count;
    }
  }
  if (s.has_head) {
    out.head = weights(d);                                  // model.norm
    if (!c.tie_word_embeddings) out.head += weights(vocab * d);  // lm_head
    for (int64_t k = 1; k <= c.num_nextn_predict_layers; ++k) {
      const int64_t index = c.num_hidden_layers + k - 1;
      out.mtp += weights(2 * d);      // enorm, hnorm
      out.mtp += weights(2 * d * d);  // eh_proj [d, 2d]
      out.mtp += decoder_layer_param_count(c, index, experts);
      out.mtp += weights(d);          // shared_head.norm
      out.mtp_moe_layer_count += c.is_moe_layer(index);
    }
  }
  return out;
}

int64_t activated_param_count(const ModelConfig& c) {
  ModelConfig main = c;
  main.num_nextn_predict_layers = 0;
  ModelShard top_k;
  top_k.experts = ExpertRange{0, c.n_routed_experts > 0 ? c.num_experts_per_tok : 0};
  return shard_param_count(main, top_k).total().total;
}

SavedElements& SavedElements::operator+=(const SavedElements& o) {
  values += o.values;
  stats += o.stats;
  indices += o.indices;
  host_bytes += o.host_bytes;
  return *this;
}
SavedElements operator+(SavedElements a, const SavedElements& b) { return a += b; }
SavedElements operator*(SavedElements a, int64_t k) {
  a.values *= k;
  a.stats *= k;
  a.indices *= k;
  a.host_bytes *= k;
  return a;
}

int64_t SavedElements::bytes(const BytesPolicy& p) const {
  return values * p.activation + stats * p.stat + indices * p.index + (p.host_vectors_count ? host_bytes : 0);
}

// MlaAttention::forward / GqaAttention::forward: what AttentionActs keeps (its x is the layer's h1).
SavedElements attention_saved(const ModelConfig& c, int64_t n) {
  const int64_t heads = c.num_attention_heads;
  SavedElements s;
  if (c.is_mla()) {
    const int64_t qk = c.qk_head_dim(), v = c.v_head_dim;
    if (c.q_lora_rank > 0) s += values(2 * n * c.q_lora_rank) + stats(n);  // cq, cq_normed, cq_rstd
    s += values(2 * n * c.kv_lora_rank) + stats(n);                         // ckv, ckv_normed, ckv_rstd
    s += values(2 * n * heads * qk);                                        // q, k (roped)
    s += values(2 * n * heads * v);                                         // v, attn
  } else {
    const int64_t head_dim = c.gqa_head_dim(), kv_heads = c.num_key_value_heads;
    s += values(2 * n * heads * head_dim);     // q, attn
    s += values(2 * n * kv_heads * head_dim);  // k, v
    // Qwen3: q_pre, k_pre and their norms' rstd
    if (c.has_qk_norm()) s += values(n * (heads + kv_heads) * head_dim) + stats(n * (heads + kv_heads));
  }
  s += stats(n * heads);  // lse
  return s;
}

// SwigluMlp::forward / MoeFeedForward::forward: what FfnActs keeps (its x is the layer's h2).
SavedElements ffn_saved(const ModelConfig& c, int64_t layer, int64_t n, bool balance_loss, int64_t local_experts) {
  if (!c.is_moe_layer(layer)) return values(3 * n * c.intermediate_size);  // gate_up [N, 2I], h [N, I]
  const int64_t d = c.hidden_size, experts = c.n_routed_experts, k = c.num_experts_per_tok;
  const int64_t inner = c.moe_intermediate_size, rows = n * k;
  // Rows this rank's experts process: its own N K without expert parallelism; with it, the rows
  // dispatched to it, N K on average under balanced routing.
  const int64_t received = rows;
  SavedElements s = stats(n * experts + n * k) + indices(n * k);  // scores, topk_w, topk_idx
  s += indices(2 * rows);                                          // MoeRouting's row_token, slot_row
  if (balance_loss) s += stats(n * experts);                       // dlogits_aux
  s += values(received * (d + 3 * inner));                          // x_local [R, d], gate_up_p [R, 2I], h_p [R, I]
  s += values(rows * d);                                            // y_p [N K, d]
  if (c.n_shared_experts > 0) s += values(3 * n * inner * c.n_shared_experts);  // shared gate_up, h
  // Host: MoeRouting's expert_offsets (i64), expert_load (i64) and the local experts' row offsets (i64).
  s += host_bytes(8 * (experts + 1) + 8 * experts);
  if (local_experts >= experts) return s + host_bytes(8 * (experts + 1));
  // ExpertExchangePlan: to_expert_major / to_source_major (i32 [R]) on the device; send/recv row
  // counts per group rank and local offsets (held by the plan and by FfnActs) on the host.
  const int64_t group = experts / local_experts;
  return s + indices(2 * received) + host_bytes(2 * 8 * group + 2 * 8 * (local_experts + 1));
}

// DecoderLayer::forward: x, h1, x2, h2, rstd1, rstd2, then the attention and FFN records.
SavedElements decoder_layer_saved(const ModelConfig& c, int64_t layer, int64_t n, bool balance_loss,
                                  int64_t local_experts) {
  return values(4 * n * c.hidden_size) + stats(2 * n) + attention_saved(c, n) +
         ffn_saved(c, layer, n, balance_loss, local_experts);
}

// Model::prepare, run_layers and head.
ShardSaved shard_saved(const ModelConfig& c, const ModelShard& shard, int64_t n, bool balance_loss, bool with_mtp) {
  const ModelShard s = resolve_shard(c, shard);
  const int64_t d = c.hidden_size, experts = local_expert_count(s);
  ShardSaved out;
  out.batch = indices(3 * n);  // token_ids, targets, layout.positions
  for (int64_t l = s.layer_begin; l < s.layer_end; ++l) out.layers += decoder_layer_saved(c, l, n, balance_loss, experts);
  if (!s.has_head) return out;
  out.head = values(2 * n * d) + stats(2 * n);  // h_final (the last layer's output), h_normed; final_rstd, lse
  if (!with_mtp) return out;
  for (int64_t k = 1; k <= c.num_nextn_predict_layers; ++k) {
    // emb_ids, targets; emb, e_normed, h_normed, joined [N, 2d], out, out_normed; e_rstd, h_rstd,
    // out_rstd, lse (h_in is the previous depth's output, held already); then the block's record.
    out.mtp += indices(2 * n) + values(7 * n * d) + stats(4 * n);
    out.mtp += decoder_layer_saved(c, c.num_hidden_layers + k - 1, n, balance_loss, experts);
  }
  return out;
}

int64_t lm_head_chunk_rows(int64_t vocab, Device device) {
  // Host: ~32 MB of f32 logits per chunk (cache-sized work, host memory is shared by the ranks).
  // GPU: 256M logits (1 GiB f32 + 0.5 GiB bf16 dlogits): the weight gradient dw[V, d] += dlogits^T h is
  // read and written once per chunk, so few large chunks keep that traffic small next to the GEMMs.
  const int64_t budget = device == Device::cuda ? (int64_t(256) << 20) : (int64_t(8) << 20);
  return std::max<int64_t>(1, budget / std::max<int64_t>(1, vocab));
}

bool lm_head_saves_dlogits(int64_t tokens, int64_t vocab, Device device) {
  // GPU: softmax - onehot for every row of a micro-batch (bf16) when it fits 3G elements (6 GiB):
  // the backward then skips the second logits GEMM and the f32 logits traffic, and reads and writes
  // the f32 head gradient once instead of once per chunk. Host: memory is the ranks' shared RAM.
  return device == Device::cuda && tokens * vocab <= (int64_t(3) << 30);
}

int64_t kv_cache_elements_per_position(const ModelConfig& c) {
  if (c.is_mla()) return c.kv_lora_rank + c.qk_rope_head_dim;
  return 2 * c.num_key_value_heads * c.gqa_head_dim();
}

int64_t kv_cache_elements(const ModelConfig& c, const ModelShard& shard, int64_t slots, int64_t capacity) {
  const ModelShard s = resolve_shard(c, shard);
  return (s.layer_end - s.layer_begin) * slots * capacity * kv_cache_elements_per_position(c);
}

}  // namespace r1
