// 1F1B pipeline schedule and pipelined inference forward.
#include "engine/pipeline_schedule.hpp"

#include "parallel/step_timers.hpp"

namespace r1 {

namespace {

struct StageIo {
  const Model& model;
  const ParallelGrid& grid;
  int stage, stages;
  int prev() const { return stage > 0 ? stage - 1 : -1; }
  int next() const { return stage + 1 < stages ? stage + 1 : -1; }
  Tensor hidden_buffer(const TokenBatch& b) const {
    return Tensor::empty({b.size(), model.config().hidden_size}, model.dtype(), model.device());
  }
  // One combined step: optionally send to a neighbour and receive from one.
  void exchange(const Tensor& send, int to, Tensor& recv, int from) const {
    if (to < 0 && from < 0) return;
    ScopedStepTimer t(&step_timers(), StepPart::pipeline_wait);
    grid.pipeline_tensors().exchange(send, to, recv, from);
  }
};

void accumulate_load(PipelineStepResult& r, const std::vector<std::vector<int64_t>>& l) {
  if (r.expert_load.empty()) {
    r.expert_load = l;
    return;
  }
  for (size_t i = 0; i < l.size(); ++i)
    for (size_t e = 0; e < l[i].size(); ++e) r.expert_load[i][e] += l[i][e];
}

}  // namespace

PipelineStepResult pipeline_forward_backward(const Model& model, const ParallelGrid& grid,
                                             const std::vector<TokenBatch>& micro, const LossFunction& loss,
                                             const PipelineOptions& opt) {
  const int stages = int(grid.layout().pp), stage = int(grid.position().stage);
  StageIo io{model, grid, stage, stages};
  const bool first = stage == 0, last = stage == stages - 1;
  const size_t m = micro.size();
  std::vector<ModelActs> acts(m);
  std::vector<Tensor> grad_out(m);  // last stage: its micro-batch's d(hidden) from the head
  PipelineStepResult result;

  // Forward of micro-batch i given its input (ignored on the first stage). Returns the stage output;
  // on the last stage it also runs the head, the loss and the head's backward.
  auto forward = [&](size_t i, const Tensor& input) -> Tensor {
    model.prepare(micro[i], acts[i], ForwardMode::train);
    Tensor h = model.run_layers(first ? model.embed(acts[i]) : input, acts[i]);
    for (auto& la : acts[i].layers) result.aux_loss += la.ffn.aux_loss;
    accumulate_load(result, model.expert_load(acts[i]));
    if (!last) return h;
    ModelOutput out = model.head(h, acts[i], opt.entropy, opt.with_mtp, opt.logit_scale);
    result.aux_loss += out.aux_loss;
    MicroBatchGrad g = loss(i, micro[i], out);
    grad_out[i] = model.head_backward(acts[i], g.dlogp, g.mtp_dlogp);
    return h;
  };
  // Backward of micro-batch i given d(stage output); returns d(stage input) (empty on the first stage).
  auto backward = [&](size_t i, const Tensor& dout) -> Tensor {
    Tensor dh = model.layers_backward(last ? grad_out[i] : dout, acts[i]);
    if (first) model.embed_backward(dh, acts[i]);
    acts[i] = ModelActs();  // free the saved activations
    return first ? Tensor() : dh;
  };

  const size_t warmup = std::min<size_t>(size_t(stages - stage - 1), m), steady = m - warmup;
  Tensor none;
  // Warm-up forwards.
  for (size_t i = 0; i < warmup; ++i) {
    Tensor in = first ? Tensor() : io.hidden_buffer(micro[i]);
    io.exchange(none, -1, in, io.prev());
    Tensor out = forward(i, in);
    io.exchange(out, io.next(), none, -1);
  }
  Tensor in;
  if (steady > 0) {
    in = first ? Tensor() : io.hidden_buffer(micro[warmup]);
    io.exchange(none, -1, in, io.prev());
  }
  // Steady state: forward i + warmup, backward i.
  for (size_t i = 0; i < steady; ++i) {
    const size_t f = i + warmup;
    Tensor out = forward(f, in);
    Tensor dout = last ? Tensor() : io.hidden_buffer(micro[i]);
    io.exchange(out, io.next(), dout, last ? -1 : io.next());  // send forward, receive backward
    Tensor din = backward(i, dout);
    if (i + 1 < steady) {
      in = first ? Tensor() : io.hidden_buffer(micro[f + 1]);
      io.exchange(din, io.prev(), in, io.prev());  // send backward, receive forward
    } else {
      io.exchange(din, io.prev(), none, -1);
    }
  }
  // Cool-down backwards.
  for (size_t i = steady; i < m; ++i) {
    Tensor dout = last ? Tensor() : io.hidden_buffer(micro[i]);
    io.exchange(none, -1, dout, last ? -1 : io.next());
    Tensor din = backward(i, dout);
    io.exchange(din, io.prev(), none, -1);
  }
  return result;
}

std::vector<ModelOutput> pipeline_forward(const Model& model, const ParallelGrid& grid, const std::vector<TokenBatch>& micro,
                                          const PipelineOptions& opt) {
  const int stages = int(grid.layout().pp), stage = int(grid.position().stage);
  StageIo io{model, grid, stage, stages};
  const bool first = stage == 0, last = stage == stages - 1;
  std::vector<ModelOutput> outs(micro.size());
  Tensor none;
  // Micro-batches flow stage to stage; stage s works on micro-batch i while s + 1 works on i - 1.
  for (size_t i = 0; i < micro.size(); ++i) {
    Tensor in = first ? Tensor() : io.hidden_buffer(micro[i]);
    io.exchange(none, -1, in, io.prev());
    ModelActs acts;
    model.prepare(micro[i], acts, ForwardMode::inference);
    Tensor h = model.run_layers(first ? model.embed(acts) : in, acts);
    if (last) outs[i] = model.head(h, acts, opt.entropy, false, opt.logit_scale);
    else io.exchange(h, io.next(), none, -1);
  }
  return outs;
}

}  // namespace r1
