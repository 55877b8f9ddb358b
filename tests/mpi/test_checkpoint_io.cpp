// Checkpoint files on 1, 2 and 4 ranks:
//  - tensors written with one row split read back exactly under another split (f32, f64, bf16, i32,
//    i64, scalars, empty and replicated tensors), text datasets and attributes, with h5dump able to
//    read the file;
//  - every stored r1_checksum equals a reference computed here, on one rank, from the full tensor
//    (an independent implementation of the documented definition);
//  - both transports (MPI-IO and ranks in turn) give the same contents; chunked / aligned layouts;
//  - inconsistent calls and bad slices fail on every rank with the path in the message;
//  - corruption: a flipped bit in a dataset's data, a truncated file, a leftover .tmp, a file newer
//    than `latest` and a missing `latest` are reported with the path (and failing dataset), and
//    find_newest_valid_checkpoint falls back to the previous good file;
//  - the bandwidth measure runs and reports positive figures.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/test_support.hpp"
#include "io/checkpoint/checkpoint_bench.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "io/checkpoint/checkpoint_folder.hpp"
#include "mpi/mpi_test_support.hpp"

using namespace r1;
using namespace r1::test;
namespace fs = std::filesystem;

namespace {

// The checksum definition (docs/formats.md), written out independently of io/checkpoint_checksum.
uint64_t reference_mix(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
uint64_t reference_checksum(const Tensor& full) {
  uint64_t sum = 0;
  size_t width = dtype_size(full.dtype());
  auto bytes = static_cast<const unsigned char*>(full.raw());
  for (int64_t i = 0; i < full.numel(); ++i) {
    uint64_t raw = 0;
    for (size_t b = 0; b < width; ++b) raw |= uint64_t(bytes[size_t(i) * width + b]) << (8 * b);
    sum += reference_mix((uint64_t(i) * 0xD1B54A32D192ED03ull) ^ raw);
  }
  return sum;
}

struct Case {
  std::string path;
  Tensor full;      // the same values on every rank
  int writer = -1;  // -1: rows split over the ranks; else the one rank writing a replicated tensor
};

Tensor int64_scalar(int64_t value) {
  Tensor t = Tensor::empty({}, DType::i64);  // shape {}: a scalar dataset
  t.data<int64_t>()[0] = value;
  return t;
}

Tensor int64_tensor(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape, DType::i64);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = int64_t(reference_mix(seed * 1000 + uint64_t(i)));
  return t;
}

std::vector<Case> make_cases(const Comm& world) {
  return {
      {"/model/embed", random_tensor({13, 6}, DType::f32, 1)},
      {"/model/layers.0.wq", random_tensor({9, 4}, DType::bf16, 2)},
      {"/optim/m/embed", random_tensor({13, 6}, DType::f64, 3)},
      {"/model/token_ids", random_ints({7}, -1000, 1000, 4)},
      {"/state/rng_keys", int64_tensor({5, 2, 3}, 5)},
      {"/model/empty", Tensor::empty({0, 4}, DType::f32)},
      {"/model/one_row", random_tensor({1, 8}, DType::f32, 6)},
      {"/model/norm", random_tensor({3, 3}, DType::f32, 7), world.size() - 1},
      {"/state/step", int64_scalar(42), 0},
  };
}

// Even split of `rows` for writing.
std::pair<int64_t, int64_t> write_split(int64_t rows, int rank, int ranks) {
  return {rows * rank / ranks, rows * (rank + 1) / ranks};
}
// A different, uneven split for reading: quadratic boundaries, pieces dealt in reverse rank order.
std::pair<int64_t, int64_t> read_split(int64_t rows, int rank, int ranks) {
  int64_t piece = ranks - 1 - rank;
  auto bound = [&](int64_t k) { return rows * k * k / (int64_t(ranks) * ranks); };
  return {bound(piece), bound(piece + 1)};
}

int64_t rows_of(const Tensor& t) { return t.ndim() == 0 ? 1 : t.size(0); }

Tensor rows_slice(const Tensor& full, int64_t begin, int64_t end) {
  if (full.ndim() == 0) return begin < end ? full : Tensor();
  return full.slice(begin, end);
}

void write_cases(CheckpointWriter& writer, const std::vector<Case>& cases, const Comm& world) {
  for (const Case& c : cases) {
    auto [begin, end] = write_split(rows_of(c.full), world.rank(), world.size());
    if (c.writer >= 0)
      std::tie(begin, end) = world.rank() == c.writer ? std::pair<int64_t, int64_t>{0, rows_of(c.full)}
                                                      : std::pair<int64_t, int64_t>{0, 0};
    writer.write(c.path, c.full.shape(), c.full.dtype(), begin, rows_slice(c.full, begin, end));
  }
  writer.write_string("/state/trainer.json", world.rank() == 0 ? "{\"step\": 42, \"stage\": \"sft\"}" : "ignored");
  writer.write_string("/state/empty_text", "");
  writer.set_attribute("/model/embed", "layout", "rows are vocabulary entries");
  writer.set_attribute("/state", "code_version", "r1 test");
  writer.set_attribute("/", "run", "checkpoint io test");
}

void write_checkpoint(const std::string& path, const std::vector<Case>& cases, const Comm& world,
                      const CheckpointIoOptions& options = {}) {
  CheckpointWriter writer(path, world, options);
  write_cases(writer, cases, world);
  writer.commit();
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.nbytes() == b.nbytes() &&
         (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

void check_contents(const CheckpointReader& reader, const std::vector<Case>& cases, const Comm& world) {
  for (const Case& c : cases) {
    const DatasetInfo& info = reader.info(c.path);
    BOOST_TEST(info.shape == c.full.shape(), c.path);
    BOOST_TEST(int(info.dtype) == int(c.full.dtype()), c.path);
    BOOST_TEST(info.checksum.value() == reference_checksum(c.full), c.path);
    auto [begin, end] = read_split(rows_of(c.full), world.rank(), world.size());
    if (c.full.ndim() == 0) std::tie(begin, end) = std::pair<int64_t, int64_t>{0, 1};
    Tensor got = reader.read_rows(c.path, begin, end - begin);
    Tensor expected = c.full.ndim() == 0 ? c.full : c.full.slice(begin, end);
    BOOST_TEST(same_bytes(got, expected), c.path << " rows [" << begin << ", " << end << ")");
  }
  BOOST_TEST(reader.read_string("/state/trainer.json") == "{\"step\": 42, \"stage\": \"sft\"}");
  BOOST_TEST(reader.read_string("/state/empty_text") == "");
  BOOST_TEST(reader.attribute("/model/embed", "layout").value() == "rows are vocabulary entries");
  BOOST_TEST(reader.attribute("/state", "code_version").value() == "r1 test");
  BOOST_TEST(reader.attribute("/", "run").value() == "checkpoint io test");
  BOOST_TEST(reader.attribute("/", "r1_format").value() == kCheckpointFormat);
  BOOST_TEST(!reader.attribute("/model/embed", "absent").has_value());
  BOOST_TEST(reader.attribute("/model/layers.0.wq", "r1_dtype").value() == "bf16");
  for (int64_t block_bytes : {int64_t(64) << 20, int64_t(20)}) {  // one block per dataset; blocks of 1-2 rows
    VerifyResult verified = reader.verify(block_bytes);
    BOOST_TEST(verified.ok(), verified.summary());
    BOOST_TEST(verified.datasets_checked == int64_t(cases.size()) + 2);
  }
}

bool any_line_has(const std::vector<std::string>& lines, const std::vector<std::string>& parts) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
    return std::all_of(parts.begin(), parts.end(),
                       [&](const std::string& p) { return line.find(p) != std::string::npos; });
  });
}

template <class Fn>
std::string message_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_checkpoint_io)

BOOST_AUTO_TEST_CASE(sharded_write_reads_back_under_another_split) {
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "checkpoint_roundtrip");
  std::vector<Case> cases = make_cases(world);
  std::string path = dir + "/step_1.h5";
  write_checkpoint(path, cases, world);
  BOOST_TEST(fs::exists(path));
  BOOST_TEST(!fs::exists(path + ".tmp"));

  CheckpointReader collective(path, world);
  check_contents(collective, cases, world);
  if (world.rank() == 0) {
    CheckpointReader alone(path);
    for (const Case& c : cases) BOOST_TEST(same_bytes(alone.read(c.path), c.full), c.path);
    BOOST_TEST(alone.datasets().size() == cases.size() + 2);
    BOOST_TEST(alone.verify().ok());
    BOOST_CHECK_THROW(alone.read_rows("/model/embed", 10, 4), InputError);
    BOOST_CHECK_THROW(alone.info("/model/nothing"), InputError);
    if (std::system("command -v h5dump > /dev/null 2>&1") == 0) {
      std::string dump = dir + "/h5dump.txt";
      BOOST_TEST(std::system(("h5dump -A " + path + " > " + dump + " 2>&1").c_str()) == 0);
      std::ifstream in(dump);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      BOOST_TEST(text.find("r1_checksum") != std::string::npos);
      BOOST_TEST(text.find("layers.0.wq") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(transports_and_layouts_give_the_same_contents) {
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "checkpoint_transports");
  std::vector<Case> cases = make_cases(world);
  CheckpointIoOptions in_turn;
  in_turn.transport = CheckpointTransport::ranks_in_turn;
  write_checkpoint(dir + "/in_turn.h5", cases, world, in_turn);
  CheckpointIoOptions chunked_aligned;  // default transport: mpi_io in parallel builds
  chunked_aligned.chunk_bytes = 64;
  chunked_aligned.alignment = 4096;
  chunked_aligned.collective = false;
  chunked_aligned.mpi_hints = {{"romio_cb_write", "enable"}};
  write_checkpoint(dir + "/chunked.h5", cases, world, chunked_aligned);
  CheckpointIoOptions aligned;
  aligned.alignment = 4096;
  write_checkpoint(dir + "/aligned.h5", cases, world, aligned);

  for (const std::string name : {"in_turn.h5", "chunked.h5", "aligned.h5"})
    for (const CheckpointIoOptions& read_options : {in_turn, CheckpointIoOptions{}, chunked_aligned}) {
      CheckpointReader reader(dir + "/" + name, world, read_options);
      check_contents(reader, cases, world);
    }
  if (world.rank() == 0) {
    CheckpointReader chunked(dir + "/chunked.h5"), aligned_reader(dir + "/aligned.h5");
    BOOST_TEST(!chunked.data_offset("/model/embed").has_value());  // chunked: no single offset
    // 13 x 6 f64 = 624 bytes: below the threshold. Write a bigger one to see alignment.
    BOOST_TEST(aligned_reader.data_offset("/optim/m/embed").has_value());
  }
  CheckpointIoOptions big_aligned;
  big_aligned.alignment = 4096;
  {
    CheckpointWriter writer(dir + "/big.h5", world, big_aligned);
    Tensor big = random_tensor({64, 32}, DType::f32, 9);  // 8 KiB
    auto [begin, end] = write_split(64, world.rank(), world.size());
    writer.write("/model/small", {2}, DType::f32, 0, world.rank() == 0 ? random_tensor({2}, DType::f32, 8) : Tensor());
    writer.write("/model/big", {64, 32}, DType::f32, begin, big.slice(begin, end));
    writer.commit();
  }
  if (world.rank() == 0) BOOST_TEST(CheckpointReader(dir + "/big.h5").data_offset("/model/big").value() % 4096 == 0);

  CheckpointIoOptions mpi_io;
  mpi_io.transport = CheckpointTransport::mpi_io;
  if (hdf5_is_parallel())
    BOOST_TEST(std::string(transport_name(resolve_transport(mpi_io))) == "mpi_io");
  else
    BOOST_CHECK_THROW(resolve_transport(mpi_io), InputError);
}

BOOST_AUTO_TEST_CASE(inconsistent_calls_fail_on_every_rank) {
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "checkpoint_errors");
  Tensor full = random_tensor({4, 3}, DType::f32, 12);
  auto [begin, end] = write_split(4, world.rank(), world.size());

  // Rows that do not add up: every rank writes the replicated tensor (or, on one rank, half of it).
  std::string message = message_of([&] {
    CheckpointWriter writer(dir + "/rows.h5", world);
    if (world.size() == 1)
      writer.write("/model/w", {4, 3}, DType::f32, 0, full.slice(0, 2));
    else
      writer.write("/model/w", {4, 3}, DType::f32, 0, full);
    writer.commit();
  });
  BOOST_TEST(message.find("/model/w") != std::string::npos, message);
  BOOST_TEST(message.find("rows") != std::string::npos, message);
  BOOST_TEST(!fs::exists(dir + "/rows.h5"));

  // A bad slice on the last rank only: every rank throws, naming the path.
  message = message_of([&] {
    CheckpointWriter writer(dir + "/slice.h5", world);
    writer.write("/model/ok", {4, 3}, DType::f32, begin, full.slice(begin, end));
    Tensor slice =
        world.rank() == world.size() - 1 ? random_tensor({end - begin, 5}, DType::f32, 1) : full.slice(begin, end);
    writer.write("/model/bad", {4, 3}, DType::f32, begin, slice);
    writer.commit();
  });
  BOOST_TEST(message.find("/model/bad") != std::string::npos, message);
  BOOST_TEST(!fs::exists(dir + "/slice.h5"));
  BOOST_TEST(fs::exists(dir + "/slice.h5.tmp"));  // never committed

  // Ranks declaring different shapes for the same call.
  if (world.size() > 1) {
    message = message_of([&] {
      CheckpointWriter writer(dir + "/decl.h5", world);
      Shape shape = world.rank() == 0 ? Shape{4, 3} : Shape{4, 4};
      writer.write("/model/w", shape, DType::f32, 0, Tensor());
    });
    BOOST_TEST(message.find("ranks disagree") != std::string::npos, message);
  }
  // Reserved attribute keys and wrong dtypes are input errors.
  auto reserved_key = [&] {
    CheckpointWriter writer(dir + "/attr.h5", world);
    writer.set_attribute("/", "r1_checksum", "0");
  };
  BOOST_CHECK_THROW(reserved_key(), InputError);
  auto wrong_dtype = [&] {
    CheckpointWriter writer(dir + "/dtype.h5", world);
    writer.write("/model/w", {4, 3}, DType::f64, begin, full.slice(begin, end));
  };
  BOOST_CHECK_THROW(wrong_dtype(), InputError);
}

BOOST_AUTO_TEST_CASE(corruption_is_detected_and_restart_falls_back) {
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "checkpoint_restart");
  std::vector<Case> cases = make_cases(world);
  for (int step : {1, 2, 3}) {
    write_checkpoint(dir + "/" + checkpoint_file_name(step), cases, world);
    if (world.rank() == 0) commit_latest(dir, checkpoint_file_name(step));
    world.barrier();
  }
  std::vector<std::string> lines;
  auto log = [&](const std::string& line) { lines.push_back(line); };
  auto newest = [&] {
    lines.clear();
    std::optional<std::string> found = find_newest_valid_checkpoint(dir, world, {}, log);
    if (world.rank() == 0) {  // the one-process variant agrees
      std::vector<std::string> alone_lines;
      std::optional<std::string> alone =
          find_newest_valid_checkpoint(dir, [&](const std::string& l) { alone_lines.push_back(l); });
      BOOST_TEST(alone.value_or("(none)") == found.value_or("(none)"));
      BOOST_TEST(alone_lines.size() == lines.size());
    }
    world.barrier();
    return found.value_or("(none)");
  };
  BOOST_TEST(newest() == dir + "/step_3.h5");

  // A flipped bit inside /model/embed's data in step_3.
  std::string step3 = dir + "/step_3.h5";
  if (world.rank() == 0) {
    int64_t offset = CheckpointReader(step3).data_offset("/model/embed").value();
    std::fstream file(step3, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(offset + 5);
    char byte = 0;
    file.read(&byte, 1);
    byte = char(byte ^ 0x04);
    file.seekp(offset + 5);
    file.write(&byte, 1);
  }
  world.barrier();
  VerifyResult flipped = CheckpointReader(step3, world).verify(40);
  BOOST_TEST(!flipped.ok());
  BOOST_TEST(flipped.failures.size() == 1u);
  BOOST_TEST(flipped.failures.at(0).dataset == "/model/embed");
  BOOST_TEST(flipped.summary().find("checksum mismatch") != std::string::npos, flipped.summary());
  BOOST_TEST(newest() == dir + "/step_2.h5");
  BOOST_TEST(any_line_has(lines, {step3, "/model/embed", "checksum mismatch"}));

  // A truncated step_2.
  std::string step2 = dir + "/step_2.h5";
  if (world.rank() == 0) fs::resize_file(step2, fs::file_size(step2) / 2);
  world.barrier();
  BOOST_TEST(message_of([&] { CheckpointReader reader(step2, world); }).find(step2) != std::string::npos);
  BOOST_TEST(newest() == dir + "/step_1.h5");
  BOOST_TEST(any_line_has(lines, {step2, "unreadable"}));
  BOOST_TEST(any_line_has(lines, {"using the older checkpoint", dir + "/step_1.h5"}));

  // A half-written step_4 (.tmp left behind) and a step_5 renamed but never recorded in `latest`.
  {
    CheckpointWriter writer(dir + "/step_4.h5", world);
    writer.write("/model/embed", cases[0].full.shape(), DType::f32, 0, world.rank() == 0 ? cases[0].full : Tensor());
  }
  write_checkpoint(dir + "/step_5.h5", cases, world);
  BOOST_TEST(newest() == dir + "/step_1.h5");
  BOOST_TEST(any_line_has(lines, {dir + "/step_4.h5.tmp", "missing commit"}));
  BOOST_TEST(any_line_has(lines, {dir + "/step_5.h5", "missing commit"}));

  // Without a `latest` record every completed file is considered, newest first.
  if (world.rank() == 0) fs::remove(dir + "/latest");
  world.barrier();
  BOOST_TEST(newest() == dir + "/step_5.h5");
  BOOST_TEST(any_line_has(lines, {"no latest record", dir}));
  if (world.rank() == 0) fs::remove(dir + "/step_5.h5");
  world.barrier();
  BOOST_TEST(newest() == dir + "/step_1.h5");
  BOOST_TEST(any_line_has(lines, {step3, "/model/embed"}));
  BOOST_TEST(any_line_has(lines, {step2, "unreadable"}));

  // latest naming a file that is gone.
  if (world.rank() == 0) {
    commit_latest(dir, "step_3.h5");
    fs::remove(step3);
  }
  world.barrier();
  BOOST_TEST(newest() == dir + "/step_1.h5");
  BOOST_TEST(any_line_has(lines, {"latest record names", step3, "missing"}));
}

BOOST_AUTO_TEST_CASE(bandwidth_measure_reports_positive_figures) {
  Comm world = world_comm();
  std::string dir = scratch_dir(world, "checkpoint_bench");
  CheckpointBenchOptions options;
  options.dir = dir;
  options.total_bytes = 4 << 20;
  options.tensors = 3;
  CheckpointBenchResult r = run_checkpoint_bench(options, world);
  BOOST_TEST(r.ranks == world.size());
  BOOST_TEST(r.checkpoint_bytes == int64_t(4 << 20));
  BOOST_TEST(r.checkpoint_write_gbps > 0);
  BOOST_TEST(r.checkpoint_read_gbps > 0);
  BOOST_TEST(r.raw_write_gbps > 0);
  BOOST_TEST(r.raw_read_gbps > 0);
  BOOST_TEST(!r.read_cache.empty());
  world.barrier();
  if (world.rank() == 0) BOOST_TEST(fs::is_empty(dir));  // bench files removed
}

BOOST_AUTO_TEST_SUITE_END()
