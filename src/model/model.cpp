// Model construction (parameter declaration in Hugging Face naming), the stage pieces and their
// backward passes, multi-token prediction, and the router-bias balancing step.
#include "model/model.hpp"

#include <algorithm>

#include "kernels/ops.hpp"
#include "model/ffn_moe.hpp"
#include "model/linear.hpp"
#include "model/model_plan.hpp"
#include "model/model_shard.hpp"
#include "model/precision.hpp"

namespace r1 {

namespace {
Tensor host_i32(const std::vector<int32_t>& v) { return Tensor::from_vector(v, {int64_t(v.size())}); }
}  // namespace

Model::Model(const ModelConfig& config, DType dtype, Device device, ModelShard shard, TensorComm* ep)
    : Model(config, dtype, device, shard, ep, true) {}

std::vector<ParamInfo> Model::declared_parameters(const ModelConfig& config, ModelShard shard) {
  Model declared(config, DType::f32, Device::host, shard, nullptr, false);
  return declared.store_.params();
}

Model::Model(const ModelConfig& config, DType dtype, Device device, ModelShard shard, TensorComm* ep, bool allocate)
    : config_(config), shard_(shard), ep_(ep), dtype_(dtype), device_(device) {
  config_.validate("model config");
  const int64_t L = config_.num_hidden_layers, d = config_.hidden_size, V = config_.vocab_size;
  R1_CHECK(V >= 2, "model: vocab_size ", V, " must be resolved (>= 2) before building the model");
  if (shard_.layer_end < 0) shard_.layer_end = L;
  if (shard_.experts.end < 0) shard_.experts.end = config_.n_routed_experts;
  R1_CHECK(0 <= shard_.layer_begin && shard_.layer_begin <= shard_.layer_end && shard_.layer_end <= L, "layer range [",
           shard_.layer_begin, ", ", shard_.layer_end, ") of ", L);
  stat_dtype_ = stat_dtype_for(dtype);
  rope_ = make_rope_tables(config_, stat_dtype_, device);

  if (shard_holds_embedding(shard_, config_))
    embed_ = store_.declare("model.embed_tokens.weight", {V, d}, ParamInit::normal, true);
  for (int64_t l = shard_.layer_begin; l < shard_.layer_end; ++l)
    layers_.push_back(std::make_unique<DecoderLayer>(config_, l, "model.layers." + std::to_string(l), store_, rope_,
                                                     shard_.experts, ep_));
  if (shard_.has_head) {
    final_norm_ = store_.declare("model.norm.weight", {d}, ParamInit::ones, false);
    if (config_.tie_word_embeddings) {
      lm_head_ = embed_;
    } else {
      lm_head_ = store_.declare("lm_head.weight", {V, d}, ParamInit::normal, true);
    }
    for (int64_t k = 1; k <= config_.num_nextn_predict_layers; ++k) {
      const int64_t index = L + k - 1;
      const std::string p = "model.layers." + std::to_string(index);
      MtpModule m;
      m.enorm = store_.declare(p + ".enorm.weight", {d}, ParamInit::ones, false);
      m.hnorm = store_.declare(p + ".hnorm.weight", {d}, ParamInit::ones, false);
      m.eh_proj = store_.declare(p + ".eh_proj.weight", {d, 2 * d}, ParamInit::normal, true);
      m.block = std::make_unique<DecoderLayer>(config_, index, p, store_, rope_, shard_.experts, ep_);
      m.out_norm = store_.declare(p + ".shared_head.norm.weight", {d}, ParamInit::ones, false);
      mtp_.push_back(std::move(m));
    }
  }
  if (allocate) store_.allocate(master_dtype_for(dtype), device, dtype);
}

Tensor Model::token_tensor(const std::vector<int32_t>& v) const {
  Tensor t = host_i32(v);
  return device_ == Device::host ? t : t.to(device_);
}

Tensor Model::lm_head_weight() const { return store_.weight(lm_head_); }
Tensor Model::lm_head_grad() const { return store_.grad(lm_head_); }

void Model::prepare(const TokenBatch& b, ModelActs& acts, ForwardMode mode) const {
  const int64_t n = b.size();
  R1_CHECK(int64_t(b.positions.size()) == n && int64_t(b.targets.size()) == n, "batch: ", n, " tokens but ",
           b.positions.size(), " positions and ", b.targets.size(), " targets");
  R1_CHECK(!b.seqs.empty() && b.seqs.front() == 0 && b.seqs.back() == n, "batch: sequence offsets must cover [0, ", n, ")");
  for (size_t s = 0; s + 1 < b.seqs.size(); ++s) R1_CHECK(b.seqs[s] <= b.seqs[s + 1], "batch: offsets decrease at ", s);
  for (int64_t i = 0; i < n; ++i) {
    R1_CHECK(b.tokens[size_t(i)] >= 0 && b.tokens[size_t(i)] < config_.vocab_size, "batch: token ", b.tokens[size_t(i)],
             " at row ", i, " outside the vocabulary of ", config_.vocab_size);
    R1_CHECK(b.targets[size_t(i)] < config_.vocab_size, "batch: target ", b.targets[size_t(i)], " at row ", i,
             " outside the vocabulary");
    R1_CHECK(b.positions[size_t(i)] >= 0 && b.positions[size_t(i)] < config_.max_position_embeddings, "batch: position ",
             b.positions[size_t(i)], " at row ", i, " beyond max_position_embeddings ", config_.max_position_embeddings);
  }
  acts = ModelActs();
  acts.mode = mode;
  acts.layout.tokens = n;
  acts.layout.positions = token_tensor(b.positions);
  acts.layout.seqs = b.seqs;
  acts.layout.aux_loss_weight = mode == ForwardMode::train ? b.aux_loss_weight : 0.0;
  acts.token_ids = token_tensor(b.tokens);
  acts.targets = token_tensor(b.targets);
  acts.layers.resize(mode == ForwardMode::train ? layers_.size() : std::min<size_t>(1, layers_.size()));
}

Tensor Model::embed(const ModelActs& acts) const {
  R1_CHECK(shard_.has_embedding, "embed() on a rank that is not the first pipeline stage");
  Tensor h = Tensor::empty({acts.layout.tokens, config_.hidden_size}, dtype_, device_);
  ops::embedding_forward(acts.token_ids, store_.weight(embed_), h);
  return h;
}

Tensor Model::run_layers(const Tensor& h_in, ModelActs& acts) const {
  Tensor h = h_in;
  for (size_t i = 0; i < layers_.size(); ++i) {
    LayerActs& la = acts.mode == ForwardMode::train ? acts.layers[i] : acts.layers[0];
    h = layers_[i]->forward(h, acts.layout, la);
  }
  return h;
}

ModelOutput Model::head(const Tensor& h, ModelActs& acts, WithEntropy entropy, bool with_mtp, double logit_scale) const {
  R1_CHECK(shard_.has_head, "head() on a rank without the LM head");
  const int64_t n = acts.layout.tokens, d = config_.hidden_size, chunk = lm_head_chunk_rows(config_.vocab_size, device_);
  ModelOutput out;
  acts.h_final = h;
  acts.h_normed = Tensor::empty(h.shape(), dtype_, device_);
  acts.final_rstd = Tensor::empty({n}, stat_dtype_, device_);
  ops::rmsnorm_forward(h, store_.weight(final_norm_), config_.rms_norm_eps, acts.h_normed, acts.final_rstd);
  out.logp = Tensor::empty({n}, stat_dtype_, device_);
  acts.lse = Tensor::empty({n}, stat_dtype_, device_);
  if (entropy == WithEntropy::yes) out.entropy = Tensor::empty({n}, stat_dtype_, device_);
  acts.logit_scale = logit_scale;
  if (acts.mode == ForwardMode::train && lm_head_saves_dlogits(n, config_.vocab_size, device_)) {
    acts.lm_head_saved = Tensor::empty({n, config_.vocab_size}, dtype_, device_);
    ops::lm_head_forward_saving(acts.h_normed, lm_head_weight(), acts.targets, logit_scale, chunk, out.logp, acts.lse,
                                out.entropy, acts.lm_head_saved);
  } else {
    ops::lm_head_forward(acts.h_normed, lm_head_weight(), acts.targets, logit_scale, chunk, out.logp, acts.lse,
                         out.entropy);
  }

  if (with_mtp && !mtp_.empty()) {
    // Host copies of tokens/targets to build each depth's shifted inputs.
    auto tokens = to_f64_vector(acts.token_ids), targets = to_f64_vector(acts.targets);
    acts.mtp.resize(mtp_.size());
    Tensor h_prev = h;
    for (size_t k = 0; k < mtp_.size(); ++k) {
      const int64_t depth = int64_t(k) + 1;
      const MtpModule& m = mtp_[k];
      MtpActs& ma = acts.mtp[k];
      std::vector<int32_t> ids(size_t(n), 0), tgt(size_t(n), -1);
      for (size_t s = 0; s + 1 < acts.layout.seqs.size(); ++s)
        for (int64_t i = acts.layout.seqs[s]; i < acts.layout.seqs[s + 1]; ++i)
          if (i + depth < acts.layout.seqs[s + 1]) {
            ids[size_t(i)] = int32_t(tokens[size_t(i + depth)]);
            tgt[size_t(i)] = int32_t(targets[size_t(i + depth)]);
          }
      ma.emb_ids = token_tensor(ids);
      ma.targets = token_tensor(tgt);
      ma.emb = Tensor::empty({n, d}, dtype_, device_);
      ops::embedding_forward(ma.emb_ids, store_.weight(embed_), ma.emb);
      ma.e_normed = Tensor::empty({n, d}, dtype_, device_);
      ma.e_rstd = Tensor::empty({n}, stat_dtype_, device_);
      ops::rmsnorm_forward(ma.emb, store_.weight(m.enorm), config_.rms_norm_eps, ma.e_normed, ma.e_rstd);
      ma.h_normed = Tensor::empty({n, d}, dtype_, device_);
      ma.h_rstd = Tensor::empty({n}, stat_dtype_, device_);
      ops::rmsnorm_forward(h_prev, store_.weight(m.hnorm), config_.rms_norm_eps, ma.h_normed, ma.h_rstd);
      ma.joined = Tensor::empty({n, 2 * d}, dtype_, device_);  // [enorm(emb) | hnorm(h)]
      ops::copy_columns(ma.e_normed, 0, ma.joined, 0, d, ops::Accumulate::no);
      ops::copy_columns(ma.h_normed, 0, ma.joined, d, d, ops::Accumulate::no);
      Tensor x = linear_forward(ma.joined, store_.weight(m.eh_proj));  // [N, d]
      ma.h_in = h_prev;
      ma.out = m.block->forward(x, acts.layout, ma.block);
      ma.out_normed = Tensor::empty({n, d}, dtype_, device_);
      ma.out_rstd = Tensor::empty({n}, stat_dtype_, device_);
      ops::rmsnorm_forward(ma.out, store_.weight(m.out_norm), config_.rms_norm_eps, ma.out_normed, ma.out_rstd);
      Tensor logp = Tensor::empty({n}, stat_dtype_, device_), none;
      ma.lse = Tensor::empty({n}, stat_dtype_, device_);
      ops::lm_head_forward(ma.out_normed, lm_head_weight(), ma.targets, 1.0, chunk, logp, ma.lse, none);
      out.mtp_logp.push_back(logp);
      out.aux_loss += ma.block.ffn.aux_loss;
      h_prev = ma.out;
    }
  }
  return out;
}

ModelOutput Model::forward(const TokenBatch& batch, ModelActs& acts, ForwardMode mode, WithEntropy entropy,
                           double logit_scale) const {
  R1_CHECK(shard_.has_embedding && shard_.has_head, "forward() needs the whole model on this rank");
  prepare(batch, acts, mode);
  Tensor h = run_layers(embed(acts), acts);
  bool with_mtp = mode == ForwardMode::train && !mtp_.empty() && config_.mtp_loss_weight > 0;
  ModelOutput out = head(h, acts, entropy, with_mtp, logit_scale);
  for (auto& la : acts.layers) out.aux_loss += la.ffn.aux_loss;
  return out;
}

Tensor Model::head_backward(ModelActs& acts, const Tensor& dlogp, const std::vector<Tensor>& mtp_dlogp) const {
  R1_CHECK(acts.mode == ForwardMode::train, "backward after an inference forward");
  const int64_t n = acts.layout.tokens, d = config_.hidden_size, chunk = lm_head_chunk_rows(config_.vocab_size, device_);
  Tensor dh_normed = Tensor::empty({n, d}, dtype_, device_);
  Tensor dw_head = lm_head_grad();
  if (acts.lm_head_saved.defined()) {
    ops::lm_head_backward_saved(acts.h_normed, lm_head_weight(), acts.lm_head_saved, dlogp, acts.logit_scale, dh_normed,
                                dw_head);
    acts.lm_head_saved = Tensor();  // N x V: freed as soon as it is used
  } else {
    ops::lm_head_backward(acts.h_normed, lm_head_weight(), acts.targets, acts.lse, dlogp, acts.logit_scale, chunk,
                          dh_normed, dw_head);
  }
  Tensor dh = Tensor::empty({n, d}, dtype_, device_);
  Tensor dw_norm = store_.grad(final_norm_);
  ops::rmsnorm_backward(dh_normed, acts.h_final, store_.weight(final_norm_), acts.final_rstd, dh, dw_norm);

  if (!mtp_dlogp.empty() && !acts.mtp.empty()) {
    R1_CHECK(mtp_dlogp.size() == acts.mtp.size(), "MTP backward: ", mtp_dlogp.size(), " gradients for ", acts.mtp.size(),
             " depths");
    Tensor d_out_from_next;  // gradient reaching depth k's block output from depth k+1 (through its hnorm)
    for (size_t kk = acts.mtp.size(); kk-- > 0;) {
      const MtpModule& m = mtp_[kk];
      MtpActs& ma = acts.mtp[kk];
      Tensor d_out_normed = Tensor::empty({n, d}, dtype_, device_);
      ops::lm_head_backward(ma.out_normed, lm_head_weight(), ma.targets, ma.lse, mtp_dlogp[kk], 1.0, chunk, d_out_normed,
                            dw_head);
      Tensor d_out = Tensor::empty({n, d}, dtype_, device_);
      Tensor dw_out_norm = store_.grad(m.out_norm);
      ops::rmsnorm_backward(d_out_normed, ma.out, store_.weight(m.out_norm), ma.out_rstd, d_out, dw_out_norm);
      if (d_out_from_next.defined()) ops::add(d_out, d_out_from_next, d_out);
      Tensor dx = m.block->backward(d_out, acts.layout, ma.block);
      Tensor d_joined = linear_backward(dx, ma.joined, store_.weight(m.eh_proj), store_.grad(m.eh_proj));  // [N, 2d]
      Tensor d_e_normed = Tensor::empty({n, d}, dtype_, device_), d_h_normed = Tensor::empty({n, d}, dtype_, device_);
      ops::copy_columns(d_joined, 0, d_e_normed, 0, d, ops::Accumulate::no);
      ops::copy_columns(d_joined, d, d_h_normed, 0, d, ops::Accumulate::no);
      Tensor d_emb = Tensor::empty({n, d}, dtype_, device_);
      Tensor dw_enorm = store_.grad(m.enorm), dw_hnorm = store_.grad(m.hnorm), dw_embed = store_.grad(embed_);
      ops::rmsnorm_backward(d_e_normed, ma.emb, store_.weight(m.enorm), ma.e_rstd, d_emb, dw_enorm);
      ops::embedding_backward(ma.emb_ids, d_emb, dw_embed);
      Tensor d_h_prev = Tensor::empty({n, d}, dtype_, device_);
      ops::rmsnorm_backward(d_h_normed, ma.h_in, store_.weight(m.hnorm), ma.h_rstd, d_h_prev, dw_hnorm);
      if (kk == 0) ops::add(dh, d_h_prev, dh);
      else d_out_from_next = d_h_prev;
    }
  }
  return dh;
}

Tensor Model::layers_backward(const Tensor& dh_in, ModelActs& acts) const {
  R1_CHECK(acts.mode == ForwardMode::train, "backward after an inference forward");
  Tensor dh = dh_in;
  for (size_t i = layers_.size(); i-- > 0;) dh = layers_[i]->backward(dh, acts.layout, acts.layers[i]);
  return dh;
}

void Model::embed_backward(const Tensor& dh, const ModelActs& acts) const {
  Tensor dw = store_.grad(embed_);
  ops::embedding_backward(acts.token_ids, dh, dw);
}

void Model::backward(ModelActs& acts, const Tensor& dlogp, const std::vector<Tensor>& mtp_dlogp) const {
  Tensor dh = head_backward(acts, dlogp, mtp_dlogp);
  dh = layers_backward(dh, acts);
  embed_backward(dh, acts);
}

Tensor Model::logits(const Tensor& h_normed_rows, double logit_scale) const {
  Tensor out = Tensor::empty({h_normed_rows.rows(), config_.vocab_size}, stat_dtype_, device_);
  ops::gemm(h_normed_rows, ops::Trans::no, lm_head_weight(), ops::Trans::yes, out, logit_scale, 0.0);
  return out;
}

KvCache Model::make_kv_cache(int64_t slots, int64_t capacity) const {
  R1_CHECK(capacity <= config_.max_position_embeddings, "KV cache capacity ", capacity,
           " exceeds max_position_embeddings ", config_.max_position_embeddings);
  KvCache c;
  c.slots = slots;
  c.capacity = capacity;
  for (auto& layer : layers_) {
    Tensor k, v;
    layer->attention().make_cache(slots, capacity, dtype_, device_, k, v);
    c.keys.push_back(k);
    c.values.push_back(v);
  }
  return c;
}

std::vector<int32_t> Model::cache_rows(const CachedRows& rows, const KvCache& cache) const {
  const int64_t n = rows.size();
  R1_CHECK(int64_t(rows.positions.size()) == n && int64_t(rows.slots.size()) == n, "cached rows: ", n, " tokens, ",
           rows.positions.size(), " positions, ", rows.slots.size(), " slots");
  std::vector<int32_t> cache_row(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    R1_CHECK(rows.slots[size_t(i)] >= 0 && rows.slots[size_t(i)] < cache.slots && rows.positions[size_t(i)] >= 0 &&
                 rows.positions[size_t(i)] < cache.capacity,
             "cached row ", i, ": slot ", rows.slots[size_t(i)], " position ", rows.positions[size_t(i)],
             " outside the cache (", cache.slots, " slots of ", cache.capacity, ")");
    R1_CHECK(rows.tokens[size_t(i)] >= 0 && rows.tokens[size_t(i)] < config_.vocab_size, "cached row ", i, ": token ",
             rows.tokens[size_t(i)], " outside the vocabulary");
    cache_row[size_t(i)] = rows.slots[size_t(i)] * int32_t(cache.capacity) + rows.positions[size_t(i)];
  }
  return cache_row;
}

CachedLayout Model::cached_layout(const CachedRows& rows, const KvCache& cache) const {
  CachedLayout l;
  l.capacity = cache.capacity;
  // Whole prompts only: every run of rows of one slot starts at position 0 and counts up.
  bool whole_prompts = rows.size() > 0;
  for (int64_t i = 0; i < rows.size() && whole_prompts; ++i) {
    const bool starts = i == 0 || rows.slots[size_t(i)] != rows.slots[size_t(i - 1)];
    if (starts) l.prompt_seqs.push_back(i);
    whole_prompts = starts ? rows.positions[size_t(i)] == 0 : rows.positions[size_t(i)] == rows.positions[size_t(i - 1)] + 1;
  }
  if (whole_prompts) l.prompt_seqs.push_back(rows.size());
  else l.prompt_seqs.clear();
  l.cache_row = token_tensor(cache_rows(rows, cache));
  l.positions = token_tensor(rows.positions);
  l.row_slot = token_tensor(rows.slots);
  return l;
}

Tensor Model::forward_cached(const CachedRows& rows, KvCache& cache, const Tensor& h_in) const {
  CachedLayout layout = cached_layout(rows, cache);
  return forward_cached(shard_.has_embedding ? token_tensor(rows.tokens) : Tensor(), layout, cache, h_in);
}

Tensor Model::forward_cached(const Tensor& tokens, const CachedLayout& layout, KvCache& cache, const Tensor& h_in) const {
  const int64_t n = layout.positions.numel();
  Tensor h = h_in;
  if (shard_.has_embedding) {
    h = Tensor::empty({n, config_.hidden_size}, dtype_, device_);
    ops::embedding_forward(tokens, store_.weight(embed_), h);
  }
  DecoderLayer::ResidualSum x{h, Tensor()};
  for (size_t i = 0; i < layers_.size(); ++i) x = layers_[i]->forward_cached(x, layout, cache.keys[i], cache.values[i]);
  Tensor sum = x.delta;  // the last layer's output, formed in the delta's buffer
  if (!shard_.has_head) {
    if (!x.delta.defined()) return x.residual;
    ops::add(x.residual, x.delta, sum);
    return sum;
  }
  Tensor normed = Tensor::empty(x.residual.shape(), dtype_, device_), rstd = Tensor::empty({n}, stat_dtype_, device_);
  if (x.delta.defined())
    ops::add_rmsnorm_forward(x.residual, x.delta, store_.weight(final_norm_), config_.rms_norm_eps, sum, normed, rstd);
  else
    ops::rmsnorm_forward(x.residual, store_.weight(final_norm_), config_.rms_norm_eps, normed, rstd);
  return normed;
}

bool Model::cached_forward_recordable() const {
  for (auto& l : layers_)
    if (l->ffn().is_moe()) return false;
  return true;
}

int64_t Model::local_moe_layers() const {
  int64_t n = 0;
  for (auto& l : layers_) n += l->ffn().is_moe();
  if (shard_.has_head)
    for (auto& m : mtp_) n += m.block->ffn().is_moe();
  return n;
}

std::vector<std::vector<int64_t>> Model::expert_load(const ModelActs& acts) const {
  std::vector<std::vector<int64_t>> out;
  if (acts.mode != ForwardMode::train) return out;
  for (size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i]->ffn().is_moe()) out.push_back(acts.layers[i].ffn.expert_load);
  for (size_t k = 0; k < mtp_.size(); ++k)
    if (mtp_[k].block->ffn().is_moe())
      out.push_back(k < acts.mtp.size() ? acts.mtp[k].block.ffn.expert_load
                                        : std::vector<int64_t>(size_t(config_.n_routed_experts), 0));
  return out;
}

void Model::update_router_bias(const std::vector<std::vector<int64_t>>& load) const {
  std::vector<const MoeFeedForward*> moes;
  for (auto& l : layers_)
    if (l->ffn().is_moe()) moes.push_back(static_cast<const MoeFeedForward*>(&l->ffn()));
  for (auto& m : mtp_)
    if (m.block->ffn().is_moe()) moes.push_back(static_cast<const MoeFeedForward*>(&m.block->ffn()));
  R1_CHECK(load.size() == moes.size(), "router bias update: loads for ", load.size(), " layers, model has ", moes.size());
  const double speed = config_.router_bias_update_speed;
  for (size_t i = 0; i < moes.size(); ++i) {
    if (moes[i]->bias_param() < 0) continue;  // a router without the balancing bias (Qwen3-MoE)
    const auto& l = load[i];
    double mean = 0;
    for (int64_t c : l) mean += double(c);
    mean /= double(std::max<size_t>(1, l.size()));
    Tensor bias = store_.value(moes[i]->bias_param());  // the master copy (the router reads it)
    Tensor host = bias.is_host() ? bias : bias.to(Device::host);
    for (size_t e = 0; e < l.size(); ++e) {
      double step = double(l[e]) < mean ? speed : (double(l[e]) > mean ? -speed : 0.0);
      if (host.dtype() == DType::f64) host.data<double>()[e] += step;
      else host.data<float>()[e] += float(step);
    }
    if (!bias.is_host()) bias.copy_from(host);
  }
}

}  // namespace r1
