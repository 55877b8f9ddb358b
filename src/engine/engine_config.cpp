// The engine's config sections: keys, help texts, bounds and the learning-rate schedule's spellings.
#include "engine/engine_config.hpp"

namespace r1 {

const EnumNames<LrSchedule>& lr_schedule_names() {
  static const EnumNames<LrSchedule> t = {
      {LrSchedule::constant, "constant"}, {LrSchedule::linear, "linear"}, {LrSchedule::cosine, "cosine"}};
  return t;
}

void OptimConfig::visit(ConfigVisitor& v) {
  v.field("lr", lr, "peak learning rate", greater_than(0));
  v.field("min_lr_ratio", min_lr_ratio, "final lr as a fraction of lr", between(0, 1));
  v.field("warmup_steps", warmup_steps, "linear warm-up steps", at_least(0));
  choice(v, "schedule", schedule, lr_schedule_names(), "decay after warm-up");
  v.field("weight_decay", weight_decay, "AdamW decoupled weight decay", at_least(0));
  v.field("beta1", beta1, "AdamW beta1", between(0, 0.999999));
  v.field("beta2", beta2, "AdamW beta2", between(0, 0.999999));
  v.field("eps", eps, "AdamW epsilon", greater_than(0));
  v.field("grad_clip", grad_clip, "max global gradient norm (0 = off)", at_least(0));
  v.field("max_nonfinite_steps", max_nonfinite_steps,
          "updates in a row with a non-finite gradient (skipped, counted) before the run stops", at_least(1));
}

void CheckpointConfig::visit(ConfigVisitor& v) {
  v.field("dir", dir, "checkpoint folder (default: <run_dir>/checkpoints)");
  v.field("every", every, "steps within a stage between checkpoints (0: stage ends and stop signals only)", at_least(0));
  v.field("keep", keep, "newest complete checkpoints kept", at_least(1));
  v.field("alignment", alignment, "HDF5 object alignment in bytes (file system stripe size)", at_least(0));
  v.field("chunk_bytes", chunk_bytes, "0: contiguous datasets; else chunked with about this many bytes per chunk", at_least(0));
  v.field("collective", collective, "collective MPI-IO transfers (parallel HDF5)");
  choice(v, "transport", transport, checkpoint_transport_names(), "how ranks write one file");
  v.field("mpi_hints", mpi_hints, "MPI-IO hints as key=value (e.g. striping_factor=8, romio_cb_write=enable)");
  v.field("file_locking", file_locking, "HDF5 file locking (turn off where flock is unsupported)");
}

CheckpointIoOptions checkpoint_io_options(const CheckpointConfig& c) {
  CheckpointIoOptions o;
  o.alignment = c.alignment;
  o.chunk_bytes = c.chunk_bytes;
  o.collective = c.collective;
  o.file_locking = c.file_locking;
  o.transport = c.transport;
  for (const std::string& h : c.mpi_hints) o.mpi_hints[h.substr(0, h.find('='))] = h.substr(h.find('=') + 1);
  return o;
}

void ParallelConfig::visit(ConfigVisitor& v) {
  v.field("pp", pp, "pipeline-parallel stages", at_least(1));
  v.field("ep", ep, "expert-parallel group size (divides dp)", at_least(1));
  v.field("layers", layers, "decoder layers per pipeline stage (default: an even split)");
  v.field("bucket_mb", bucket_mb, "gradient all-reduce bucket size in MiB (bounds the staging buffer)",
          greater_than(0));
}

}  // namespace r1
