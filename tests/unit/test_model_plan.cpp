// The analytic model plan (model/model_plan.hpp) against real r1::Model instances: parameter counts
// per module and per shard (whole model, uneven pipeline stages, expert shards) equal the
// ParamStore's declarations exactly; the saved-activation count of a training forward equals the
// bytes of the distinct tensors left in ModelActs (walked after a real forward); KV-cache elements
// equal Model::make_kv_cache(...).bytes(). Also: the DeepSeek-V3 671B configuration against the
// published totals (671B main model, 685B with MTP, 37B activated).
#include <boost/test/unit_test.hpp>

#include <map>
#include <stdexcept>

#include "core/rng.hpp"
#include "model/model_plan.hpp"
#include "model/model_shard.hpp"
#include "model/rank_plan.hpp"
#include "parallel/tensor_comm.hpp"

using namespace r1;

namespace {

// An expert-parallel transport that only reports its group size: enough to construct an expert
// shard (construction and make_kv_cache do not communicate); any traffic is an error.
class SizeOnlyComm final : public TensorComm {
 public:
  explicit SizeOnlyComm(int size) : size_(size) {}
  int rank() const override { return 0; }
  int size() const override { return size_; }
  void all_reduce_sum(Tensor&) override { fail(); }
  void all_to_all_rows(const Tensor&, const std::vector<int64_t>&, Tensor&, const std::vector<int64_t>&) override { fail(); }
  void exchange(const Tensor&, int, Tensor&, int) override { fail(); }
  void broadcast(Tensor&, int) override { fail(); }

 private:
  [[noreturn]] static void fail() { throw std::logic_error("SizeOnlyComm: a plan test must not communicate"); }
  int size_;
};

ModelConfig deepseek_tiny(bool q_lora, int64_t mtp_depth) {
  ModelConfig c;
  c.architecture = Architecture::deepseek_v3;
  c.vocab_size = 41;
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 4;
  c.num_attention_heads = 3;
  c.q_lora_rank = q_lora ? 12 : 0;
  c.kv_lora_rank = 10;
  c.qk_nope_head_dim = 6;
  c.qk_rope_head_dim = 4;
  c.v_head_dim = 5;
  c.n_routed_experts = 8;
  c.n_shared_experts = q_lora ? 1 : 2;
  c.num_experts_per_tok = 3;
  c.moe_intermediate_size = 7;
  c.n_group = 4;
  c.topk_group = 2;
  c.first_k_dense_replace = q_lora ? 1 : 2;
  c.num_nextn_predict_layers = mtp_depth;
  c.max_position_embeddings = 32;
  return c;
}

ModelConfig qwen2_tiny(bool tied) {
  ModelConfig c;
  c.architecture = Architecture::qwen2;
  c.vocab_size = 29;
  c.hidden_size = 16;
  c.intermediate_size = 20;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = tied ? 0 : 6;
  c.attention_bias = tied;
  c.tie_word_embeddings = tied;
  c.rope_interleave = false;
  c.max_position_embeddings = 32;
  return c;
}

// Parts of the declared parameters, by Hugging Face name, as the plan groups them.
struct DeclaredParts {
  int64_t total = 0, trainable = 0, expert = 0;
  std::map<std::string, int64_t> part;  // embedding, dense_layers, moe_layers, head, mtp
};

DeclaredParts declared(const Model& m) {
  const ModelConfig& c = m.config();
  DeclaredParts d;
  for (const ParamInfo& p : m.params().params()) {
    d.total += p.numel;
    d.trainable += p.trainable ? p.numel : 0;
    d.expert += p.group == ParamGroup::expert ? p.numel : 0;
    std::string part;
    if (p.name == "model.embed_tokens.weight") {
      part = "embedding";
    } else if (p.name == "model.norm.weight" || p.name == "lm_head.weight") {
      part = "head";
    } else {
      const std::string prefix = "model.layers.";
      BOOST_REQUIRE(p.name.rfind(prefix, 0) == 0);
      const int64_t layer = std::stoll(p.name.substr(prefix.size()));
      part = layer >= c.num_hidden_layers ? "mtp" : (c.is_moe_layer(layer) ? "moe_layers" : "dense_layers");
    }
    d.part[part] += p.numel;
  }
  return d;
}

void check_shard(const ModelConfig& c, const ModelShard& shard, const std::string& label, TensorComm* ep = nullptr) {
  BOOST_TEST_CONTEXT(label) {
    Model m(c, DType::f32, Device::host, shard, ep);
    DeclaredParts d = declared(m);
    const ShardParamCount plan = shard_param_count(c, shard);
    BOOST_TEST(plan.total().total == m.params().numel());
    BOOST_TEST(plan.total().total == d.total);
    BOOST_TEST(plan.total().trainable == d.trainable);
    BOOST_TEST(plan.total().expert == d.expert);
    BOOST_TEST(plan.embedding.total == d.part["embedding"]);
    BOOST_TEST(plan.dense_layers.total == d.part["dense_layers"]);
    BOOST_TEST(plan.moe_layers.total == d.part["moe_layers"]);
    BOOST_TEST(plan.head.total == d.part["head"]);
    BOOST_TEST(plan.mtp.total == d.part["mtp"]);
    for (auto [slots, capacity] : {std::pair<int64_t, int64_t>{1, 1}, {3, 10}, {2, c.max_position_embeddings}}) {
      const int64_t cache = m.make_kv_cache(slots, capacity).bytes();
      BOOST_TEST(kv_cache_elements(c, shard, slots, capacity) * int64_t(sizeof(float)) == cache);
    }
  }
}

GridLayout grid(const ModelConfig& c, int64_t world, int64_t pp, int64_t ep, const std::vector<int64_t>& layers) {
  return make_grid_layout(world, pp, ep, c.num_hidden_layers, c.n_routed_experts, layers, "test");
}

ModelShard shard_of_rank(const GridLayout& g, int64_t rank) { return shard_for(g, rank_position(g, rank)); }

// Whole model; stages 0 and 1 of pp = 2 with layers split 1 + rest.
void check_pipeline_shards(const ModelConfig& c, const std::string& name) {
  check_shard(c, ModelShard{}, name + " whole");
  const GridLayout g = grid(c, 2, 2, 1, {1, c.num_hidden_layers - 1});
  check_shard(c, shard_of_rank(g, 0), name + " stage 0 of pp 2 (1 layer)");
  check_shard(c, shard_of_rank(g, 1), name + " stage 1 of pp 2 (the rest, head)");
}

TokenBatch random_batch(const ModelConfig& c, const std::vector<int64_t>& lengths, uint64_t seed) {
  TokenBatch b;
  CounterRng rng({seed, 5});
  b.seqs.push_back(0);
  for (int64_t len : lengths) {
    for (int64_t i = 0; i < len; ++i) {
      b.tokens.push_back(int32_t(rng.below(uint64_t(c.vocab_size))));
      b.positions.push_back(int32_t(i));
    }
    for (int64_t i = 0; i < len; ++i) b.targets.push_back(i + 1 < len ? b.tokens[b.tokens.size() - size_t(len - i - 1)] : -1);
    b.seqs.push_back(int32_t(b.tokens.size()));
  }
  return b;
}

// Bytes of the distinct tensors held by a ModelActs (views of one storage counted once) and of the
// host-side routing vectors.
struct HeldBytes {
  std::vector<Tensor> tensors;
  int64_t host = 0;
  void add(const Tensor& t) {
    if (t.defined()) tensors.push_back(t);
  }
  void add(const MlpActs& a) {
    add(a.x);
    add(a.gate_up);
    add(a.h);
  }
  void add(const LayerActs& a) {
    for (const Tensor* t : {&a.x, &a.h1, &a.rstd1, &a.x2, &a.h2, &a.rstd2}) add(*t);
    const AttentionActs& at = a.attn;
    for (const Tensor* t : {&at.x, &at.q, &at.k, &at.v, &at.attn, &at.lse, &at.cq, &at.cq_normed, &at.cq_rstd, &at.ckv,
                            &at.ckv_normed, &at.ckv_rstd, &at.q_pre, &at.k_pre, &at.q_rstd, &at.k_rstd})
      add(*t);
    const FfnActs& f = a.ffn;
    add(f.dense);
    for (const Tensor* t : {&f.x, &f.scores, &f.topk_idx, &f.topk_w, &f.x_local, &f.gate_up_p, &f.h_p, &f.y_p,
                            &f.dlogits_aux, &f.routing.row_token, &f.routing.slot_row, &f.exchange.to_expert_major,
                            &f.exchange.to_source_major})
      add(*t);
    host += int64_t(f.routing.expert_offsets.size() * sizeof(int64_t) + f.expert_load.size() * sizeof(int64_t) +
                    f.local_offsets.size() * sizeof(int64_t));
    host += int64_t((f.exchange.send_rows.size() + f.exchange.recv_rows.size() + f.exchange.local_offsets.size()) *
                    sizeof(int64_t));
  }
  void add(const ModelActs& a) {
    add(a.layout.positions);
    add(a.token_ids);
    add(a.targets);
    for (const LayerActs& l : a.layers) add(l);
    for (const Tensor* t : {&a.h_final, &a.h_normed, &a.final_rstd, &a.lse}) add(*t);
    for (const MtpActs& m : a.mtp) {
      for (const Tensor* t : {&m.emb_ids, &m.emb, &m.e_normed, &m.e_rstd, &m.h_in, &m.h_normed, &m.h_rstd, &m.joined,
                              &m.out, &m.out_normed, &m.out_rstd, &m.targets, &m.lse})
        add(*t);
      add(m.block);
    }
  }
  int64_t device_bytes() const {
    int64_t total = 0;
    std::vector<bool> counted(tensors.size(), false);
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (counted[i]) continue;
      size_t largest = tensors[i].nbytes();
      for (size_t j = i + 1; j < tensors.size(); ++j)
        if (!counted[j] && tensors[j].same_storage(tensors[i])) {
          counted[j] = true;
          largest = std::max(largest, tensors[j].nbytes());
        }
      total += int64_t(largest);
    }
    return total;
  }
};

void check_saved(const ModelConfig& c, const ModelShard& shard, const ModelActs& acts, int64_t tokens, bool balance_loss,
                 bool with_mtp, const std::string& label) {
  BOOST_TEST_CONTEXT(label) {
    HeldBytes held;
    held.add(acts);
    const SavedElements plan = shard_saved(c, shard, tokens, balance_loss, with_mtp).total();
    BOOST_TEST((plan.values + plan.stats + plan.indices) * 4 == held.device_bytes());
    BOOST_TEST(plan.host_bytes == held.host);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_model_plan)

// Qwen3 (q/k norms) and Qwen3-MoE (experts on every layer, no router bias, no shared experts).
ModelConfig qwen3_tiny(bool moe) {
  ModelConfig c = qwen2_tiny(false);
  c.architecture = moe ? Architecture::qwen3_moe : Architecture::qwen3;
  c.attention_bias = false;
  if (moe) {
    c.n_routed_experts = 4;
    c.num_experts_per_tok = 2;
    c.moe_intermediate_size = 6;
    c.scoring_func = ScoringFunc::softmax;
    c.n_shared_experts = 0;
  }
  c.validate("test");
  return c;
}

BOOST_AUTO_TEST_CASE(parameter_counts_and_kv_cache_match_the_declarations) {
  check_pipeline_shards(qwen3_tiny(false), "qwen3");
  check_pipeline_shards(qwen3_tiny(true), "qwen3_moe");
  for (int64_t mtp : {1, 2}) {
    check_pipeline_shards(deepseek_tiny(true, mtp), "deepseek q_lora mtp " + std::to_string(mtp));
    check_pipeline_shards(deepseek_tiny(false, mtp), "deepseek no q_lora, 2 shared, mtp " + std::to_string(mtp));
  }
  ModelConfig no_mtp = deepseek_tiny(true, 0);
  check_pipeline_shards(no_mtp, "deepseek without MTP");
  ModelConfig no_shared = deepseek_tiny(true, 1);
  no_shared.n_shared_experts = 0;
  no_shared.moe_layer_freq = 2;
  check_pipeline_shards(no_shared, "deepseek, no shared experts, MoE every 2nd layer");
  check_pipeline_shards(qwen2_tiny(true), "qwen2 tied");
  check_pipeline_shards(qwen2_tiny(false), "qwen2 untied, head_dim 6");
}

BOOST_AUTO_TEST_CASE(expert_shards_match_the_declarations) {
  for (ModelConfig c : {deepseek_tiny(true, 1), deepseek_tiny(false, 2)}) {
    SizeOnlyComm group2(2), group4(4);
    const GridLayout ep2 = grid(c, 2, 1, 2, {});
    check_shard(c, shard_of_rank(ep2, 1), "expert shard 1 of ep 2", &group2);
    const GridLayout ep4 = grid(c, 4, 1, 4, {});
    check_shard(c, shard_of_rank(ep4, 2), "expert shard 2 of ep 4", &group4);
    const GridLayout pp2_ep2 = grid(c, 4, 2, 2, {3, 1});
    check_shard(c, shard_of_rank(pp2_ep2, 3), "stage 1 of pp 2, expert shard 1 of ep 2", &group2);
    check_shard(c, shard_of_rank(pp2_ep2, 0), "stage 0 of pp 2, expert shard 0 of ep 2", &group2);
  }
}

BOOST_AUTO_TEST_CASE(saved_activations_match_a_training_forward) {
  const TokenBatch batch = random_batch(deepseek_tiny(true, 2), {6, 5}, 3);
  for (ModelConfig c : {deepseek_tiny(true, 2), deepseek_tiny(false, 1), qwen2_tiny(true), qwen2_tiny(false),
                        qwen3_tiny(false), qwen3_tiny(true)}) {
    for (bool balance_loss : {false, true}) {
      if (balance_loss && c.n_routed_experts == 0) continue;
      c.seq_aux_loss_alpha = balance_loss ? 0.01 : 0.0;
      TokenBatch b = batch;
      for (auto& t : b.tokens) t %= int32_t(c.vocab_size);
      for (auto& t : b.targets) t = t < 0 ? t : t % int32_t(c.vocab_size);
      b.aux_loss_weight = 0.5;
      const std::string label = to_string(c.architecture) + (c.q_lora_rank ? " q_lora" : "") + (balance_loss ? " balance loss" : "");
      Model whole(c, DType::f32, Device::host);
      whole.init_weights(7);
      ModelActs acts;
      whole.forward(b, acts, ForwardMode::train);
      const bool with_mtp = c.num_nextn_predict_layers > 0;
      check_saved(c, ModelShard{}, acts, b.size(), balance_loss, with_mtp, label + " whole");

      // Pipeline stage pieces: stage 0 (embedding + 1 layer), stage 1 (the rest + head + MTP).
      const GridLayout g = grid(c, 2, 2, 1, {1, c.num_hidden_layers - 1});
      const ModelShard first = shard_of_rank(g, 0), last = shard_of_rank(g, 1);
      Model m0(c, DType::f32, Device::host, first), m1(c, DType::f32, Device::host, last);
      m0.init_weights(7);
      m1.init_weights(7);
      ModelActs a0, a1;
      m0.prepare(b, a0, ForwardMode::train);
      Tensor h = m0.run_layers(m0.embed(a0), a0);
      check_saved(c, first, a0, b.size(), balance_loss, false, label + " stage 0");
      m1.prepare(b, a1, ForwardMode::train);
      m1.head(m1.run_layers(h, a1), a1, WithEntropy::no, with_mtp);
      check_saved(c, last, a1, b.size(), balance_loss, with_mtp, label + " stage 1");
    }
  }
}

BOOST_AUTO_TEST_CASE(pipeline_stages_partition_the_model) {
  // Every parameter of the model sits on exactly one stage and one expert shard, except the
  // embedding that the last stage holds too for MTP.
  const ModelConfig c = deepseek_tiny(true, 1);
  const GridLayout g = grid(c, 8, 2, 2, {1, 3});
  StepShape step;
  step.tokens_per_micro_batch = 16;
  step.micro_batches = 3;
  step.with_mtp = true;
  const auto stages = plan_pipeline_stages(c, g, bytes_policy(Device::host), step, GenerationShape{});
  const ShardParamCount whole = shard_param_count(c, ModelShard{});
  int64_t dense = 0, expert = 0;
  for (const auto& s : stages) {
    dense += s.memory.params.total().dense();
    expert += s.memory.params.total().expert * g.ep;
  }
  BOOST_TEST(dense == whole.total().dense() + whole.embedding.total);
  BOOST_TEST(expert == whole.total().expert);
  BOOST_TEST(stages[0].memory.in_flight == 2);  // 1F1B: pp - stage forwards in flight
  BOOST_TEST(stages[1].memory.in_flight == 1);
  // Host policy: 16 bytes per parameter (f32 values, gradients, two moments).
  const int64_t n0 = stages[0].memory.params.total().total;
  BOOST_TEST(stages[0].memory.compute_weights + stages[0].memory.grads + stages[0].memory.optimizer == 16 * n0);
}

BOOST_AUTO_TEST_CASE(deepseek_v3_671b_matches_the_published_sizes) {
  // Hugging Face config.json of deepseek-ai/DeepSeek-V3; published: 671B main model, 14B MTP module
  // (685B in all), 37B activated per token, and an MLA cache of (512 + 64) values per token per layer.
  ModelConfig c;
  c.architecture = Architecture::deepseek_v3;
  c.vocab_size = 129280;
  c.hidden_size = 7168;
  c.intermediate_size = 18432;
  c.num_hidden_layers = 61;
  c.num_attention_heads = 128;
  c.q_lora_rank = 1536;
  c.kv_lora_rank = 512;
  c.qk_nope_head_dim = 128;
  c.qk_rope_head_dim = 64;
  c.v_head_dim = 128;
  c.n_routed_experts = 256;
  c.n_shared_experts = 1;
  c.num_experts_per_tok = 8;
  c.moe_intermediate_size = 2048;
  c.n_group = 8;
  c.topk_group = 4;
  c.first_k_dense_replace = 3;
  c.num_nextn_predict_layers = 1;
  const ShardParamCount p = shard_param_count(c, ModelShard{});
  const double main = double(p.total().total - p.mtp.total), mtp = double(p.mtp.total);
  BOOST_TEST(main / 1e9 > 670.5);
  BOOST_TEST(main / 1e9 < 671.5);
  // r1's MTP module shares the main model's embedding and LM head; the published checkpoint (685B)
  // stores its own copy of both with the MTP layer.
  const double mtp_checkpoint = mtp + 2.0 * double(c.vocab_size * c.hidden_size);
  BOOST_TEST(mtp_checkpoint / 1e9 > 13.0);
  BOOST_TEST(mtp_checkpoint / 1e9 < 14.5);
  BOOST_TEST((main + mtp_checkpoint) / 1e9 > 684.0);
  BOOST_TEST((main + mtp_checkpoint) / 1e9 < 685.5);
  const double activated = double(activated_param_count(c));
  BOOST_TEST(activated / 1e9 > 36.5);
  BOOST_TEST(activated / 1e9 < 38.0);
  // BF16 cache per token over the 61 layers: 70,272 bytes (DeepSeek's "70 KB per token").
  BOOST_TEST(kv_cache_elements(c, ModelShard{}, 1, 1) * 2 == 70272);
}

BOOST_AUTO_TEST_CASE(qwen3_30b_a3b_matches_the_published_sizes) {
  // config.json of Qwen/Qwen3-30B-A3B; published: 30.5B parameters, 3.3B activated per token.
  ModelConfig c;
  c.architecture = Architecture::qwen3_moe;
  c.vocab_size = 151936;
  c.hidden_size = 2048;
  c.intermediate_size = 6144;
  c.num_hidden_layers = 48;
  c.num_attention_heads = 32;
  c.num_key_value_heads = 4;
  c.head_dim = 128;
  c.n_routed_experts = 128;
  c.num_experts_per_tok = 8;
  c.moe_intermediate_size = 768;
  c.scoring_func = ScoringFunc::softmax;
  c.n_shared_experts = 0;
  c.rope_interleave = false;
  c.validate("test");
  const ShardParamCount p = shard_param_count(c, ModelShard{});
  const double total = double(p.total().total), activated = double(activated_param_count(c));
  BOOST_TEST_MESSAGE("Qwen3-30B-A3B: " << total / 1e9 << "B parameters, " << activated / 1e9 << "B activated");
  BOOST_TEST(total / 1e9 > 30.4);
  BOOST_TEST(total / 1e9 < 30.6);
  BOOST_TEST(activated / 1e9 > 3.25);
  BOOST_TEST(activated / 1e9 < 3.4);
  BOOST_TEST(p.total().total == p.total().trainable);  // no router bias buffers
}

BOOST_AUTO_TEST_SUITE_END()
