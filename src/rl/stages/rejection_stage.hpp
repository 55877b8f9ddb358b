// The rejection_sample stage: N completions per prompt from the current model; keep those the
// verifier accepts and that pass the readability filters (format, no language mixing, length
// bounds, no duplicates); the kept set becomes the SFT data of the next stage and is written to an
// HDF5 dataset file. Also used by distill to collect the teacher's traces.
#pragma once
#include <vector>

#include "rl/data/example.hpp"
#include "rl/run_context.hpp"

namespace r1 {

struct RejectionStats {
  int64_t prompts = 0, samples = 0, kept = 0;
  int64_t rejected_incorrect = 0, rejected_format = 0, rejected_language = 0, rejected_length = 0, rejected_duplicate = 0;
};

// Returns the kept examples of the whole job (gathered on every rank).
std::vector<Example> rejection_sample(RunContext& ctx, const Model& model, const std::vector<Example>& prompts,
                                      const RejectionConfig& cfg, uint64_t stream_seed, RejectionStats* stats);
void run_rejection_stage(RunContext& ctx, const StageConfig& stage, const std::vector<Example>& prompts);

}  // namespace r1
