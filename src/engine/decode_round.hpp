// DecodeRound: one round of batched decoding through this rank's pipeline stage — the decoding
// side of the pipeline schedule. The round's rows come in groups (KV-cache slot groups that follow
// each other through the stages, so stage s works on one group while stage s + 1 works on the
// previous one); each group's rows go through this stage's layers with the KV cache, activations
// pass to the next stage, the last stage samples one token per sequence from its last row (and keeps
// the token's log-prob under softmax(logit_scale * logits), the training forward's), and the tokens
// are broadcast to every stage of the pipeline.
//
// Expert parallelism couples the data-parallel replicas of a stage: every forward of a MoE layer is
// an all-to-all over the expert group, whose replicas decode different prompts and so need different
// numbers of rounds. The group agrees on which rounds and groups run; a replica with nothing left
// takes part with zero rows. (Pipeline peers hold the same requests, and every stage has the same
// expert groups of pipelines, so the agreement is the same at every stage.)
//
// On one pipeline stage without that coupling, rounds without a prompt to prefill replay recorded
// decoding steps (DecodeGraphs).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/decode_graphs.hpp"
#include "kernels/ops_types.hpp"
#include "model/model.hpp"
#include "parallel/parallel_grid.hpp"

namespace r1 {

// The rows of one round, per slot group.
struct RoundRows {
  std::vector<CachedRows> rows;                  // per group
  std::vector<std::vector<int64_t>> sample_rows;  // per group: each sequence's row to sample from
  std::vector<std::vector<double>> uniforms;     // per group: each sequence's uniform for sampling
  bool prefill = false;                          // some row belongs to a prompt being prefilled
  int64_t total_rows() const;
};

class DecodeRound {
 public:
  // `grid` may be null (one rank). `slots` sizes the slot groups.
  DecodeRound(const Model& model, KvCache& cache, const ParallelGrid* grid, const ops::SamplingParams& params,
              double logit_scale, int64_t slots);
  ~DecodeRound();
  // Slot groups in flight through the pipeline (slot i belongs to group i % groups()).
  int64_t groups() const { return groups_; }
  // Whether replicas of an expert group decode in lockstep (they must agree on every round).
  bool coupled() const { return coupled_; }
  // Collective over the pipeline and, when coupled, the expert group. False when no rank of the
  // group has rows left: generation is over. Else tokens[g] holds group g's sampled tokens (i32, one
  // per sequence) on every stage, and on the last stage logp[g] their log-probs; groups without rows
  // stay empty.
  bool run(const RoundRows& round, std::vector<Tensor>& tokens, std::vector<std::vector<double>>& logp);
  int64_t forwards() const { return forwards_; }  // stage forwards so far

 private:
  const Model& model_;
  KvCache& cache_;
  const ParallelGrid* grid_;
  ops::SamplingParams params_;
  double logit_scale_;
  int stages_ = 1, stage_ = 0;
  bool coupled_ = false;
  int64_t groups_ = 1, forwards_ = 0;
  std::unique_ptr<DecodeGraphs> graphs_;
};

}  // namespace r1
