// `r1 bench train`: the scaling driver. Runs N training steps of a recipe's pretrain/sft stage on
// the current rank layout (no run directory, no checkpoints) and reports tokens/s for the job and
// per rank, and where step time goes (compute, all-to-all, pipeline wait, all-reduce), averaged over
// the timed steps after warm-up.
#pragma once
#include <string>

#include "parallel/comm.hpp"
#include "rl/recipe_runner.hpp"

namespace r1 {

struct BenchTrainOptions {
  int64_t steps = 20, warmup = 3;
  std::string stage;             // name or index of the stage to time (default: the first pretrain/sft stage)
  int64_t batch_per_rank = 0;    // weak scaling: sequences per rank per step (global = this x data-parallel ranks)
  int64_t global_batch = 0;      // strong scaling: sequences per step for the whole job
  double peak_tflops = 0;        // measured bf16 GEMM rate for MFU (0: MFU not reported)
};

struct BenchTrainResult {
  int ranks = 1;
  int64_t global_batch = 0, steps = 0;
  double tokens_per_s = 0, tokens_per_s_per_rank = 0, step_seconds = 0;
  double compute_s = 0, all_to_all_s = 0, pipeline_wait_s = 0, all_reduce_s = 0;  // per step, max over ranks
  int64_t parameters = 0;
  double model_tflops_per_s = 0, mfu = 0;  // model FLOPs rate (per rank) and its share of peak_tflops
  int64_t peak_device_bytes = 0;           // device memory high-water mark (CUDA)
};

BenchTrainResult bench_train(const RecipeInputs& in, const BenchTrainOptions& options, const Comm& world);

}  // namespace r1
