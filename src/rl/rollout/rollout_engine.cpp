// Continuous-batching generation over a KV cache: slot scheduling, decoding rounds, stop rules.
#include "rl/rollout/rollout_engine.hpp"

#include <algorithm>
#include <chrono>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "kernels/ops.hpp"
#include "kernels/runtime.hpp"
#include "engine/decode_round.hpp"
#include "rl/rollout/slot_scheduler.hpp"
#include "engine/phase_clock.hpp"

namespace r1 {

void SamplingConfig::visit(ConfigVisitor& v) {
  v.field("temperature", temperature, "softmax temperature (0 = greedy)", at_least(0));
  v.field("top_p", top_p, "nucleus sampling mass", between(1e-6, 1));
  v.field("top_k", top_k, "keep only the k most likely tokens (0 = all)", at_least(0));
  v.field("max_new_tokens", max_new_tokens, "longest completion", at_least(1));
  v.field("stop", stop, "stop strings (besides the end-of-sequence token)");
  v.field("batch", batch,
          "sequences decoded together per rank (KV-cache slots); 0: every completion at once, as many as the "
          "device memory holds",
          at_least(0));
  v.field("ignore_eos", ignore_eos, "generate max_new_tokens even past the end-of-sequence token (benchmarks)");
}

int64_t rollout_slots(const Model& model, const SamplingConfig& sampling, int64_t requests, int64_t capacity) {
  int64_t slots = sampling.batch > 0 ? std::min(sampling.batch, requests) : requests;
  const int64_t available = ComputeRuntime::device_available_bytes();
  if (sampling.batch == 0 && available >= 0) {
    const KvCache one = model.make_kv_cache(1, 1);
    // Cache rows, plus f32 logits and the sampler's and log-probs' copies of them (~16 bytes per
    // vocabulary entry and row).
    const double per_slot = double(one.bytes()) * double(capacity) + 16.0 * double(model.config().vocab_size);
    slots = std::min<int64_t>(slots, int64_t(0.8 * double(available) / per_slot));
  }
  return std::max<int64_t>(1, slots);
}

RolloutEngine::RolloutEngine(const Model& model, const Tokenizer& tokenizer, const ParallelGrid* grid)
    : model_(model), tokenizer_(tokenizer), grid_(grid) {}

std::vector<Rollout> RolloutEngine::generate(const std::vector<RolloutRequest>& requests, const SamplingConfig& sampling,
                                             uint64_t seed, int64_t step, RolloutStats* stats) const {
  PhaseScope phase(Phase::generation);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Rollout> out(requests.size());
  // With expert parallelism a replica without requests still takes part in its group's forwards.
  const bool coupled = grid_ && grid_->ep().size() > 1;
  if (requests.empty() && !coupled) return out;
  int64_t longest_prompt = 0;
  for (auto& r : requests) {
    R1_CHECK(r.prompt && !r.prompt->empty(), "rollout request without a prompt");
    longest_prompt = std::max<int64_t>(longest_prompt, int64_t(r.prompt->size()));
  }
  const int64_t capacity = longest_prompt + sampling.max_new_tokens;
  R1_INPUT_CHECK(capacity <= model_.config().max_position_embeddings, "sampling: prompt (", longest_prompt,
                 " tokens) + max_new_tokens (", sampling.max_new_tokens, ") exceed model.max_position_embeddings (",
                 model_.config().max_position_embeddings, ")");
  const int64_t n_slots = rollout_slots(model_, sampling, int64_t(requests.size()), capacity);
  KvCache cache = model_.make_kv_cache(n_slots, capacity);
  DecodeRound round(model_, cache, grid_, sampling.params(), sampling.logit_scale(), n_slots);
  SlotScheduler scheduler(requests, n_slots, round.groups());
  const StopRules stop_rules(tokenizer_, sampling);
  auto uniform = [&](const RolloutRequest& req, size_t token) {
    uint64_t key = hash_words({seed, hash_string("sample"), uint64_t(step), uint64_t(req.prompt_id), uint64_t(req.sample_id)});
    return uniform_at(key, token);
  };
  RolloutStats st;
  std::vector<Tensor> tokens;
  std::vector<std::vector<double>> logp;
  while (true) {
    const RoundRows rows = scheduler.next_round(out, uniform, &st.prefill_tokens);
    const auto round_start = std::chrono::steady_clock::now();
    if (!round.run(rows, tokens, logp)) break;
    for (int64_t g = 0; g < round.groups(); ++g) {
      if (rows.rows[size_t(g)].size() == 0) continue;
      for (size_t i = 0; i < rows.sample_rows[size_t(g)].size(); ++i) {
        Rollout& r = out[size_t(scheduler.request_of(g, i))];
        r.tokens.push_back(tokens[size_t(g)].data<int32_t>()[i]);
        if (!logp[size_t(g)].empty()) r.logp.push_back(logp[size_t(g)][i]);
        ++st.generated_tokens;
        if (std::optional<StopReason> stop = stop_rules.check(r.tokens)) {
          r.stop = *stop;
          scheduler.finish(g, i);
        }
      }
    }
    if (!rows.prefill) {  // the tokens were read back: the round's device work is done
      ++st.decode_rounds;
      st.decode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - round_start).count();
    }
  }
  st.forwards = round.forwards();
  st.slots = n_slots;
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (stats) *stats = st;
  return out;
}

}  // namespace r1
