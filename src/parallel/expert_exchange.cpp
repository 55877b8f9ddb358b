// Expert dispatch/combine over the expert-parallel group.
#include "parallel/expert_exchange.hpp"

#include "kernels/ops.hpp"
#include "parallel/step_timers.hpp"

namespace r1 {

ExpertExchangePlan plan_expert_exchange(const ops::MoeRouting& routing, int64_t experts_per_rank, TensorComm& ep,
                                        Device device) {
  const int n = ep.size();
  const int64_t e_local = experts_per_rank;
  R1_CHECK(routing.experts == e_local * n, "expert exchange: ", routing.experts, " experts over ", n, " ranks of ",
           e_local);
  // Counts this rank sends, per destination and local expert: [n, e_local].
  Tensor send_counts = Tensor::empty({n, e_local}, DType::i64);
  ExpertExchangePlan plan;
  plan.send_rows.assign(size_t(n), 0);
  for (int r = 0; r < n; ++r)
    for (int64_t e = 0; e < e_local; ++e) {
      int64_t g = r * e_local + e;
      int64_t c = routing.expert_offsets[size_t(g + 1)] - routing.expert_offsets[size_t(g)];
      send_counts.data<int64_t>()[r * e_local + e] = c;
      plan.send_rows[size_t(r)] += c;
    }
  Tensor recv_counts = Tensor::empty({n, e_local}, DType::i64);
  std::vector<int64_t> ones(size_t(n), 1);
  {
    ScopedStepTimer t(&step_timers(), StepPart::all_to_all);
    ep.all_to_all_rows(send_counts, ones, recv_counts, ones);
  }
  const int64_t* rc = recv_counts.data<int64_t>();
  plan.recv_rows.assign(size_t(n), 0);
  for (int r = 0; r < n; ++r)
    for (int64_t e = 0; e < e_local; ++e) plan.recv_rows[size_t(r)] += rc[r * e_local + e];
  // Source-major offsets of (source r, local expert e), then the expert-major order.
  std::vector<int64_t> src_offset(size_t(n * e_local));
  int64_t o = 0;
  for (int r = 0; r < n; ++r)
    for (int64_t e = 0; e < e_local; ++e) src_offset[size_t(r * e_local + e)] = o, o += rc[r * e_local + e];
  plan.received = o;
  std::vector<int32_t> to_expert(static_cast<size_t>(o)), to_source(static_cast<size_t>(o));
  plan.local_offsets.assign(size_t(e_local + 1), 0);
  int64_t row = 0;
  for (int64_t e = 0; e < e_local; ++e) {
    for (int r = 0; r < n; ++r)
      for (int64_t i = 0; i < rc[r * e_local + e]; ++i, ++row) {
        int64_t src = src_offset[size_t(r * e_local + e)] + i;
        to_expert[size_t(row)] = int32_t(src);
        to_source[size_t(src)] = int32_t(row);
      }
    plan.local_offsets[size_t(e + 1)] = row;
  }
  plan.to_expert_major = Tensor::from_vector(to_expert);
  plan.to_source_major = Tensor::from_vector(to_source);
  if (device != Device::host) {
    plan.to_expert_major = plan.to_expert_major.to(device);
    plan.to_source_major = plan.to_source_major.to(device);
  }
  return plan;
}

Tensor dispatch_rows(const Tensor& rows, const ExpertExchangePlan& plan, TensorComm& ep) {
  const int64_t d = rows.cols();
  Tensor source_major = Tensor::empty({plan.received, d}, rows.dtype(), rows.device());
  {
    ScopedStepTimer t(&step_timers(), StepPart::all_to_all);
    ep.all_to_all_rows(rows, plan.send_rows, source_major, plan.recv_rows);
  }
  Tensor expert_major = Tensor::empty({plan.received, d}, rows.dtype(), rows.device());
  if (plan.received) ops::gather_rows(source_major, plan.to_expert_major, expert_major);
  return expert_major;
}

Tensor combine_rows(const Tensor& rows, const ExpertExchangePlan& plan, TensorComm& ep) {
  const int64_t d = rows.cols();
  Tensor source_major = Tensor::empty({plan.received, d}, rows.dtype(), rows.device());
  if (plan.received) ops::gather_rows(rows, plan.to_source_major, source_major);
  int64_t back = 0;
  for (int64_t r : plan.send_rows) back += r;
  Tensor out = Tensor::empty({back, d}, rows.dtype(), rows.device());
  ScopedStepTimer t(&step_timers(), StepPart::all_to_all);
  ep.all_to_all_rows(source_major, plan.recv_rows, out, plan.send_rows);
  return out;
}

}  // namespace r1
