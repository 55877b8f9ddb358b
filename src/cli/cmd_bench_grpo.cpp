// `r1 bench grpo CONFIG`: whole GRPO steps of a recipe's grpo stage on random weights, phase by phase
// (rl/bench_grpo.hpp). `--json FILE` appends the result as one JSON line.
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/config_loading.hpp"
#include "core/log.hpp"
#include "kernels/runtime.hpp"
#include "rl/bench_grpo.hpp"

namespace r1::cli {

namespace {

nlohmann::json result_json(const std::string& config, const BenchGrpoResult& r) {
  nlohmann::json j = {{"bench", "grpo"},
                      {"config", config},
                      {"ranks", r.ranks},
                      {"parameters", r.parameters},
                      {"prompts", r.prompts},
                      {"group", r.group},
                      {"prompt_tokens", r.prompt_tokens},
                      {"new_tokens", r.new_tokens},
                      {"slots", r.slots},
                      {"steps", r.steps},
                      {"step_s", r.step_s},
                      {"prefill_s", r.prefill_s},
                      {"decode_s", r.decode_s},
                      {"rewards_s", r.rewards_s},
                      {"old_logp_s", r.old_logp_s},
                      {"ref_logp_s", r.ref_logp_s},
                      {"update_s", r.update_s},
                      {"tokens_generated", r.tokens_generated},
                      {"tokens_trained", r.tokens_trained},
                      {"generated_per_s", r.generated_per_s},
                      {"trained_per_s", r.trained_per_s},
                      {"generation_share", r.generation_share},
                      {"peak_device_bytes", r.peak_device_bytes}};
  if (r.floor_s > 0) j["generation_floor_s"] = r.floor_s;
  if (r.logp_equal_share >= 0) {
    j["logp_mismatch_max"] = r.logp_mismatch_max;
    j["logp_mismatch_mean"] = r.logp_mismatch_mean;
    j["logp_equal_share"] = r.logp_equal_share;
  }
  return j;
}

int bench_grpo_command(const Args& a, const Comm& world) {
  RecipeInputs in = load_recipe(a.positionals[0], a.overrides);
  int argc = 0;
  ComputeRuntime runtime(argc, nullptr, int(in.config.threads));
  BenchGrpoOptions o;
  o.steps = a.get_int("--steps", 2);
  o.warmup = a.get_int("--warmup", 1);
  o.stage = a.get("--stage");
  o.bandwidth_gbs = a.get_double("--bandwidth", 0);
  const BenchGrpoResult r = bench_grpo(in, o, world);
  const double gen = r.prefill_s + r.decode_s;
  char line[1200];
  std::snprintf(line, sizeof line,
                "bench grpo: %s, %d rank(s), %s parameters, %lld prompts x %lld completions, prompt %lld + %lld new "
                "tokens, %lld sequences in flight per rank, %lld timed steps\n"
                "  step %.3f s: prefill rounds %.3f s, decode rounds %.3f s, rewards %.3f s, old log-probs %.3f s, "
                "reference log-probs %.3f s, update %.3f s (generation %.0f%% of the step)\n"
                "  tokens generated/s %s, tokens trained/s %s, peak device memory %.2f GiB",
                in.config_file.c_str(), r.ranks, format_count(double(r.parameters)).c_str(), (long long)r.prompts,
                (long long)r.group, (long long)r.prompt_tokens, (long long)r.new_tokens, (long long)r.slots,
                (long long)r.steps, r.step_s, r.prefill_s, r.decode_s, r.rewards_s, r.old_logp_s, r.ref_logp_s,
                r.update_s, 100 * r.generation_share, format_count(r.generated_per_s).c_str(),
                format_count(r.trained_per_s).c_str(), double(r.peak_device_bytes) / double(1 << 30));
  log_line(line);
  if (r.floor_s > 0) {
    std::snprintf(line, sizeof line,
                  "  generation floor %.3f s per step (each decoding round reads %.2f GB of weights and %.0f KB of KV "
                  "cache per cached token, at %.0f GB/s): measured generation is %.1f%% of the floor's speed",
                  r.floor_s, r.weight_bytes / 1e9, r.kv_bytes_per_token / 1e3, o.bandwidth_gbs, 100 * r.floor_s / gen);
    log_line(line);
  }
  if (r.logp_equal_share >= 0) {
    std::snprintf(line, sizeof line,
                  "  rollout vs training log-probs of the sampled tokens: max |diff| %.3g, mean |diff| %.3g, %.2f%% "
                  "exactly equal",
                  r.logp_mismatch_max, r.logp_mismatch_mean, 100 * r.logp_equal_share);
    log_line(line);
  }
  if (auto json = a.maybe("--json"); json && world.rank() == 0) {
    std::ofstream out(*json, std::ios::app);
    R1_INPUT_CHECK(out, *json, ": cannot append");
    out << result_json(in.config_file, r).dump() << "\n";
  }
  return 0;
}

Registrar reg(Command{
    "bench grpo",
    "time whole GRPO steps: prefill, decode, rewards, log-probs, update; tokens/s; generation floor",
    "Times a recipe's grpo stage on random weights (no run directory, no checkpoints), phase by phase, on the\n"
    "current rank layout. For random weights set grpo.sampling.ignore_eos so every completion has full length.",
    {{"CONFIG", "recipe file or built-in name"}},
    {{"--steps", "N", "timed steps", "2"},
     {"--warmup", "N", "untimed steps first", "1"},
     {"--stage", "NAME", "stage name or index (default: the first grpo stage)"},
     {"--bandwidth", "GB/s", "measured memory bandwidth (r1 bench device) for the generation floor"},
     {"--json", "FILE", "append the result as a JSON line"}},
    true,
    true,
    bench_grpo_command});
}  // namespace

}  // namespace r1::cli
