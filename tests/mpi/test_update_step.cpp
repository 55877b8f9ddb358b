// The one update path (engine/update_step.hpp) under every training stage: the routers' balancing bias
// moves with the update's expert loads whatever the loss (a GRPO-style loss moves it exactly as the
// SFT loss does, and both as the sign rule computed here from the loads of a separate forward,
// summed over the replicas), and a non-finite gradient is skipped with the weights untouched, counted,
// and stops the stage after optim.max_nonfinite_steps in a row. Runs on 1 and 2 ranks (dp).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "common/test_support.hpp"
#include "core/config_yaml.hpp"
#include "core/rng.hpp"
#include "kernels/ops.hpp"
#include "mpi/mpi_test_support.hpp"
#include "rl/data/token_batch_builder.hpp"
#include "rl/model_factory.hpp"
#include "engine/update_step.hpp"

using namespace r1;
using namespace r1::test;

namespace {

struct Setup {
  RunConfig rc;
  Tokenizer tok = Tokenizer::train_bpe({"a b c"}, 260, {"<|endoftext|>"});
  std::unique_ptr<RunContext> ctx;
  std::vector<Example> examples;  // this rank's share
  explicit Setup(const Comm& comm) {
    read_config(ConfigSource{"<model>", tiny_moe_model_yaml(), {}}, rc.model);
    StageConfig stage;
    stage.kind = StageKind::grpo;
    stage.optim.grad_clip = 0;
    rc.stages.push_back(stage);
    ctx = host_run_context(rc, comm, tok, 7);
    CounterRng rng({17, uint64_t(comm.rank())});
    for (int i = 0; i < 6; ++i) {
      Example e;
      for (int t = 0; t < 4; ++t) e.prompt.push_back(int32_t(rng.below(60)));
      for (int t = 0; t < 5 + i % 3; ++t) e.response.push_back(int32_t(rng.below(60)));
      examples.push_back(e);
    }
  }
  std::vector<TokenBatch> micro() const {
    std::vector<const Example*> a, b;
    for (size_t i = 0; i < examples.size(); ++i) (i < 3 ? a : b).push_back(&examples[i]);
    return {build_token_batch(a, LossOn::response_tokens, 1 << 30), build_token_batch(b, LossOn::response_tokens, 1 << 30)};
  }
  std::vector<double> biases() const {
    std::vector<double> out;
    const ParamStore& ps = ctx->policy.model->params();
    for (size_t i = 0; i < ps.params().size(); ++i)
      if (ps.params()[i].name.find("e_score_correction_bias") != std::string::npos)
        for (double v : to_f64_vector(ps.value(int(i)))) out.push_back(v);
    return out;
  }
};

Tensor filled(int64_t n, double value) {
  Tensor t = Tensor::empty({n}, DType::f32);
  ops::fill(t, value);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_update_step)

BOOST_AUTO_TEST_CASE(router_bias_moves_with_the_loads_whatever_the_loss) {
  Comm comm = world_comm();
  Setup sft(comm), grpo(comm), probe(comm);
  const std::vector<double> before = sft.biases();
  BOOST_REQUIRE(!before.empty());

  // Expected: the sign rule on the loads of a separate training-mode forward, summed over replicas.
  std::vector<int64_t> load;
  int64_t experts = probe.rc.model.n_routed_experts;
  for (const TokenBatch& b : probe.micro()) {
    ModelActs acts;
    probe.ctx->policy.model->forward(b, acts, ForwardMode::train);
    auto l = probe.ctx->policy.model->expert_load(acts);
    if (load.empty()) load.assign(l.size() * size_t(experts), 0);
    for (size_t i = 0; i < l.size(); ++i)
      for (size_t e = 0; e < size_t(experts); ++e) load[i * size_t(experts) + e] += l[i][e];
  }
  comm.allreduce(load);
  std::vector<double> expected = before;
  const double speed = probe.rc.model.router_bias_update_speed;
  for (size_t layer = 0; layer * size_t(experts) < load.size(); ++layer) {
    double mean = 0;
    for (size_t e = 0; e < size_t(experts); ++e) mean += double(load[layer * size_t(experts) + e]) / double(experts);
    for (size_t e = 0; e < size_t(experts); ++e) {
      double l = double(load[layer * size_t(experts) + e]);
      double& x = expected[layer * size_t(experts) + e];  // the model adds in float32
      x = double(float(x) + float(l < mean ? speed : l > mean ? -speed : 0.0));
    }
  }

  Optimizer opt_sft(sft.ctx->policy.model->params(), sft.rc.stages[0].optim, 1);
  std::vector<TokenBatch> m1 = sft.micro();
  auto sft_loss = [&](size_t, const TokenBatch& b, const ModelOutput&) {
    MicroBatchGrad g;
    g.dlogp = filled(b.size(), -0.01);
    return g;
  };
  UpdateResult a = run_update(sft.ctx->update_target(), opt_sft, m1, 12 * comm.size(), sft_loss, {});

  Optimizer opt_grpo(grpo.ctx->policy.model->params(), grpo.rc.stages[0].optim, 1);
  std::vector<TokenBatch> m2 = grpo.micro();
  auto grpo_loss = [&](size_t mi, const TokenBatch& b, const ModelOutput&) {  // advantages of either sign
    MicroBatchGrad g;
    g.dlogp = filled(b.size(), mi == 0 ? 0.3 : -0.7);
    return g;
  };
  UpdateResult b = run_update(grpo.ctx->update_target(), opt_grpo, m2, 12 * comm.size(), grpo_loss, {});

  BOOST_TEST(!a.skipped);
  BOOST_TEST(!b.skipped);
  BOOST_TEST(a.aux_loss > 0);  // the sequence balance loss is on (seq_aux_loss_alpha)
  const std::vector<double> after_sft = sft.biases(), after_grpo = grpo.biases();
  BOOST_TEST(after_sft == expected, boost::test_tools::per_element());
  BOOST_TEST(after_grpo == expected, boost::test_tools::per_element());
  BOOST_TEST(after_sft != before);
}

BOOST_AUTO_TEST_CASE(nonfinite_gradient_is_skipped_counted_and_stops_after_the_limit) {
  Comm comm = world_comm();
  Setup s(comm);
  Optimizer opt(s.ctx->policy.model->params(), s.rc.stages[0].optim, 3);
  const ParamStore& ps = s.ctx->policy.model->params();
  // Every weight but the router bias (which follows the loads, finite here) must stay as it was.
  auto weights = [&] {
    std::vector<double> out;
    for (size_t i = 0; i < ps.params().size(); ++i)
      if (ps.params()[i].name.find("e_score_correction_bias") == std::string::npos)
        for (double v : to_f64_vector(ps.value(int(i)))) out.push_back(v);
    return out;
  };
  const std::vector<double> before = weights();
  NonFiniteGuard guard("grpo", 3);
  for (int i = 0; i < 3; ++i) {
    std::vector<TokenBatch> m = s.micro();
    auto nan_loss = [&](size_t mi, const TokenBatch& b, const ModelOutput&) {  // NaN on rank 0's first micro-batch only
      MicroBatchGrad g;
      g.dlogp = filled(b.size(), comm.rank() == 0 && mi == 0 ? std::numeric_limits<double>::quiet_NaN() : 0.1);
      return g;
    };
    UpdateResult r = run_update(s.ctx->update_target(), opt, m, 12 * comm.size(), nan_loss, {});
    BOOST_TEST(r.skipped);  // on every rank: the norm is global
    BOOST_TEST(r.lr == 0.0);
    guard.record(r.skipped);
    BOOST_TEST(guard.total() == i + 1);
    if (i < 2) BOOST_CHECK_NO_THROW(guard.check());
  }
  const std::vector<double> after = weights();
  BOOST_TEST(after == before, boost::test_tools::per_element());
  BOOST_TEST(opt.steps_taken() == 0);
  try {
    guard.check();
    BOOST_FAIL("three skipped updates in a row should stop the stage");
  } catch (const Error& e) {
    std::string m = e.what();
    BOOST_TEST(m.find("grpo") != std::string::npos, m);
    BOOST_TEST(m.find("max_nonfinite_steps") != std::string::npos, m);
  }
  guard.record(false);
  BOOST_CHECK_NO_THROW(guard.check());  // a finite update ends the run of skips
  BOOST_TEST(guard.total() == 3);
}

BOOST_AUTO_TEST_SUITE_END()
