// ParallelGrid: the rank grid of a job (see grid_layout.hpp for the numbering) and the communicators
// its parallel schemes use, created once at start-up (collectively, in a fixed order) and owned here:
//   dp               the data-parallel ranks of this pipeline stage (gradients of dense parameters)
//   ep               this rank's expert-parallel group (MoE dispatch/combine all-to-all)
//   expert_replicas  the ranks of this stage holding the same expert shard (expert gradients)
//   pipeline         this rank's pipeline: one rank per stage, same dp_rank (activations, gradients)
//   embedding_pair   first and last stage of the pipeline, when both hold the embedding (pp > 1)
// Each has a TensorComm for tensor traffic (NCCL for CUDA tensors in CUDA builds, else MPI).
#pragma once
#include <memory>

#include "parallel/comm.hpp"
#include "parallel/grid_layout.hpp"
#include "parallel/tensor_comm.hpp"

namespace r1 {

class ParallelGrid {
 public:
  ParallelGrid(const Comm& world, const GridLayout& layout, Device device);

  const GridLayout& layout() const { return layout_; }
  const RankPosition& position() const { return position_; }
  bool first_stage() const { return position_.stage == 0; }
  bool last_stage() const { return position_.stage == layout_.pp - 1; }

  const Comm& world() const { return world_; }
  const Comm& dp() const { return dp_; }
  const Comm& ep() const { return ep_; }
  const Comm& expert_replicas() const { return expert_replicas_; }
  const Comm& pipeline() const { return pipeline_; }
  const Comm& embedding_pair() const { return embedding_pair_; }  // invalid when pp == 1

  TensorComm& dp_tensors() const { return *dp_t_; }
  TensorComm& ep_tensors() const { return *ep_t_; }
  TensorComm& expert_replica_tensors() const { return *expert_replicas_t_; }
  TensorComm& pipeline_tensors() const { return *pipeline_t_; }
  TensorComm* embedding_pair_tensors() const { return embedding_pair_t_.get(); }

 private:
  GridLayout layout_;
  RankPosition position_;
  Comm world_, dp_, ep_, expert_replicas_, pipeline_, embedding_pair_;
  std::unique_ptr<TensorComm> dp_t_, ep_t_, expert_replicas_t_, pipeline_t_, embedding_pair_t_;
};

}  // namespace r1
