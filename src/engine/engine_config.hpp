// The config sections the training engine reads: the optimizer (AdamW and its learning-rate
// schedule), checkpoints (where, how often, HDF5/MPI-IO knobs) and the parallel layout. The recipe's
// RunConfig (rl/run_config.hpp) holds them under the same keys as always (stages.N.optim,
// checkpoint, parallel); they live here so the engine needs nothing of the recipe.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/config_visitor.hpp"
#include "io/checkpoint/checkpoint_options.hpp"

namespace r1 {

enum class LrSchedule { constant, linear, cosine };
const EnumNames<LrSchedule>& lr_schedule_names();
inline const std::string& to_string(LrSchedule e) { return enum_name(e, lr_schedule_names()); }

struct OptimConfig {
  double lr = 1e-3;
  double min_lr_ratio = 0.1;      // final lr = lr * min_lr_ratio (cosine / linear)
  int64_t warmup_steps = 0;
  LrSchedule schedule = LrSchedule::cosine;
  double weight_decay = 0.1;
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double grad_clip = 1.0;         // max global gradient norm (0 = off)
  int64_t max_nonfinite_steps = 5;  // updates in a row with a non-finite gradient before the run stops
  void visit(ConfigVisitor& v);
};

// Checkpoints: where, how often, how many are kept, and the HDF5/MPI-IO knobs (docs/formats.md).
struct CheckpointConfig {
  std::string dir;            // default <run_dir>/checkpoints
  int64_t every = 50;         // steps within a stage between checkpoints (0: stage ends and stop signals only)
  int64_t keep = 3;           // newest complete checkpoints kept
  int64_t alignment = int64_t(1) << 20;  // H5Pset_alignment (bytes; match the file system's stripe size)
  int64_t chunk_bytes = 0;    // 0: contiguous datasets; else chunked datasets of about this many bytes
  bool collective = true;     // collective MPI-IO transfers (parallel HDF5)
  CheckpointTransport transport = CheckpointTransport::automatic;
  std::vector<std::string> mpi_hints;   // "key=value" MPI-IO hints, e.g. striping_factor=8
  bool file_locking = true;   // HDF5 flock on files opened without MPI-IO
  void visit(ConfigVisitor& v);
};
// The I/O options of checkpoint files written and read under `c`.
CheckpointIoOptions checkpoint_io_options(const CheckpointConfig& c);

struct ParallelConfig {
  int64_t pp = 1;  // pipeline stages
  int64_t ep = 1;  // expert-parallel group size (divides dp)
  std::vector<int64_t> layers;  // layers per pipeline stage (default: an even split)
  double bucket_mb = 32;        // gradient all-reduce bucket size (MiB)
  void visit(ConfigVisitor& v);
};

}  // namespace r1
