// Checkpoint bandwidth measurement (for `r1 bench ckpt`): writes and reads a checkpoint of a given
// total size (several f32 tensors, rows split over the ranks) through CheckpointWriter/Reader, and
// measures the raw bandwidth of the same folder dd-style (each rank writes its own file in large
// sequential blocks and fsyncs it, then reads it back). Before each read the page cache is dropped
// with posix_fadvise(DONTNEED) and checked with mincore; the result says whether that worked.
#pragma once
#include <cstdint>
#include <string>

#include "io/checkpoint/checkpoint_options.hpp"
#include "parallel/comm.hpp"

namespace r1 {

struct CheckpointBenchOptions {
  std::string dir;                         // folder measured; its bench files are removed afterwards
  int64_t total_bytes = int64_t(1) << 30;  // checkpoint size, all tensors together
  int64_t tensors = 8;                     // number of [rows, 1024] f32 tensors
  int64_t raw_bytes = 0;                   // raw-file bytes over all ranks; 0 = total_bytes
  CheckpointIoOptions io;
};

struct CheckpointBenchResult {
  int ranks = 1;
  std::string transport;  // "mpi_io" or "ranks_in_turn"
  int64_t checkpoint_bytes = 0, raw_bytes = 0;
  double checkpoint_write_seconds = 0, checkpoint_read_seconds = 0;
  double raw_write_seconds = 0, raw_read_seconds = 0;
  double checkpoint_write_gbps = 0, checkpoint_read_gbps = 0;  // 1e9 bytes per second, all ranks together
  double raw_write_gbps = 0, raw_read_gbps = 0;
  // Largest share of a file's pages still in this node's page cache just before a timed read
  // (0 after a successful drop; near 1 where it cannot be dropped, e.g. tmpfs).
  double resident_before_read = 0;
  std::string read_cache;  // how the reads relate to the page cache, in words
};

// Collective over `comm`. Write timings include commit (fsync, rename); read timings include open.
CheckpointBenchResult run_checkpoint_bench(const CheckpointBenchOptions& options, const Comm& comm);

}  // namespace r1
