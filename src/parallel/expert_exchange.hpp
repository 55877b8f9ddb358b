// Expert parallelism's communication for one MoE layer: the expert-sorted token rows of this rank go
// to the ranks owning their experts (dispatch) and the expert outputs come back (combine), through a
// variable-count all-to-all over the expert-parallel group. Received rows arrive source-major (all
// rows from rank 0, then rank 1, ...; within a source by local expert) and are permuted to
// local-expert-major order for the grouped GEMMs. Dispatch and combine are each other's transpose,
// so the backward pass uses them swapped (dispatch the output gradients, combine the input ones).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/ops_types.hpp"
#include "parallel/tensor_comm.hpp"

namespace r1 {

struct ExpertExchangePlan {
  std::vector<int64_t> send_rows, recv_rows;  // per rank of the expert-parallel group
  std::vector<int64_t> local_offsets;         // local experts + 1: expert-major row ranges
  Tensor to_expert_major;  // i32 [received]: expert-major row i is source-major row to_expert_major[i]
  Tensor to_source_major;  // i32 [received]: the inverse permutation
  int64_t received = 0;
};

// Collective over `ep`. routing: this rank's tokens sorted over all experts; experts of rank r are
// [r * experts_per_rank, (r + 1) * experts_per_rank).
ExpertExchangePlan plan_expert_exchange(const ops::MoeRouting& routing, int64_t experts_per_rank, TensorComm& ep,
                                        Device device);
// rows [sum(send_rows), d] (expert-sorted, this rank's tokens) -> [received, d] expert-major on the owner.
Tensor dispatch_rows(const Tensor& rows, const ExpertExchangePlan& plan, TensorComm& ep);
// rows [received, d] expert-major -> [sum(send_rows), d] back on the tokens' rank, expert-sorted.
Tensor combine_rows(const Tensor& rows, const ExpertExchangePlan& plan, TensorComm& ep);

}  // namespace r1
