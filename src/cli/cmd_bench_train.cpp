// `r1 bench train CONFIG`: tokens/s, tokens/s per rank and the step-time split of a recipe's training
// stage on the current rank layout. `--csv FILE` appends one line per run (the scaling scripts
// collect these).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/command.hpp"
#include "cli/config_loading.hpp"
#include "core/log.hpp"
#include "kernels/runtime.hpp"
#include "rl/bench_train.hpp"

namespace r1::cli {

namespace {
int bench_train_command(const Args& a, const Comm& world) {
  RecipeInputs in = load_recipe(a.positionals[0], a.overrides);
  int argc = 0;
  ComputeRuntime runtime(argc, nullptr, int(in.config.threads));
  BenchTrainOptions o;
  o.steps = a.get_int("--steps", 20);
  o.warmup = a.get_int("--warmup", 3);
  o.stage = a.get("--stage");
  o.batch_per_rank = a.get_int("--batch-per-rank", 0);
  o.global_batch = a.get_int("--global-batch", 0);
  o.peak_tflops = a.get_double("--peak-tflops", 0);
  R1_INPUT_CHECK(o.steps >= 1 && o.warmup >= 0, "r1 bench train: --steps must be >= 1 and --warmup >= 0");
  R1_INPUT_CHECK(!(o.batch_per_rank > 0 && o.global_batch > 0), "r1 bench train: give --batch-per-rank (weak scaling) or --global-batch (strong scaling), not both");
  BenchTrainResult r = bench_train(in, o, world);
  char line[900];
  std::snprintf(line, sizeof line,
                "bench train: %s, %d rank(s), %s parameters, global batch %lld sequences, %lld timed steps\n"
                "  tokens/s %s   tokens/s per rank %s   step %.4f s\n"
                "  step split: compute %.4f s, all-to-all %.4f s, pipeline wait %.4f s, all-reduce %.4f s\n",
                in.config_file.c_str(), r.ranks, format_count(double(r.parameters)).c_str(), (long long)r.global_batch,
                (long long)r.steps, format_count(r.tokens_per_s).c_str(), format_count(r.tokens_per_s_per_rank).c_str(),
                r.step_seconds, r.compute_s, r.all_to_all_s, r.pipeline_wait_s, r.all_reduce_s);
  // Model FLOP rate in the unit that fits (host runs are GFLOP/s), MFU when a peak was given, and
  // the device memory high-water mark on GPUs.
  char rate[200];
  if (r.model_tflops_per_s >= 1) std::snprintf(rate, sizeof rate, "  model %.1f TFLOP/s per rank", r.model_tflops_per_s);
  else std::snprintf(rate, sizeof rate, "  model %.2f GFLOP/s per rank", r.model_tflops_per_s * 1e3);
  std::string tail = rate;
  if (r.mfu > 0) tail += ", MFU " + std::to_string(int(100 * r.mfu + 0.5)) + "%";
  if (r.peak_device_bytes > 0) {
    char mem[80];
    std::snprintf(mem, sizeof mem, "   peak device memory %.2f GiB", double(r.peak_device_bytes) / double(1 << 30));
    tail += mem;
  }
  std::strncat(line, tail.c_str(), sizeof line - std::strlen(line) - 1);
  log_line(line);
  if (auto csv = a.maybe("--csv"); csv && world.rank() == 0) {
    bool header = !std::filesystem::exists(*csv);
    std::ofstream out(*csv, std::ios::app);
    R1_INPUT_CHECK(out, *csv, ": cannot append");
    if (header)
      out << "label,ranks,global_batch,steps,tokens_per_s,tokens_per_s_per_rank,step_s,compute_s,all_to_all_s,"
             "pipeline_wait_s,all_reduce_s\n";
    out << a.get("--label", "run") << "," << r.ranks << "," << r.global_batch << "," << r.steps << "," << r.tokens_per_s
        << "," << r.tokens_per_s_per_rank << "," << r.step_seconds << "," << r.compute_s << "," << r.all_to_all_s << ","
        << r.pipeline_wait_s << "," << r.all_reduce_s << "\n";
  }
  return 0;
}

Registrar reg(Command{
    "bench train",
    "time training steps: tokens/s, tokens/s per rank, step-time split",
    "Times a recipe's pretrain/sft stage on the current rank layout (launch with mpirun/srun). Weak scaling:\n"
    "--batch-per-rank N keeps the work per rank fixed; strong scaling: --global-batch N fixes the job's batch.",
    {{"CONFIG", "recipe file or built-in name"}},
    {{"--steps", "N", "timed steps", "20"},
     {"--warmup", "N", "untimed steps first", "3"},
     {"--stage", "NAME", "stage name or index (default: the first pretrain/sft stage)"},
     {"--batch-per-rank", "N", "weak scaling: sequences per rank per step"},
     {"--global-batch", "N", "strong scaling: sequences per step for the whole job"},
     {"--csv", "FILE", "append the result as a CSV line"},
     {"--peak-tflops", "T", "measured bf16 GEMM TFLOP/s (r1 bench device) to report MFU against"},
     {"--label", "TEXT", "label of the CSV line", "run"}},
    true,
    true,
    bench_train_command});
}  // namespace

}  // namespace r1::cli
