// Model: embedding -> decoder layers -> final RMSNorm -> LM head, plus DeepSeek-V3's optional
// multi-token-prediction (MTP) modules. The model maps a packed token batch to the log-probability
// of each row's target token (and, per MTP depth, of the token `depth` further ahead); training
// objectives (cross-entropy, GRPO) are functions of those log-probs, so one backward from
// d(objective)/d(logp) serves every stage of the recipe. The forward is split into stage pieces
// (embed, layers, head) so pipeline parallelism can run them on different ranks.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "model/batch_layout.hpp"
#include "model/decoder_layer.hpp"
#include "model/kv_cache.hpp"
#include "model/model_config.hpp"
#include "model/param_store.hpp"
#include "model/rope_table.hpp"

namespace r1 {

// The part of the model this rank holds (everything by default).
struct ModelShard {
  int64_t layer_begin = 0, layer_end = -1;  // decoder layers [begin, end); -1 = all
  bool has_embedding = true;                 // first pipeline stage
  bool has_head = true;                      // last pipeline stage (final norm, LM head, MTP)
  ExpertRange experts{0, -1};                // routed experts held; end -1 = all
};

// A packed batch of sequences. targets[i] is the token to predict at row i (normally tokens[i+1]
// of the same sequence) or -1 for no prediction (prompt tokens, the last token).
struct TokenBatch {
  std::vector<int32_t> tokens, positions, targets;  // [N] each
  ops::SeqOffsets seqs;                             // [S + 1]
  double aux_loss_weight = 0;                       // per-sequence MoE balance-loss weight
  int64_t size() const { return int64_t(tokens.size()); }
};

enum class ForwardMode { train, inference };  // inference keeps no activations for a backward
enum class WithEntropy { no, yes };

struct ModelOutput {
  Tensor logp;                  // [N] log p(targets), 0 where target < 0
  Tensor entropy;               // [N] when requested
  std::vector<Tensor> mtp_logp; // per MTP depth d (1-based d = index + 1): [N] log p(targets[i + d])
  double aux_loss = 0;          // MoE sequence balance loss (already weighted)
};

struct MtpActs {
  Tensor emb_ids, emb, e_normed, e_rstd, h_in, h_normed, h_rstd, joined, out, out_normed, out_rstd, targets, lse;
  LayerActs block;
};

// Everything one micro-batch's forward saves for its backward.
struct ModelActs {
  BatchLayout layout;
  Tensor token_ids, targets;       // i32 [N] on the model device
  std::vector<LayerActs> layers;   // one per local layer (train); one reused scratch (inference)
  Tensor h_final, h_normed, final_rstd, lse;
  Tensor lm_head_saved;            // softmax - onehot [N, V] when the head saves it (lm_head_saves_dlogits)
  std::vector<MtpActs> mtp;
  ForwardMode mode = ForwardMode::train;
  double logit_scale = 1.0;  // of the main head (MTP heads always use 1)
};

class Model {
 public:
  // ep: the expert-parallel group's transport when the shard holds only some experts.
  Model(const ModelConfig& config, DType dtype, Device device, ModelShard shard = {}, TensorComm* ep = nullptr);
  Model(const Model&) = delete;
  // The parameters a Model of `config` and `shard` declares (names, shapes, order), without
  // allocating them: what HF import/export enumerate, in memory independent of the model's size.
  static std::vector<ParamInfo> declared_parameters(const ModelConfig& config, ModelShard shard = {});
  Model& operator=(const Model&) = delete;

 private:
  Model(const ModelConfig& config, DType dtype, Device device, ModelShard shard, TensorComm* ep, bool allocate);

 public:

  const ModelConfig& config() const { return config_; }
  const ModelShard& shard() const { return shard_; }
  TensorComm* expert_comm() const { return ep_; }
  ParamStore& params() { return store_; }
  const ParamStore& params() const { return store_; }
  DType dtype() const { return dtype_; }            // activations and compute weights
  DType stat_dtype() const { return stat_dtype_; }  // log-probs, statistics; master weights and gradients
  Device device() const { return device_; }
  void init_weights(uint64_t seed) { store_.initialize(seed, config_.initializer_range); }  // refreshes compute weights

  // Single-stage forward/backward (the whole model on this rank).
  // logit_scale multiplies the LM head's logits (1 / sampling temperature for RL log-probs).
  ModelOutput forward(const TokenBatch& batch, ModelActs& acts, ForwardMode mode,
                      WithEntropy entropy = WithEntropy::no, double logit_scale = 1.0) const;
  // dlogp [N]; mtp_dlogp one [N] tensor per MTP depth (may be empty to skip MTP). Accumulates grads.
  void backward(ModelActs& acts, const Tensor& dlogp, const std::vector<Tensor>& mtp_dlogp) const;

  // Stage pieces.
  void prepare(const TokenBatch& batch, ModelActs& acts, ForwardMode mode) const;
  Tensor embed(const ModelActs& acts) const;                          // [N, d]
  Tensor run_layers(const Tensor& h, ModelActs& acts) const;         // [N, d]
  ModelOutput head(const Tensor& h, ModelActs& acts, WithEntropy entropy, bool with_mtp, double logit_scale = 1.0) const;
  Tensor head_backward(ModelActs& acts, const Tensor& dlogp, const std::vector<Tensor>& mtp_dlogp) const;  // d h
  Tensor layers_backward(const Tensor& dh, ModelActs& acts) const;   // d(input of first local layer)
  void embed_backward(const Tensor& dh, const ModelActs& acts) const;

  // Generation. A cache for `slots` sequences of up to `capacity` positions on every local layer.
  KvCache make_kv_cache(int64_t slots, int64_t capacity) const;
  // Checks the rows against the cache and the vocabulary; returns each row's cache row
  // (slot * capacity + position).
  std::vector<int32_t> cache_rows(const CachedRows& rows, const KvCache& cache) const;
  CachedLayout cached_layout(const CachedRows& rows, const KvCache& cache) const;
  // Embeds (first stage) or takes `h` (later stages), runs the local layers writing the rows into the
  // cache, and returns the hidden states [N, d] (the last stage returns them normalised by the final
  // norm, ready for the LM head).
  Tensor forward_cached(const CachedRows& rows, KvCache& cache, const Tensor& h = Tensor()) const;
  // The same with the rows already on the model's device (tokens i32 [N], a checked layout): nothing
  // is copied from the host, so a decoding step can be recorded as a device graph.
  Tensor forward_cached(const Tensor& tokens, const CachedLayout& layout, KvCache& cache, const Tensor& h = Tensor()) const;
  // Whether forward_cached can be recorded as a device graph: no local MoE layer (their routing is
  // built on the host).
  bool cached_forward_recordable() const;
  // Logits of normalised hidden states: [rows, V] = logit_scale * h W_head^T.
  Tensor logits(const Tensor& h_normed_rows, double logit_scale = 1.0) const;

  // MoE balance: tokens per expert in this micro-batch, per local MoE layer (layer order).
  std::vector<std::vector<int64_t>> expert_load(const ModelActs& acts) const;
  // Aux-loss-free bias step b_e += speed * sign(mean(load) - load_e) for each local MoE layer, from
  // loads summed over every rank that routes tokens through the same layer.
  void update_router_bias(const std::vector<std::vector<int64_t>>& load) const;
  int64_t local_moe_layers() const;

  int64_t local_layers() const { return int64_t(layers_.size()); }
  int64_t first_layer() const { return shard_.layer_begin; }

 private:
  Tensor token_tensor(const std::vector<int32_t>& v) const;
  Tensor lm_head_weight() const;
  Tensor lm_head_grad() const;

  ModelConfig config_;
  ModelShard shard_;
  TensorComm* ep_ = nullptr;
  DType dtype_, stat_dtype_;
  Device device_;
  ParamStore store_;
  RopeTables rope_;
  int embed_ = -1, final_norm_ = -1, lm_head_ = -1;
  std::vector<std::unique_ptr<DecoderLayer>> layers_;
  struct MtpModule {
    int enorm = -1, hnorm = -1, eh_proj = -1, out_norm = -1;
    std::unique_ptr<DecoderLayer> block;
  };
  std::vector<MtpModule> mtp_;
};

}  // namespace r1
