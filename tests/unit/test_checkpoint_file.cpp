// Checkpoint file layer, single-process parts: the layout-independent checksum (against published
// SplitMix64 outputs and sums computed outside r1 in Python), the `latest` record and file-name
// parsing, pruning on a temporary folder of fake files, and the restart choice skipping files that
// are not checkpoints. Everything needing a Comm is in tests/mpi/test_checkpoint_io.cpp.
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/test_support.hpp"
#include "io/checkpoint/checkpoint_checksum.hpp"
#include "io/checkpoint/checkpoint_folder.hpp"

using namespace r1;
using namespace r1::test;
namespace fs = std::filesystem;

namespace {
// A fresh temporary folder removed at scope exit.
struct TempFolder {
  fs::path path;
  explicit TempFolder(const std::string& name)
      : path(fs::temp_directory_path() / ("r1_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
  void touch(const std::string& name, const std::string& content = "not an HDF5 file") const {
    std::ofstream(file(name)) << content;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_checkpoint_file)

BOOST_AUTO_TEST_CASE(splitmix64_matches_published_outputs) {
  // The generator seeded with 0 yields mix(g), mix(2g), mix(3g); splitmix64(x) = mix(x + g).
  const uint64_t golden = 0x9E3779B97F4A7C15ull;
  BOOST_TEST(splitmix64(0) == 0xE220A8397B1DCDAFull);
  BOOST_TEST(splitmix64(golden) == 0x6E789E6AA1B965F4ull);
  BOOST_TEST(splitmix64(2 * golden) == 0x06C45D188009454Full);
}

BOOST_AUTO_TEST_CASE(checksum_of_known_values) {
  // Expected sums computed in Python from the definition in checkpoint_checksum.hpp.
  std::vector<float> f32{1.0f, -2.5f, 0.0f};
  BOOST_TEST(checksum_partial(f32.data(), 4, 3, 0) == 0x65db3e016a1f3d06ull);
  BOOST_TEST(checksum_partial(f32.data(), 4, 3, 5) == 0x9b0d31a8fdf215a7ull);
  BOOST_TEST(checksum_partial(Tensor::from_vector(f32), 0) == 0x65db3e016a1f3d06ull);
  std::vector<int64_t> i64{-1, 7};
  BOOST_TEST(checksum_partial(Tensor::from_vector(i64), 0) == 0x4552308f2b5d8f4full);
  const char text[] = "ab";  // text datasets: the bytes and the terminating NUL
  BOOST_TEST(checksum_partial(text, 1, 3, 0) == 0x96cae1e1955621a1ull);
  BOOST_TEST(checksum_partial(f32.data(), 4, 0, 9) == 0u);
}

BOOST_AUTO_TEST_CASE(checksum_is_independent_of_the_split_and_sees_changes) {
  for (DType dtype : {DType::f32, DType::f64, DType::bf16}) {
    Tensor t = random_tensor({37, 5}, dtype, 11);
    uint64_t whole = checksum_partial(t, 0);
    for (int64_t cut : {0, 1, 13, 36, 37}) {
      uint64_t parts = checksum_partial(t.slice(0, cut), 0) + checksum_partial(t.slice(cut, 37), cut * 5);
      BOOST_TEST(parts == whole);
    }
    Tensor flipped = t.clone();
    static_cast<unsigned char*>(flipped.raw())[17] ^= 0x10;
    BOOST_TEST(checksum_partial(flipped, 0) != whole);
    Tensor swapped = t.clone();  // same values, two rows exchanged
    std::vector<unsigned char> row(5 * dtype_size(dtype));
    auto* bytes = static_cast<unsigned char*>(swapped.raw());
    std::memcpy(row.data(), bytes, row.size());
    std::memcpy(bytes, bytes + row.size(), row.size());
    std::memcpy(bytes + row.size(), row.data(), row.size());
    BOOST_TEST(checksum_partial(swapped, 0) != whole);
  }
}

BOOST_AUTO_TEST_CASE(latest_record_and_file_names) {
  BOOST_TEST(parse_latest_record("step_3.h5\n", "latest") == "step_3.h5");
  BOOST_TEST(parse_latest_record("step_3.h5", "latest") == "step_3.h5");
  BOOST_TEST(parse_latest_record("step_3.h5\r\n", "latest") == "step_3.h5");
  for (const std::string bad : {"", "\n", "a/b.h5\n", "one\ntwo\n", "..", "x\n\n"})
    BOOST_CHECK_THROW(parse_latest_record(bad, "latest"), InputError);
  try {
    parse_latest_record("dir/step_1.h5", "/ckpt/latest");
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(std::string(e.what()).find("/ckpt/latest") != std::string::npos);
  }
  BOOST_TEST(checkpoint_file_name(120) == "step_120.h5");
  BOOST_TEST(checkpoint_step_of("step_120.h5").value() == 120);
  BOOST_TEST(checkpoint_step_of("step_007.h5").value() == 7);
  for (const std::string bad : {"step_.h5", "step_12.h5.tmp", "step_1x.h5", "foo.h5", "step_12.h5x", "latest"})
    BOOST_TEST(!checkpoint_step_of(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(commit_latest_replaces_the_record_atomically) {
  TempFolder dir("ckpt_latest");
  BOOST_TEST(!read_latest(dir.path.string()).has_value());
  BOOST_CHECK_THROW(commit_latest(dir.path.string(), "step_1.h5"), InputError);  // file missing
  dir.touch("step_1.h5");
  dir.touch("step_2.h5");
  commit_latest(dir.path.string(), "step_1.h5");
  BOOST_TEST(read_latest(dir.path.string()).value() == "step_1.h5");
  commit_latest(dir.path.string(), "step_2.h5");
  BOOST_TEST(read_latest(dir.path.string()).value() == "step_2.h5");
  BOOST_TEST(dir.names() == sorted({"latest", "step_1.h5", "step_2.h5"}));  // no latest.tmp left
  dir.touch("latest", "a/b\n");
  BOOST_CHECK_THROW(read_latest(dir.path.string()), InputError);
}

BOOST_AUTO_TEST_CASE(listing_and_pruning_keep_the_newest_and_latest) {
  TempFolder dir("ckpt_prune");
  for (int step : {1, 2, 3, 4, 10, 6}) dir.touch(checkpoint_file_name(step));
  dir.touch("step_2.h5.tmp");
  dir.touch("step_11.h5.tmp");
  dir.touch("notes.txt");
  std::vector<int64_t> steps;
  for (const CheckpointEntry& e : list_checkpoints(dir.path.string())) steps.push_back(e.step);
  BOOST_TEST(steps == (std::vector<int64_t>{1, 2, 3, 4, 6, 10}));  // numeric order, .tmp and others ignored

  commit_latest(dir.path.string(), "step_3.h5");
  std::vector<std::string> removed = prune_checkpoints(dir.path.string(), 2);
  BOOST_TEST(sorted(removed) ==
             sorted({dir.file("step_1.h5"), dir.file("step_2.h5"), dir.file("step_4.h5"), dir.file("step_2.h5.tmp")}));
  BOOST_TEST(dir.names() == sorted({"latest", "notes.txt", "step_3.h5", "step_6.h5", "step_10.h5", "step_11.h5.tmp"}));
  BOOST_TEST(prune_checkpoints(dir.path.string(), 2).empty());
  prune_checkpoints(dir.path.string(), 0);
  BOOST_TEST(dir.names() == sorted({"latest", "notes.txt", "step_3.h5", "step_11.h5.tmp"}));  // latest survives
  BOOST_CHECK_THROW(prune_checkpoints(dir.path.string(), -1), InputError);
}

BOOST_AUTO_TEST_CASE(restart_choice_skips_files_that_are_not_checkpoints) {
  TempFolder dir("ckpt_restart");
  for (int step : {1, 2, 3}) dir.touch(checkpoint_file_name(step));
  dir.touch("step_4.h5.tmp");
  commit_latest(dir.path.string(), "step_2.h5");
  std::vector<std::string> lines;
  auto log = [&](const std::string& line) { lines.push_back(line); };
  BOOST_TEST(!find_newest_valid_checkpoint(dir.path.string(), log).has_value());
  auto logged = [&](const std::string& path, const std::string& reason) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find(path) != std::string::npos && l.find(reason) != std::string::npos;
    });
  };
  BOOST_TEST(logged(dir.file("step_4.h5.tmp"), "missing commit"));
  BOOST_TEST(logged(dir.file("step_3.h5"), "missing commit"));  // newer than latest
  BOOST_TEST(logged(dir.file("step_2.h5"), "unreadable"));
  BOOST_TEST(logged(dir.file("step_1.h5"), "unreadable"));
  TempFolder empty("ckpt_restart_empty");
  BOOST_TEST(!find_newest_valid_checkpoint(empty.path.string(), log).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
