// Checkpoint and raw-disk bandwidth measurement (see checkpoint_bench.hpp).
#include "io/checkpoint/checkpoint_bench.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "io/checkpoint/checkpoint_checksum.hpp"
#include "io/checkpoint/checkpoint_file.hpp"

namespace r1 {

namespace {

constexpr int64_t kBenchColumns = 1024;              // f32 columns per row: 4 KiB rows
constexpr size_t kRawBlockBytes = size_t(16) << 20;  // dd block size

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Wall time of `work` over all ranks: from a common start to the last rank's finish.
template <class Work>
double timed_collectively(const Comm& comm, Work&& work) {
  comm.barrier();
  double start = now_seconds();
  work();
  comm.barrier();
  return now_seconds() - start;
}

[[noreturn]] void throw_errno(const std::string& what, const std::string& path) {
  throw Error("checkpoint bench: " + what + " " + path + ": " + std::strerror(errno));
}

// Asks the kernel to drop the file's clean pages from the page cache; false when it refused.
bool drop_page_cache(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open", path);
  bool dropped = ::fdatasync(fd) == 0 && ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  ::close(fd);
  return dropped;
}

// Share of the file's pages resident in this node's page cache (mincore).
double resident_fraction(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open", path);
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0) {
    ::close(fd);
    return 0;
  }
  void* map = ::mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return 1;  // cannot tell: assume cached
  size_t page = size_t(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size_t(size) + page - 1) / page);
  double fraction = 1;
  if (::mincore(map, size_t(size), resident.data()) == 0)
    fraction = double(std::count_if(resident.begin(), resident.end(), [](unsigned char v) { return v & 1; })) /
               double(resident.size());
  ::munmap(map, size_t(size));
  return fraction;
}

void write_raw_file(const std::string& path, int64_t bytes) {
  std::vector<char> block(kRawBlockBytes);
  for (size_t i = 0; i < block.size(); i += 8) {
    uint64_t v = splitmix64(i);
    std::memcpy(block.data() + i, &v, 8);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("cannot create", path);
  for (int64_t done = 0; done < bytes;) {
    size_t n = size_t(std::min<int64_t>(int64_t(block.size()), bytes - done));
    ssize_t w = ::write(fd, block.data(), n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ::close(fd);
      throw_errno("cannot write", path);
    }
    done += w;
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    throw_errno("fsync", path);
  }
  ::close(fd);
}

void read_raw_file(const std::string& path) {
  std::vector<char> block(kRawBlockBytes);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open", path);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (;;) {
    ssize_t r = ::read(fd, block.data(), block.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      ::close(fd);
      throw_errno("cannot read", path);
    }
    if (r == 0) break;
  }
  ::close(fd);
}

// Rows [begin, end) of a count-row split over `ranks`, for `rank`.
std::pair<int64_t, int64_t> row_split(int64_t rows, int rank, int ranks) {
  return {rows * rank / ranks, rows * (rank + 1) / ranks};
}

Tensor bench_slice(int64_t tensor, int64_t row_begin, int64_t rows) {
  Tensor t = Tensor::empty({rows, kBenchColumns}, DType::f32);
  float* v = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    v[i] = float(int64_t(splitmix64(uint64_t(tensor) << 40 ^ uint64_t(row_begin * kBenchColumns + i)) >> 40)) * 1e-6f;
  return t;
}

}  // namespace

CheckpointBenchResult run_checkpoint_bench(const CheckpointBenchOptions& options, const Comm& comm) {
  R1_INPUT_CHECK(std::filesystem::is_directory(options.dir), "bench ckpt: folder ", options.dir, " does not exist");
  R1_INPUT_CHECK(options.tensors >= 1 && options.total_bytes >= options.tensors * kBenchColumns * 4,
                 "bench ckpt: need at least one 4 KiB row per tensor (total_bytes ", options.total_bytes, ", tensors ",
                 options.tensors, ")");
  CheckpointBenchResult result;
  result.ranks = comm.size();
  result.transport = transport_name(resolve_transport(options.io));

  // ---- checkpoint write: tensor i is [rows_i, 1024] f32; each rank holds an even share of rows.
  int64_t total_rows = options.total_bytes / (kBenchColumns * 4);
  std::vector<int64_t> tensor_rows(size_t(options.tensors));
  for (int64_t i = 0; i < options.tensors; ++i)
    tensor_rows[size_t(i)] = total_rows * (i + 1) / options.tensors - total_rows * i / options.tensors;
  std::vector<Tensor> slices;
  for (int64_t i = 0; i < options.tensors; ++i) {
    auto [begin, end] = row_split(tensor_rows[size_t(i)], comm.rank(), comm.size());
    slices.push_back(bench_slice(i, begin, end - begin));
  }
  std::string path = (std::filesystem::path(options.dir) / "r1_bench_checkpoint.h5").string();
  result.checkpoint_bytes = total_rows * kBenchColumns * 4;
  result.checkpoint_write_seconds = timed_collectively(comm, [&] {
    CheckpointWriter writer(path, comm, options.io);
    for (int64_t i = 0; i < options.tensors; ++i) {
      auto [begin, end] = row_split(tensor_rows[size_t(i)], comm.rank(), comm.size());
      writer.write("/model/bench." + std::to_string(i), {tensor_rows[size_t(i)], kBenchColumns}, DType::f32, begin,
                   slices[size_t(i)]);
    }
    writer.commit();
  });

  // ---- checkpoint read (page cache dropped first), checked against what was written.
  bool dropped = drop_page_cache(path);
  double resident = resident_fraction(path);
  std::vector<Tensor> read_back;
  result.checkpoint_read_seconds = timed_collectively(comm, [&] {
    CheckpointReader reader(path, comm, options.io);
    for (int64_t i = 0; i < options.tensors; ++i) {
      auto [begin, end] = row_split(tensor_rows[size_t(i)], comm.rank(), comm.size());
      read_back.push_back(reader.read_rows("/model/bench." + std::to_string(i), begin, end - begin));
    }
  });
  for (size_t i = 0; i < slices.size(); ++i)
    R1_CHECK(slices[i].nbytes() == read_back[i].nbytes() &&
                 std::memcmp(slices[i].raw(), read_back[i].raw(), slices[i].nbytes()) == 0,
             "bench ckpt: tensor ", i, " read back differs from what was written to ", path);
  comm.barrier();
  if (comm.rank() == 0) std::filesystem::remove(path);

  // ---- raw disk: each rank writes and reads its own file of raw_bytes / ranks.
  int64_t raw_total = options.raw_bytes > 0 ? options.raw_bytes : options.total_bytes;
  int64_t raw_mine = raw_total / comm.size();
  result.raw_bytes = raw_mine * comm.size();
  std::string raw_path =
      (std::filesystem::path(options.dir) / ("r1_bench_raw." + std::to_string(comm.rank()))).string();
  result.raw_write_seconds = timed_collectively(comm, [&] { write_raw_file(raw_path, raw_mine); });
  dropped = drop_page_cache(raw_path) && dropped;
  resident = std::max(resident, resident_fraction(raw_path));
  result.raw_read_seconds = timed_collectively(comm, [&] { read_raw_file(raw_path); });
  std::filesystem::remove(raw_path);

  result.resident_before_read = comm.allreduce(resident, ReduceOp::max);
  bool all_dropped = comm.allreduce(int64_t(dropped ? 1 : 0), ReduceOp::min) == 1;
  auto gbps = [](int64_t bytes, double seconds) { return seconds > 0 ? double(bytes) / seconds / 1e9 : 0.0; };
  result.checkpoint_write_gbps = gbps(result.checkpoint_bytes, result.checkpoint_write_seconds);
  result.checkpoint_read_gbps = gbps(result.checkpoint_bytes, result.checkpoint_read_seconds);
  result.raw_write_gbps = gbps(result.raw_bytes, result.raw_write_seconds);
  result.raw_read_gbps = gbps(result.raw_bytes, result.raw_read_seconds);
  char resident_text[32];
  std::snprintf(resident_text, sizeof resident_text, "%.1f%%", 100 * result.resident_before_read);
  if (all_dropped && result.resident_before_read < 0.05)
    result.read_cache = std::string("page cache dropped before reads (posix_fadvise DONTNEED; ") + resident_text +
                        " resident): reads come from storage";
  else
    result.read_cache = std::string("page cache not dropped (") + resident_text +
                        " resident before reads, e.g. tmpfs): read figures measure memory, not storage";
  return result;
}

}  // namespace r1
