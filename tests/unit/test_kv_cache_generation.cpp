// Cached generation computes the same function as the full forward: prompts prefilled into KV
// caches (several slots, different lengths, prefill mixed with decode rows), then token-by-token
// decoding; each step's log-prob of the next token equals the full forward's log-prob of that token
// (float64, MLA in the absorbed latent form, GQA with q/k/v bias, Qwen3's q/k norms, Qwen3-MoE).
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "common/test_support.hpp"
#include "core/rng.hpp"
#include "kernels/ops.hpp"
#include "model/model.hpp"

using namespace r1;
using namespace r1::test;

namespace {

ModelConfig mla_config() {
  ModelConfig c;
  c.architecture = Architecture::deepseek_v3;
  c.vocab_size = 41;
  c.hidden_size = 24;
  c.intermediate_size = 32;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 3;
  c.q_lora_rank = 12;
  c.kv_lora_rank = 10;
  c.qk_nope_head_dim = 6;
  c.qk_rope_head_dim = 4;
  c.v_head_dim = 5;
  c.n_routed_experts = 6;
  c.num_experts_per_tok = 2;
  c.moe_intermediate_size = 8;
  c.n_group = 3;
  c.topk_group = 2;
  c.first_k_dense_replace = 1;
  c.max_position_embeddings = 64;
  c.initializer_range = 0.3;
  return c;
}

ModelConfig gqa_config() {
  ModelConfig c;
  c.architecture = Architecture::qwen2;
  c.vocab_size = 37;
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.attention_bias = true;
  c.rope_interleave = false;
  c.max_position_embeddings = 64;
  c.initializer_range = 0.3;
  return c;
}

double log_softmax_at(const std::vector<double>& row, int32_t token) {
  double mx = -INFINITY;
  for (double v : row) mx = std::max(mx, v);
  double s = 0;
  for (double v : row) s += std::exp(v - mx);
  return row[size_t(token)] - mx - std::log(s);
}

void check_cached_matches_full(const ModelConfig& c, uint64_t seed) {
  Model m(c, DType::f64, Device::host);
  m.init_weights(seed);
  CounterRng rng({seed, 1});
  // Three sequences: prompts of lengths 5, 2, 7, then 6 generated tokens each.
  std::vector<int64_t> prompt_len = {5, 2, 7};
  const int64_t gen = 6, slots = 3;
  std::vector<std::vector<int32_t>> seq(3);
  for (size_t s = 0; s < 3; ++s)
    for (int64_t i = 0; i < prompt_len[s] + gen; ++i) seq[s].push_back(int32_t(rng.below(uint64_t(c.vocab_size))));

  // Full forward: log p(seq[i+1] | seq[..i]) for every row.
  TokenBatch full;
  full.seqs.push_back(0);
  for (auto& sq : seq) {
    for (size_t i = 0; i < sq.size(); ++i) {
      full.tokens.push_back(sq[i]);
      full.positions.push_back(int32_t(i));
      full.targets.push_back(i + 1 < sq.size() ? sq[i + 1] : -1);
    }
    full.seqs.push_back(int64_t(full.tokens.size()));
  }
  ModelActs acts;
  auto full_logp = to_f64_vector(m.forward(full, acts, ForwardMode::inference).logp);

  // Cached: slot 1 is prefilled first, alone; then slots 0 and 2 prefill while slot 1 decodes.
  KvCache cache = m.make_kv_cache(slots, 32);
  std::vector<int64_t> done(3, 0);  // tokens of each slot already in the cache
  double max_diff = 0;
  int64_t checked = 0;
  auto run = [&](const std::vector<std::pair<int, int64_t>>& adds) {  // (slot, how many tokens)
    CachedRows rows;
    std::vector<int64_t> last_row;
    for (auto [s, count] : adds) {
      for (int64_t i = 0; i < count; ++i) {
        rows.tokens.push_back(seq[size_t(s)][size_t(done[size_t(s)] + i)]);
        rows.positions.push_back(int32_t(done[size_t(s)] + i));
        rows.slots.push_back(s);
      }
      done[size_t(s)] += count;
      last_row.push_back(rows.size() - 1);
    }
    Tensor h = m.forward_cached(rows, cache);
    Tensor lg = m.logits(h);
    auto lv = to_f64_vector(lg);
    for (size_t a = 0; a < adds.size(); ++a) {
      int s = adds[a].first;
      if (adds[a].second == 0) continue;
      int64_t pos = done[size_t(s)] - 1;  // position of the slot's last new row
      if (pos + 1 >= int64_t(seq[size_t(s)].size())) continue;
      std::vector<double> row(lv.begin() + last_row[a] * c.vocab_size, lv.begin() + (last_row[a] + 1) * c.vocab_size);
      double cached = log_softmax_at(row, seq[size_t(s)][size_t(pos + 1)]);
      double reference = full_logp[size_t(full.seqs[size_t(s)] + pos)];
      max_diff = std::max(max_diff, std::fabs(cached - reference));
      ++checked;
    }
  };
  run({{1, prompt_len[1]}});
  run({{0, prompt_len[0]}, {1, 1}, {2, prompt_len[2]}});
  for (int64_t step = 0; step < gen - 1; ++step) run({{0, 1}, {1, step < gen - 2 ? 1 : 0}, {2, 1}});
  BOOST_TEST_MESSAGE(c.architecture << ": " << checked << " cached log-probs, max |diff| " << max_diff);
  BOOST_TEST(checked >= 15);
  BOOST_TEST(max_diff < 1e-10);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_kv_cache_generation)

BOOST_AUTO_TEST_CASE(mla_latent_cache_matches_full_forward) { check_cached_matches_full(mla_config(), 5); }

BOOST_AUTO_TEST_CASE(gqa_cache_matches_full_forward) { check_cached_matches_full(gqa_config(), 6); }

BOOST_AUTO_TEST_CASE(qwen3_qk_norm_cache_matches_full_forward) {
  ModelConfig c = gqa_config();
  c.architecture = Architecture::qwen3;
  c.attention_bias = false;
  c.head_dim = 6;
  check_cached_matches_full(c, 7);
}

BOOST_AUTO_TEST_CASE(qwen3_moe_cache_matches_full_forward) {
  ModelConfig c = gqa_config();
  c.architecture = Architecture::qwen3_moe;
  c.attention_bias = false;
  c.n_routed_experts = 6;
  c.num_experts_per_tok = 2;
  c.moe_intermediate_size = 8;
  c.scoring_func = ScoringFunc::softmax;
  c.n_shared_experts = 0;
  c.validate("test");
  check_cached_matches_full(c, 8);
}

BOOST_AUTO_TEST_CASE(mla_cache_stores_latent_not_keys) {
  ModelConfig c = mla_config();
  Model m(c, DType::f32, Device::host);
  KvCache cache = m.make_kv_cache(2, 16);
  // Per position and layer: kv_lora_rank + qk_rope_head_dim numbers, no values.
  BOOST_TEST(cache.bytes() == int64_t(c.num_hidden_layers * 2 * 16 * (c.kv_lora_rank + c.qk_rope_head_dim) * 4));
  BOOST_TEST(!cache.values[0].defined());
}

BOOST_AUTO_TEST_SUITE_END()
