// Recorded decoding steps, one per row count (see decode_graphs.hpp).
#include "engine/decode_graphs.hpp"

#include "kernels/device_graph.hpp"
#include "kernels/ops.hpp"

namespace r1 {

namespace {
// Row counts kept recorded at once: continuous batching shrinks the batch one finished sequence at a
// time, and each recording keeps its step's temporaries reserved.
constexpr size_t kMaxGraphs = 4;
}  // namespace

struct DecodeGraphs::Step {
  Step(int64_t n, Device device, DType stat)
      : rows(n),
        inputs(Tensor::empty({4, n}, DType::i32, device)),
        uniforms(Tensor::empty({n}, DType::f64, device)),
        tokens(Tensor::empty({n}, DType::i32, device)),
        logp(Tensor::empty({n}, stat, device)),
        graph(device) {}
  int64_t rows;
  Tensor inputs;    // i32 [4, rows]: tokens, positions, slots, cache rows
  Tensor uniforms;  // f64 [rows]
  Tensor tokens;    // i32 [rows]: the sampled tokens
  Tensor logp;      // [rows]: their log-probs (the logits' dtype)
  DeviceGraph graph;
};

DecodeGraphs::DecodeGraphs(const Model& model, KvCache& cache, const ops::SamplingParams& params, double logit_scale)
    : model_(model), cache_(cache), params_(params), logit_scale_(logit_scale) {}

DecodeGraphs::~DecodeGraphs() = default;

bool DecodeGraphs::usable(const Model& model) { return model.device() == Device::host || model.cached_forward_recordable(); }

DecodeGraphs::Step& DecodeGraphs::step_for(int64_t rows) {
  for (auto it = steps_.begin(); it != steps_.end(); ++it)
    if ((*it)->rows == rows) {
      steps_.splice(steps_.begin(), steps_, it);
      return *steps_.front();
    }
  if (steps_.size() >= kMaxGraphs) steps_.pop_back();
  steps_.push_front(std::make_unique<Step>(rows, model_.device(), model_.stat_dtype()));
  return *steps_.front();
}

void DecodeGraphs::step(const CachedRows& rows, const std::vector<double>& uniforms, std::vector<int32_t>& tokens,
                        std::vector<double>& logp) {
  const int64_t n = rows.size();
  R1_CHECK(int64_t(uniforms.size()) == n, "decode step: ", uniforms.size(), " uniforms for ", n, " rows");
  std::vector<int32_t> packed = rows.tokens;
  packed.insert(packed.end(), rows.positions.begin(), rows.positions.end());
  packed.insert(packed.end(), rows.slots.begin(), rows.slots.end());
  const std::vector<int32_t> cache_row = model_.cache_rows(rows, cache_);  // checks the rows
  packed.insert(packed.end(), cache_row.begin(), cache_row.end());
  Step& s = step_for(n);
  s.inputs.copy_from(Tensor::from_vector(packed, {4, n}));
  s.uniforms.copy_from(Tensor::from_vector(uniforms));
  s.graph.run([&] {
    CachedLayout layout;
    layout.capacity = cache_.capacity;
    layout.positions = s.inputs.flat(n, {n});
    layout.row_slot = s.inputs.flat(2 * n, {n});
    layout.cache_row = s.inputs.flat(3 * n, {n});
    const Tensor h = model_.forward_cached(s.inputs.flat(0, {n}), layout, cache_);
    const Tensor logits = model_.logits(h);
    ops::sample_tokens(logits, params_, s.uniforms, s.tokens);
    ops::token_logprobs(logits, s.tokens, logit_scale_, s.logp);
  });
  const Tensor host = s.tokens.is_host() ? s.tokens : s.tokens.to(Device::host);
  tokens.assign(host.data<int32_t>(), host.data<int32_t>() + n);
  logp = to_f64_vector(s.logp);
}

}  // namespace r1
