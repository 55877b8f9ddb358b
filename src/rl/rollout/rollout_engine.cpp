// Continuous-batching generation over a KV cache; on one pipeline stage, rounds without a prompt to
// prefill go through DecodeGraphs (recorded device graphs on the GPU).
#include "rl/rollout/rollout_engine.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "kernels/ops.hpp"
#include "rl/rollout/decode_graphs.hpp"
#include "rl/phase_clock.hpp"

namespace r1 {

void SamplingConfig::visit(ConfigVisitor& v) {
  v.field("temperature", temperature, "softmax temperature (0 = greedy)", at_least(0));
  v.field("top_p", top_p, "nucleus sampling mass", between(1e-6, 1));
  v.field("top_k", top_k, "keep only the k most likely tokens (0 = all)", at_least(0));
  v.field("max_new_tokens", max_new_tokens, "longest completion", at_least(1));
  v.field("stop", stop, "stop strings (besides the end-of-sequence token)");
  v.field("batch", batch, "sequences decoded together per rank", at_least(1));
  v.field("ignore_eos", ignore_eos, "generate max_new_tokens even past the end-of-sequence token (benchmarks)");
}

RolloutEngine::RolloutEngine(const Model& model, const Tokenizer& tokenizer, const ParallelGrid* grid)
    : model_(model), tokenizer_(tokenizer), grid_(grid) {}

namespace {
struct Slot {
  int64_t request = -1;      // index into requests, -1 when free
  int64_t length = 0;        // tokens in the cache
  bool needs_prefill = false;
};

bool ends_with_stop(const Tokenizer& tok, const std::vector<int32_t>& generated, const std::vector<std::string>& stops) {
  if (stops.empty()) return false;
  size_t longest = 0;
  for (auto& s : stops) longest = std::max(longest, s.size());
  // Decode enough trailing tokens to cover the longest stop string (each token is >= 1 byte).
  size_t take = std::min(generated.size(), longest + 2);
  std::string tail = tok.decode(generated.data() + (generated.size() - take), take);
  for (auto& s : stops)
    if (!s.empty() && tail.find(s) != std::string::npos) return true;
  return false;
}
}  // namespace

std::vector<Rollout> RolloutEngine::generate(const std::vector<RolloutRequest>& requests, const SamplingConfig& sampling,
                                             uint64_t seed, int64_t step, RolloutStats* stats) const {
  PhaseScope phase(Phase::generation);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Rollout> out(requests.size());
  // See the expert-group agreement below: with expert parallelism a replica without requests still
  // takes part in its group's forwards.
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
  const int64_t n_slots = std::max<int64_t>(1, std::min<int64_t>(sampling.batch, int64_t(requests.size())));
  KvCache cache = model_.make_kv_cache(n_slots, capacity);
  std::vector<Slot> slots(static_cast<size_t>(n_slots));
  std::deque<int64_t> pending;
  for (int64_t i = 0; i < int64_t(requests.size()); ++i) pending.push_back(i);
  const bool stop_at_eos = !sampling.ignore_eos;
  const ops::SamplingParams params = sampling.params();
  RolloutStats st;

  const int stages = grid_ ? int(grid_->layout().pp) : 1;
  const int stage = grid_ ? int(grid_->position().stage) : 0;
  const bool first = stage == 0, last = stage == stages - 1;
  // Micro-batch groups in flight through the pipeline; a fixed count when replicas are coupled.
  const int64_t groups = coupled ? stages : std::min<int64_t>(stages, n_slots);
  // Rounds without a prompt to prefill run as recorded decoding steps on a single stage.
  std::unique_ptr<DecodeGraphs> decode_graphs;
  if (stages == 1 && !coupled && DecodeGraphs::usable(model_))
    decode_graphs = std::make_unique<DecodeGraphs>(model_, cache, params);

  while (true) {
    // Fill free slots with pending prompts (the same decisions on every rank of the pipeline).
    for (auto& s : slots)
      if (s.request < 0 && !pending.empty()) {
        s.request = pending.front();
        pending.pop_front();
        s.length = 0;
        s.needs_prefill = true;
      }
    // Rows of this round per group: whole prompts for new slots, the last sampled token for the others.
    std::vector<CachedRows> rows(static_cast<size_t>(groups));
    std::vector<std::vector<int64_t>> sample_slot(static_cast<size_t>(groups)), sample_row(static_cast<size_t>(groups));
    int64_t total_rows = 0;
    bool prefill = false;
    for (int64_t si = 0; si < n_slots; ++si) {
      Slot& s = slots[size_t(si)];
      if (s.request < 0) continue;
      const size_t g = size_t(si % groups);
      const RolloutRequest& req = requests[size_t(s.request)];
      if (s.needs_prefill) {
        for (size_t i = 0; i < req.prompt->size(); ++i) {
          rows[g].tokens.push_back((*req.prompt)[i]);
          rows[g].positions.push_back(int32_t(i));
          rows[g].slots.push_back(int32_t(si));
        }
        s.length = int64_t(req.prompt->size());
        s.needs_prefill = false;
        prefill = true;
        st.prefill_tokens += s.length;
      } else {
        rows[g].tokens.push_back(out[size_t(s.request)].tokens.back());
        rows[g].positions.push_back(int32_t(s.length));
        rows[g].slots.push_back(int32_t(si));
        ++s.length;
      }
      sample_slot[g].push_back(si);
      sample_row[g].push_back(rows[g].size() - 1);
      total_rows += 1;
    }
    // Expert parallelism couples the data-parallel replicas of a stage: every forward of a MoE layer
    // is an all-to-all over the expert group, whose replicas generate different prompts and so need
    // different numbers of rounds. The group agrees on which rounds and groups run; a replica with
    // nothing left takes part with zero rows. (Pipeline peers hold the same requests, and every
    // stage has the same expert groups of pipelines, so the agreement is the same at every stage.)
    std::vector<int64_t> runs(static_cast<size_t>(groups + 1), 0);
    runs[0] = total_rows > 0;
    for (int64_t g = 0; g < groups; ++g) runs[size_t(g + 1)] = rows[size_t(g)].size() > 0;
    if (coupled) grid_->ep().allreduce(runs, ReduceOp::max);
    if (runs[0] == 0) break;
    const auto round_start = std::chrono::steady_clock::now();
    // Each group through this rank's stage; the last stage samples.
    std::vector<Tensor> tokens(static_cast<size_t>(groups));
    auto uniforms_of = [&](int64_t g) {
      std::vector<double> uniforms;
      for (int64_t si : sample_slot[size_t(g)]) {
        const RolloutRequest& req = requests[size_t(slots[size_t(si)].request)];
        uint64_t key = hash_words({seed, hash_string("sample"), uint64_t(step), uint64_t(req.prompt_id), uint64_t(req.sample_id)});
        uniforms.push_back(uniform_at(key, out[size_t(slots[size_t(si)].request)].tokens.size()));
      }
      return uniforms;
    };
    const bool recorded_round = decode_graphs && !prefill;  // one group: a single stage
    if (recorded_round) {
      tokens[0] = Tensor::from_vector(decode_graphs->step(rows[0], uniforms_of(0)));
      ++st.forwards;
    }
    for (int64_t g = 0; g < groups && !recorded_round; ++g) {
      const CachedRows& r = rows[size_t(g)];
      if (runs[size_t(g + 1)] == 0) continue;
      Tensor h_in;
      if (!first) {
        h_in = Tensor::empty({r.size(), model_.config().hidden_size}, model_.dtype(), model_.device());
        Tensor none;
        grid_->pipeline_tensors().exchange(none, -1, h_in, stage - 1);
      }
      Tensor h = model_.forward_cached(r, cache, h_in);  // last stage: normalised
      ++st.forwards;
      if (!last) {
        Tensor none;
        grid_->pipeline_tensors().exchange(h, stage + 1, none, -1);
        continue;
      }
      if (r.size() == 0) continue;  // an empty turn for the expert group: nothing to sample
      // Logits of each slot's last row only.
      std::vector<int32_t> pick(sample_row[size_t(g)].begin(), sample_row[size_t(g)].end());
      Tensor pick_t = Tensor::from_vector(pick);
      if (!h.is_host()) pick_t = pick_t.to(h.device());
      Tensor last_rows = Tensor::empty({int64_t(pick.size()), h.cols()}, h.dtype(), h.device());
      ops::gather_rows(h, pick_t, last_rows);
      Tensor logits = model_.logits(last_rows);  // [S, V], sampled where it lives (GPU sampling on CUDA)
      tokens[size_t(g)] = Tensor::empty({int64_t(sample_slot[size_t(g)].size())}, DType::i32);
      ops::sample_tokens(logits, params, Tensor::from_vector(uniforms_of(g)), tokens[size_t(g)]);
    }
    // The sampled tokens reach every stage; every rank applies the same stop rules.
    for (int64_t g = 0; g < groups; ++g) {
      if (rows[size_t(g)].size() == 0) continue;
      if (!last) tokens[size_t(g)] = Tensor::empty({int64_t(sample_slot[size_t(g)].size())}, DType::i32);
      if (grid_) grid_->pipeline_tensors().broadcast(tokens[size_t(g)], stages - 1);
      for (size_t i = 0; i < sample_slot[size_t(g)].size(); ++i) {
        Slot& s = slots[size_t(sample_slot[size_t(g)][i])];
        Rollout& r = out[size_t(s.request)];
        int32_t t = tokens[size_t(g)].data<int32_t>()[i];
        r.tokens.push_back(t);
        ++st.generated_tokens;
        bool done = false;
        if (stop_at_eos && tokenizer_.is_stop(t)) {
          r.stop = StopReason::end_of_sequence;
          done = true;
        } else if (ends_with_stop(tokenizer_, r.tokens, sampling.stop)) {
          r.stop = StopReason::stop_string;
          done = true;
        } else if (int64_t(r.tokens.size()) >= sampling.max_new_tokens) {
          r.stop = StopReason::max_tokens;
          done = true;
        }
        if (done) s.request = -1;
      }
    }
    if (!prefill) {  // the tokens were read back: the round's device work is done
      ++st.decode_rounds;
      st.decode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - round_start).count();
    }
  }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (stats) *stats = st;
  return out;
}

}  // namespace r1
