// Analytic forward FLOPs per token.
#include "model/model_flops.hpp"

namespace r1 {

double forward_flops_per_token(const ModelConfig& c, int64_t seq_len) {
  const double d = double(c.hidden_size), heads = double(c.num_attention_heads);
  double attn_params = 0, qk_dim = 0, v_dim = 0;
  if (c.is_mla()) {
    const double qk = double(c.qk_head_dim()), lat = double(c.kv_lora_rank), rope = double(c.qk_rope_head_dim);
    attn_params = (c.q_lora_rank > 0 ? d * double(c.q_lora_rank) + double(c.q_lora_rank) * heads * qk : d * heads * qk) +
                  d * (lat + rope) + lat * heads * double(c.qk_nope_head_dim + c.v_head_dim) + heads * double(c.v_head_dim) * d;
    qk_dim = qk;
    v_dim = double(c.v_head_dim);
  } else {
    const double hd = double(c.gqa_head_dim()), kv = double(c.num_key_value_heads);
    attn_params = d * heads * hd + 2 * d * kv * hd + heads * hd * d;
    qk_dim = v_dim = hd;
  }
  const double positions = double(seq_len + 1) / 2;
  const double attn_products = 2 * heads * (qk_dim + v_dim) * positions;
  double total = 0;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    double mlp = 0;
    if (c.is_moe_layer(l)) {
      const double experts = double(c.num_experts_per_tok + c.n_shared_experts);
      mlp = experts * 3 * d * double(c.moe_intermediate_size) + d * double(c.n_routed_experts);
    } else {
      mlp = 3 * d * double(c.intermediate_size);
    }
    total += 2 * (attn_params + mlp) + attn_products;
  }
  total += 2 * d * double(c.vocab_size);  // LM head
  return total;
}

}  // namespace r1
