// `r1 bench ckpt`: checkpoint write and read bandwidth through r1's HDF5 checkpoint layer, next to the
// raw bandwidth of the same folder measured in the same run (large sequential writes with fsync,
// reads after dropping the page cache). Run under mpirun/srun to measure N ranks writing one file.
#include <cstdio>

#include "cli/command.hpp"
#include "core/log.hpp"
#include "io/checkpoint/checkpoint_bench.hpp"

namespace r1::cli {

namespace {
int bench_ckpt(const Args& a, const Comm& world) {
  CheckpointBenchOptions o;
  o.dir = a.get("--dir", ".");
  o.total_bytes = a.get_int("--size-mb", 1024) << 20;
  o.tensors = a.get_int("--tensors", 8);
  R1_INPUT_CHECK(o.total_bytes > 0 && o.tensors > 0, "r1 bench ckpt: --size-mb and --tensors must be positive");
  o.io.alignment = a.get_int("--alignment", o.io.alignment);
  o.io.chunk_bytes = a.get_int("--chunk-bytes", 0);
  const std::string t = a.get("--transport", "automatic");
  bool known = false;
  for (auto& [transport, name] : checkpoint_transport_names())
    if (name == t) o.io.transport = transport, known = true;
  R1_INPUT_CHECK(known, "r1 bench ckpt: --transport '", t, "' is not one of automatic, mpi_io, ranks_in_turn");
  CheckpointBenchResult r = run_checkpoint_bench(o, world);
  char line[512];
  std::snprintf(line, sizeof line,
                "checkpoint bench: %d rank(s), transport %s, %.2f GB in %lld tensors, folder %s\n"
                "  checkpoint write %7.2f GB/s  (%.2f s, incl. fsync + rename)\n"
                "  checkpoint read  %7.2f GB/s  (%.2f s)\n"
                "  raw disk write   %7.2f GB/s  (%.2f s, sequential + fsync)\n"
                "  raw disk read    %7.2f GB/s  (%.2f s)\n"
                "  write efficiency %5.1f%% of raw, read efficiency %5.1f%% of raw\n"
                "  page cache before reads: %s (resident share %.2f)",
                r.ranks, r.transport.c_str(), double(r.checkpoint_bytes) / 1e9, (long long)o.tensors, o.dir.c_str(),
                r.checkpoint_write_gbps, r.checkpoint_write_seconds, r.checkpoint_read_gbps, r.checkpoint_read_seconds,
                r.raw_write_gbps, r.raw_write_seconds, r.raw_read_gbps, r.raw_read_seconds,
                100 * r.checkpoint_write_gbps / std::max(1e-12, r.raw_write_gbps),
                100 * r.checkpoint_read_gbps / std::max(1e-12, r.raw_read_gbps), r.read_cache.c_str(),
                r.resident_before_read);
  log_line(line);
  return 0;
}

Registrar reg(Command{"bench ckpt", "checkpoint write/read GB/s next to the raw disk bandwidth of the same folder", "",
                      {},
                      {{"--dir", "DIR", "folder to measure (bench files are removed afterwards)", "."},
                       {"--size-mb", "MB", "checkpoint size", "1024"},
                       {"--tensors", "N", "tensors the checkpoint holds", "8"},
                       {"--alignment", "BYTES", "HDF5 alignment"},
                       {"--chunk-bytes", "BYTES", "chunked datasets of about this size (0 = contiguous)"},
                       {"--transport", "NAME", "automatic | mpi_io | ranks_in_turn", "automatic"}},
                      false,
                      true,
                      bench_ckpt});
}  // namespace

}  // namespace r1::cli
