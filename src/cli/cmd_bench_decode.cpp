// `r1 bench decode CONFIG`: generation throughput of a recipe's model with the rollout engine (KV
// cache, continuous batching): random prompts of --prompt tokens, --new tokens each (past the
// end-of-sequence token), temperature/top-p sampling, --batch sequences at once. Reports tokens/s and,
// with --bandwidth (GB/s, from `r1 bench device`), the weight-read floor: at batch 1 every token
// needs every weight read once, so tokens/s cannot exceed bandwidth / weight bytes.
#include <chrono>
#include <cstdio>

#include "cli/command.hpp"
#include "cli/config_loading.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "kernels/runtime.hpp"
#include "rl/model_factory.hpp"
#include "rl/recipe_setup.hpp"
#include "rl/rollout/rollout_engine.hpp"

namespace r1::cli {

namespace {
int bench_decode(const Args& a, const Comm& world) {
  RecipeInputs in = load_recipe(a.positionals[0], a.overrides);
  const RunConfig& c = in.config;
  int argc = 0;
  ComputeRuntime runtime(argc, nullptr, int(c.threads));
  RunContext ctx{c, in.config_file, world, world, build_tokenizer(c)};
  setup_random_rank_model(ctx, world);
  const int64_t batch = a.get_int("--batch", 64), prompt = a.get_int("--prompt", 128), fresh = a.get_int("--new", 256);
  const int64_t rounds = a.get_int("--rounds", 3);
  SamplingConfig sc;
  sc.temperature = a.get_double("--temperature", 0.6);
  sc.top_p = a.get_double("--top-p", 0.95);
  sc.max_new_tokens = fresh;
  sc.batch = batch;
  sc.ignore_eos = true;
  std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(batch));
  CounterRng rng({uint64_t(c.seed), hash_string("bench-prompts")});
  for (auto& p : prompts)
    for (int64_t t = 0; t < prompt; ++t) p.push_back(int32_t(rng.below(uint64_t(ctx.policy.model->config().vocab_size))));
  std::vector<RolloutRequest> requests;
  for (int64_t i = 0; i < batch; ++i) requests.push_back({i, 0, &prompts[size_t(i)]});
  RolloutEngine engine(*ctx.policy.model, ctx.policy.tokenizer, ctx.run.grid.get());
  double best = 1e30;
  RolloutStats best_stats;
  for (int64_t r = 0; r < rounds + 1; ++r) {  // the first round warms up
    ComputeRuntime::synchronize_device();
    ComputeRuntime::reset_device_op_profile();
    auto t0 = std::chrono::steady_clock::now();
    RolloutStats stats;
    engine.generate(requests, sc, uint64_t(c.seed), r, &stats);
    ComputeRuntime::synchronize_device();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0 && s < best) {
      best = s;
      best_stats = stats;
    }
  }
  if (std::string profile = ComputeRuntime::device_op_profile(); !profile.empty())
    log_line("last round, " + profile);
  const double tokens_per_s = double(batch * fresh) / best;
  const double weight_bytes = double(ctx.policy.model->params().numel()) * double(dtype_size(ctx.run.dtype));
  char line[512];
  std::snprintf(line, sizeof line,
                "bench decode: %s, batch %lld, prompt %lld, %lld new tokens (T %.2f, top-p %.2f): %.1f s -> %s tokens/s, "
                "%.2f ms per step",
                in.config_file.c_str(), (long long)batch, (long long)prompt, (long long)fresh, sc.temperature, sc.top_p,
                best, format_count(tokens_per_s).c_str(), 1e3 * best / double(fresh));
  log_line(line);
  const double decode_step = best_stats.decode_rounds > 0 ? best_stats.decode_seconds / double(best_stats.decode_rounds) : 0;
  std::snprintf(line, sizeof line, "  prefill rounds %.1f ms in all; %lld decoding rounds of %.2f ms each",
                1e3 * (best - best_stats.decode_seconds), (long long)best_stats.decode_rounds, 1e3 * decode_step);
  log_line(line);
  if (double bw = a.get_double("--bandwidth", 0); bw > 0) {
    const double floor_s = weight_bytes / (bw * 1e9);  // one read of every weight per decoding step
    std::snprintf(line, sizeof line,
                  "  weight-read floor: %.3f ms per step (%.2f GB of weights at %.0f GB/s); measured step is %.1f%% of "
                  "that floor's speed",
                  1e3 * floor_s, weight_bytes / 1e9, bw, 100 * floor_s / (best / double(fresh)));
    log_line(line);
  }
  return 0;
}

Registrar reg(Command{"bench decode", "generation throughput with the KV cache (tokens/s, weight-read floor)", "",
                      {{"CONFIG", "recipe file or built-in name (its model and device)"}},
                      {{"--batch", "N", "sequences decoded together", "64"},
                       {"--prompt", "N", "prompt tokens", "128"},
                       {"--new", "N", "new tokens per sequence", "256"},
                       {"--temperature", "T", "sampling temperature", "0.6"},
                       {"--top-p", "P", "nucleus mass", "0.95"},
                       {"--rounds", "N", "timed rounds after one warm-up (best reported)", "3"},
                       {"--bandwidth", "GB/s", "measured memory bandwidth for the weight-read floor"}},
                      true, true, bench_decode});
}  // namespace

}  // namespace r1::cli
