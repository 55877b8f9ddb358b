// Whole-model gradients against central finite differences in float64: a DeepSeek-V3-style config
// (MLA with q compression, first dense layer, MoE with shared experts, group-limited sigmoid routing,
// the sequence balance loss, two MTP depths), dense Qwen2/Llama-style configs (GQA, q/k/v bias,
// tied embeddings), Qwen3 (per-head q/k norms, Llama-3.1 RoPE) and Qwen3-MoE (softmax top-k router
// without bias, no shared experts). Every parameter tensor gets coordinates checked; the loss is a fixed random
// projection of the per-token log-probs (main and MTP) plus the balance loss.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "common/test_support.hpp"
#include "core/rng.hpp"
#include "model/model.hpp"

using namespace r1;
using namespace r1::test;

namespace {

ModelConfig deepseek_tiny() {
  ModelConfig c;
  c.architecture = Architecture::deepseek_v3;
  c.vocab_size = 37;
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 3;
  c.q_lora_rank = 12;
  c.kv_lora_rank = 10;
  c.qk_nope_head_dim = 6;
  c.qk_rope_head_dim = 4;
  c.v_head_dim = 5;
  c.n_routed_experts = 8;
  c.n_shared_experts = 1;
  c.num_experts_per_tok = 3;
  c.moe_intermediate_size = 7;
  c.n_group = 4;
  c.topk_group = 2;
  c.routed_scaling_factor = 2.5;
  c.first_k_dense_replace = 1;
  c.seq_aux_loss_alpha = 0.01;
  c.num_nextn_predict_layers = 2;
  c.max_position_embeddings = 64;
  c.rope_scaling.type = RopeScalingType::yarn;
  c.rope_scaling.factor = 4;
  c.rope_scaling.original_max_position_embeddings = 16;
  c.rope_scaling.mscale = 0.707;
  c.rope_scaling.mscale_all_dim = 0.707;
  c.initializer_range = 0.3;
  return c;
}

ModelConfig qwen2_tiny() {
  ModelConfig c;
  c.architecture = Architecture::qwen2;
  c.vocab_size = 29;
  c.hidden_size = 16;
  c.intermediate_size = 20;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.attention_bias = true;
  c.tie_word_embeddings = true;
  c.rope_interleave = false;
  c.max_position_embeddings = 64;
  c.initializer_range = 0.3;
  return c;
}

TokenBatch random_batch(const ModelConfig& c, const std::vector<int64_t>& lengths, uint64_t seed) {
  TokenBatch b;
  CounterRng rng({seed, 99});
  b.seqs.push_back(0);
  for (int64_t len : lengths) {
    int64_t start = int64_t(b.tokens.size());
    for (int64_t i = 0; i < len; ++i) {
      b.tokens.push_back(int32_t(rng.below(uint64_t(c.vocab_size))));
      b.positions.push_back(int32_t(i + (len % 3)));  // not always starting at 0
    }
    for (int64_t i = 0; i < len; ++i) {
      bool last = i + 1 == len, masked = rng.uniform() < 0.15;
      b.targets.push_back(last || masked ? -1 : b.tokens[size_t(start + i + 1)]);
    }
    b.seqs.push_back(int64_t(b.tokens.size()));
  }
  b.aux_loss_weight = 1.0 / double(lengths.size());
  return b;
}

struct Objective {
  Tensor r;                 // [N]
  std::vector<Tensor> r_mtp;
};

double evaluate(const Model& m, const TokenBatch& b, const Objective& obj, ModelActs& acts, ModelOutput* keep = nullptr) {
  ModelOutput out = m.forward(b, acts, ForwardMode::train);
  double loss = out.aux_loss;
  auto lp = to_f64_vector(out.logp), r = to_f64_vector(obj.r);
  for (size_t i = 0; i < lp.size(); ++i) loss += lp[i] * r[i];
  for (size_t k = 0; k < out.mtp_logp.size(); ++k) {
    auto mlp = to_f64_vector(out.mtp_logp[k]), rk = to_f64_vector(obj.r_mtp[k]);
    for (size_t i = 0; i < mlp.size(); ++i) loss += mlp[i] * rk[i];
  }
  if (keep) *keep = out;
  return loss;
}

void check_model_gradients(const ModelConfig& c, const std::vector<int64_t>& lengths, uint64_t seed, int per_tensor) {
  Model m(c, DType::f64, Device::host);
  m.init_weights(seed);
  TokenBatch b = random_batch(c, lengths, seed + 1);
  Objective obj;
  obj.r = random_tensor({b.size()}, DType::f64, seed + 2);
  for (int64_t k = 0; k < c.num_nextn_predict_layers; ++k) obj.r_mtp.push_back(random_tensor({b.size()}, DType::f64, seed + 3 + k));

  ModelActs acts;
  m.params().zero_grads();
  evaluate(m, b, obj, acts);
  m.backward(acts, obj.r, obj.r_mtp);
  Tensor analytic = m.params().flat_grads().clone();

  double* w = m.params().flat_values().data<double>();
  const double* g = analytic.data<double>();
  CounterRng pick({seed, 5});
  std::vector<double> fd_all, an_all;
  int tensors_checked = 0;
  for (const ParamInfo& p : m.params().params()) {
    if (!p.trainable) continue;
    ++tensors_checked;
    std::vector<double> fd_t, an_t;
    for (int j = 0; j < per_tensor; ++j) {
      int64_t idx = p.offset + int64_t(pick.below(uint64_t(p.numel)));
      double saved = w[idx], h = 1e-5;
      ModelActs a2;
      w[idx] = saved + h;
      double lp = evaluate(m, b, obj, a2);
      w[idx] = saved - h;
      double lm = evaluate(m, b, obj, a2);
      w[idx] = saved;
      fd_t.push_back((lp - lm) / (2 * h));
      an_t.push_back(g[idx]);
    }
    double err = rel_error(an_t, fd_t);
    double scale = 0;
    for (double v : fd_t) scale = std::max(scale, std::fabs(v));
    // Tensors whose sampled gradients are ~0 are compared absolutely.
    BOOST_TEST((err < 1e-5 || scale < 1e-9), p.name << ": rel error " << err << " (max |fd| " << scale << ")");
    fd_all.insert(fd_all.end(), fd_t.begin(), fd_t.end());
    an_all.insert(an_all.end(), an_t.begin(), an_t.end());
  }
  BOOST_TEST_MESSAGE(c.architecture << ": " << tensors_checked << " tensors, overall rel error " << rel_error(an_all, fd_all));
  BOOST_TEST(rel_error(an_all, fd_all) < 1e-6);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_model_gradient)

BOOST_AUTO_TEST_CASE(deepseek_v3_moe_mla_mtp) { check_model_gradients(deepseek_tiny(), {5, 7, 3}, 11, 3); }

BOOST_AUTO_TEST_CASE(deepseek_v3_softmax_router_no_q_lora) {
  ModelConfig c = deepseek_tiny();
  c.q_lora_rank = 0;
  c.scoring_func = ScoringFunc::softmax;
  c.n_group = 1;
  c.topk_group = 1;
  c.num_nextn_predict_layers = 1;
  c.rope_scaling.type = RopeScalingType::none;
  check_model_gradients(c, {6, 4}, 21, 3);
}

BOOST_AUTO_TEST_CASE(qwen2_dense_gqa_bias_tied) { check_model_gradients(qwen2_tiny(), {5, 6, 1}, 31, 4); }

BOOST_AUTO_TEST_CASE(llama_dense_untied_linear_rope) {
  ModelConfig c = qwen2_tiny();
  c.architecture = Architecture::llama;
  c.attention_bias = false;
  c.tie_word_embeddings = false;
  c.num_key_value_heads = 1;
  c.rope_scaling.type = RopeScalingType::linear;
  c.rope_scaling.factor = 2;
  check_model_gradients(c, {7, 3}, 41, 4);
}

BOOST_AUTO_TEST_CASE(qwen3_qk_norm_bias_llama3_rope) {
  ModelConfig c = qwen2_tiny();
  c.architecture = Architecture::qwen3;
  c.head_dim = 6;  // explicit, != hidden / heads
  c.attention_bias = true;  // r1 allows q/k/v biases before the norms (transformers' Qwen3 would add o_proj's too)
  c.tie_word_embeddings = false;
  c.rope_scaling.type = RopeScalingType::llama3;
  c.rope_scaling.factor = 4;
  c.rope_scaling.original_max_position_embeddings = 16;
  c.rope_scaling.low_freq_factor = 1;
  c.rope_scaling.high_freq_factor = 4;
  c.validate("test");
  check_model_gradients(c, {6, 5, 2}, 51, 4);
}

BOOST_AUTO_TEST_CASE(qwen3_moe_softmax_router) {
  ModelConfig c = qwen2_tiny();
  c.architecture = Architecture::qwen3_moe;
  c.attention_bias = false;
  c.head_dim = 4;
  c.n_routed_experts = 6;
  c.num_experts_per_tok = 2;
  c.moe_intermediate_size = 5;
  c.scoring_func = ScoringFunc::softmax;
  c.n_shared_experts = 0;
  c.n_group = c.topk_group = 1;
  c.routed_scaling_factor = 1;
  c.seq_aux_loss_alpha = 0.01;
  for (bool norm : {true, false}) {
    BOOST_TEST_CONTEXT("norm_topk_prob " << norm) {
      c.norm_topk_prob = norm;
      c.validate("test");
      check_model_gradients(c, {5, 7}, norm ? 61 : 62, 3);
    }
  }
}

BOOST_AUTO_TEST_CASE(float32_forward_matches_float64) {
  ModelConfig c = deepseek_tiny();
  c.initializer_range = 0.1;
  Model m64(c, DType::f64, Device::host), m32(c, DType::f32, Device::host);
  m64.init_weights(3);
  m32.init_weights(3);
  TokenBatch b = random_batch(c, {9, 4}, 4);
  ModelActs a64, a32;
  ModelOutput o64 = m64.forward(b, a64, ForwardMode::train), o32 = m32.forward(b, a32, ForwardMode::train);
  BOOST_TEST(rel_error(o32.logp, o64.logp) < 1e-5);
  BOOST_TEST(rel_error(o32.mtp_logp[1], o64.mtp_logp[1]) < 1e-5);
}

BOOST_AUTO_TEST_CASE(inference_forward_equals_train_forward) {
  ModelConfig c = deepseek_tiny();
  Model m(c, DType::f64, Device::host);
  m.init_weights(8);
  TokenBatch b = random_batch(c, {6, 5}, 9);
  ModelActs at, ai;
  ModelOutput ot = m.forward(b, at, ForwardMode::train), oi = m.forward(b, ai, ForwardMode::inference);
  BOOST_TEST(rel_error(oi.logp, ot.logp) == 0.0);
  BOOST_TEST(oi.mtp_logp.empty());
}

BOOST_AUTO_TEST_SUITE_END()
