// Dataset files (io/formats/dataset_file.hpp): write/read round trips for every kind (row ranges, row lists
// with repeats, batches spanning several writer flushes), the committed-or-nothing writer, and the
// validation errors on files corrupted by hand through the HDF5 C API (missing datasets and
// attributes, offsets that decrease / leave the token column / disagree with it, token ids outside
// the vocabulary, tokenizer mismatch, a newer format version, a non-HDF5 file). Also SHA-256 against
// the FIPS 180-4 examples and a published file checksum, and the tokenizer identity.
#include <boost/test/unit_test.hpp>

#include <hdf5.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/formats/dataset_file.hpp"
#include "io/formats/dataset_tokenizer_identity.hpp"
#include "io/formats/sha256.hpp"
#include "io/tokenizer/tokenizer.hpp"

using namespace r1;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "r1-test-dataset-XXXXXX").string();
    R1_CHECK(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

constexpr int64_t kVocab = 1000;

DatasetAttributes attributes_for(DatasetKind kind) {
  DatasetAttributes a;
  a.kind = kind;
  a.tokenizer = {std::string(64, 'a'), kVocab};
  a.chat_template = kind == DatasetKind::pretrain ? "" : "compact";
  a.source_path = "/data/source.jsonl";
  a.source_bytes = 12345;
  a.source_sha256 = std::string(64, 'b');
  a.created_by = "r1 test";
  return a;
}

std::vector<int32_t> random_tokens(std::mt19937& rng, int max_length) {
  std::vector<int32_t> t(std::uniform_int_distribution<int>(0, max_length)(rng));
  for (auto& id : t) id = std::uniform_int_distribution<int32_t>(0, kVocab - 1)(rng);
  return t;
}

std::vector<DatasetRecord> random_records(DatasetKind kind, int64_t count, int max_length, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> texts = {"", "x", "Ünïcödé ✓ 😀", "line\nbreak \"quoted\"", std::string(300, 'q')};
  std::vector<DatasetRecord> records(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    DatasetRecord& r = records[size_t(i)];
    r.id = i;
    if (kind_has_prompts(kind)) r.prompt = random_tokens(rng, max_length);
    if (kind_has_responses(kind)) r.response = random_tokens(rng, max_length);
    if (kind_has_question_and_gold(kind)) {
      r.question = texts[size_t(i) % texts.size()] + std::to_string(i);
      r.gold = std::to_string(i * 7);
    }
    if (kind_has_solution(kind)) r.solution = texts[size_t(i + 2) % texts.size()];
    r.source_id = "src:" + std::to_string(i);
  }
  return records;
}

void check_same(const DatasetRecord& got, const DatasetRecord& want) {
  BOOST_TEST(got.id == want.id);
  BOOST_TEST(got.prompt == want.prompt, boost::test_tools::per_element());
  BOOST_TEST(got.response == want.response, boost::test_tools::per_element());
  BOOST_TEST(got.question == want.question);
  BOOST_TEST(got.gold == want.gold);
  BOOST_TEST(got.solution == want.solution);
  BOOST_TEST(got.source_id == want.source_id);
}

std::string open_error(const std::string& path, const DatasetOpenOptions& options = {}) {
  try {
    DatasetReader::open(path, options);
  } catch (const InputError& e) {
    return e.what();
  }
  BOOST_FAIL("no InputError opening " << path);
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Edits of a written file through the HDF5 C API.
struct H5Edit {
  hid_t file;
  explicit H5Edit(const std::string& path) : file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {
    R1_CHECK(file >= 0, "cannot open ", path);
  }
  ~H5Edit() { H5Fclose(file); }
  void write_i64(const char* name, int64_t index, int64_t value) const { write_element(name, index, H5T_NATIVE_INT64, &value); }
  void write_i32(const char* name, int64_t index, int32_t value) const { write_element(name, index, H5T_NATIVE_INT32, &value); }
  void write_element(const char* name, int64_t index, hid_t type, const void* value) const {
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t space = H5Dget_space(d);
    hsize_t start[1] = {hsize_t(index)}, count[1] = {1};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    hid_t memory = H5Screate_simple(1, count, nullptr);
    R1_CHECK(H5Dwrite(d, type, memory, space, H5P_DEFAULT, value) >= 0, "write failed");
    H5Sclose(memory);
    H5Sclose(space);
    H5Dclose(d);
  }
  void remove(const char* name) const { R1_CHECK(H5Ldelete(file, name, H5P_DEFAULT) >= 0, "delete failed"); }
  void remove_attribute(const char* name) const { R1_CHECK(H5Adelete(file, name) >= 0, "attribute delete failed"); }
  void set_int_attribute(const char* name, int64_t value) const {
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    R1_CHECK(H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0, "attribute write failed");
    H5Aclose(a);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_dataset_file)

BOOST_AUTO_TEST_CASE(sha256_matches_fips_examples_and_published_checksum) {
  BOOST_TEST(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a', fed in uneven pieces so the block buffering is exercised.
  Sha256 h;
  std::string piece(997, 'a');
  int64_t fed = 0;
  while (fed < 1000000) {
    size_t n = size_t(std::min<int64_t>(int64_t(piece.size()) - fed % 13, 1000000 - fed));
    h.update(piece.data(), n);
    fed += int64_t(n);
  }
  BOOST_TEST(h.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // tests/data/gsm8k/SOURCE.md publishes the copied file's size and checksum.
  int64_t bytes = 0;
  BOOST_TEST(sha256_file_hex(test::test_data_path("gsm8k/test.jsonl"), &bytes) ==
             "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14");
  BOOST_TEST(bytes == 749738);
}

BOOST_AUTO_TEST_CASE(round_trip_every_kind_rows_and_lists) {
  TempDir dir;
  for (DatasetKind kind : {DatasetKind::prompt_answer, DatasetKind::sft, DatasetKind::pretrain}) {
    BOOST_TEST_CONTEXT("kind " << dataset_kind_name(kind)) {
      const std::string path = dir.file(std::string(dataset_kind_name(kind)) + ".h5");
      const std::vector<DatasetRecord> records = random_records(kind, 37, 12, 1 + uint32_t(kind));
      write_dataset(path, attributes_for(kind), records);
      BOOST_TEST(!fs::exists(path + ".tmp"));
      DatasetReader reader = DatasetReader::open(path);
      DatasetAttributes want = attributes_for(kind);
      want.record_count = 37;
      const DatasetAttributes& got = reader.attributes();
      BOOST_TEST(got.format_version == kDatasetFormatVersion);
      BOOST_TEST((got.kind == kind));
      BOOST_TEST((got.tokenizer == want.tokenizer));
      BOOST_TEST(got.chat_template == want.chat_template);
      BOOST_TEST(got.source_path == want.source_path);
      BOOST_TEST(got.source_bytes == want.source_bytes);
      BOOST_TEST(got.source_sha256 == want.source_sha256);
      BOOST_TEST(got.record_count == 37);
      BOOST_TEST(got.created_by == want.created_by);
      BOOST_TEST(reader.has_prompts() == kind_has_prompts(kind));
      BOOST_TEST(reader.has_responses() == kind_has_responses(kind));

      std::vector<DatasetRecord> all = reader.read_rows(0, 37);
      BOOST_REQUIRE(all.size() == 37u);
      for (size_t i = 0; i < all.size(); ++i) check_same(all[i], records[i]);
      std::vector<DatasetRecord> middle = reader.read_rows(5, 11);
      BOOST_REQUIRE(middle.size() == 6u);
      for (size_t i = 0; i < middle.size(); ++i) check_same(middle[i], records[5 + i]);
      BOOST_TEST(reader.read_rows(20, 20).empty());

      const std::vector<int64_t> ids = {36, 0, 7, 7, 19, 3, 36};
      std::vector<DatasetRecord> listed = reader.read_records(ids);
      BOOST_REQUIRE(listed.size() == ids.size());
      for (size_t i = 0; i < ids.size(); ++i) check_same(listed[i], records[size_t(ids[i])]);

      std::vector<int64_t> offsets = kind_has_prompts(kind) ? reader.prompt_offsets(3, 6) : reader.response_offsets(3, 6);
      BOOST_REQUIRE(offsets.size() == 4u);
      for (int64_t r = 3; r < 6; ++r) {
        const auto& tokens = kind_has_prompts(kind) ? records[size_t(r)].prompt : records[size_t(r)].response;
        BOOST_TEST(offsets[size_t(r - 2)] - offsets[size_t(r - 3)] == int64_t(tokens.size()));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(writer_flushes_in_batches) {
  // More records than one writer batch (16384) so several flushes append to the columns.
  TempDir dir;
  const std::string path = dir.file("many.h5");
  const std::vector<DatasetRecord> records = random_records(DatasetKind::sft, 20000, 3, 99);
  write_dataset(path, attributes_for(DatasetKind::sft), records);
  DatasetReader reader = DatasetReader::open(path);
  BOOST_REQUIRE(reader.size() == 20000);
  std::vector<DatasetRecord> around = reader.read_rows(16380, 16390);
  for (size_t i = 0; i < around.size(); ++i) check_same(around[i], records[16380 + i]);
  std::vector<DatasetRecord> last = reader.read_records({19999, 0, 16384});
  check_same(last[0], records[19999]);
  check_same(last[1], records[0]);
  check_same(last[2], records[16384]);
}

BOOST_AUTO_TEST_CASE(rank_row_ranges_partition_the_rows) {
  for (int ranks : {1, 2, 3, 7}) {
    int64_t next = 0;
    for (int r = 0; r < ranks; ++r) {
      auto [begin, end] = rank_row_range(20, r, ranks);
      BOOST_TEST(begin == next);
      BOOST_TEST((end - begin == 20 / ranks || end - begin == 20 / ranks + 1));
      next = end;
    }
    BOOST_TEST(next == 20);
  }
}

BOOST_AUTO_TEST_CASE(uncommitted_writer_leaves_no_file_and_keeps_the_old_one) {
  TempDir dir;
  const std::string path = dir.file("out.h5");
  { std::ofstream(path) << "previous contents"; }
  {
    DatasetWriter writer(path, attributes_for(DatasetKind::prompt_answer));
    writer.append(random_records(DatasetKind::prompt_answer, 1, 5, 3)[0]);
    BOOST_TEST(fs::exists(path + ".tmp"));
  }  // abandoned without commit
  BOOST_TEST(!fs::exists(path + ".tmp"));
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(text == "previous contents");
}

BOOST_AUTO_TEST_CASE(validation_errors_name_the_file_and_dataset) {
  TempDir dir;
  const std::vector<DatasetRecord> records = random_records(DatasetKind::sft, 6, 5, 7);
  int64_t prompt_total = 0;
  for (const auto& r : records) prompt_total += int64_t(r.prompt.size());
  auto fresh = [&](const std::string& name) {
    std::string path = dir.file(name);
    write_dataset(path, attributes_for(DatasetKind::sft), records);
    return path;
  };

  std::string path = fresh("missing.h5");
  H5Edit(path).remove("gold");
  std::string e = open_error(path);
  BOOST_TEST(contains(e, path + ":/gold"));
  BOOST_TEST(contains(e, "missing"));

  path = fresh("missing_tokens.h5");
  H5Edit(path).remove("response_tokens");
  BOOST_TEST(contains(open_error(path), path + ":/response_tokens"));

  path = fresh("decreasing.h5");
  H5Edit(path).write_i64("prompt_offsets", 3, 0);
  e = open_error(path);
  BOOST_TEST(contains(e, path + ":/prompt_offsets"));
  BOOST_TEST(contains(e, "decrease"));

  path = fresh("outside.h5");
  H5Edit(path).write_i64("response_offsets", 2, 1000000);
  e = open_error(path);
  BOOST_TEST(contains(e, path + ":/response_offsets"));
  BOOST_TEST(contains(e, "outside"));

  path = fresh("wrong_end.h5");
  H5Edit(path).write_i64("prompt_offsets", 6, prompt_total - 1);
  e = open_error(path);
  BOOST_TEST(contains(e, path + ":/prompt_offsets"));
  BOOST_TEST(contains(e, "ends at"));

  path = fresh("unfinished.h5");
  H5Edit(path).remove_attribute("record_count");
  BOOST_TEST(contains(open_error(path), "not completely written"));

  path = fresh("future.h5");
  H5Edit(path).set_int_attribute("format_version", 2);
  BOOST_TEST(contains(open_error(path), "format version 2"));

  path = fresh("tokenizer.h5");
  TokenizerIdentity other{std::string(64, 'c'), kVocab};
  DatasetOpenOptions expect_other;
  expect_other.expected_tokenizer = &other;
  e = open_error(path, expect_other);
  BOOST_TEST(contains(e, path));
  BOOST_TEST(contains(e, "tokenizer mismatch"));
  TokenizerIdentity same = attributes_for(DatasetKind::sft).tokenizer;
  DatasetOpenOptions expect_same;
  expect_same.expected_tokenizer = &same;
  BOOST_TEST(DatasetReader::open(path, expect_same).size() == 6);

  path = dir.file("text.h5");
  { std::ofstream(path) << "not hdf5"; }
  BOOST_TEST(contains(open_error(path), "not an HDF5 file"));
  BOOST_TEST(contains(open_error(dir.file("absent.h5")), "no such dataset file"));
}

BOOST_AUTO_TEST_CASE(reads_check_what_they_read) {
  TempDir dir;
  const std::vector<DatasetRecord> records = random_records(DatasetKind::prompt_answer, 6, 5, 11);
  const std::string path = dir.file("ids.h5");
  write_dataset(path, attributes_for(DatasetKind::prompt_answer), records);
  // A token id outside the vocabulary: found when its record is read.
  int64_t first_token_of_row_4 = 0;
  for (int i = 0; i < 4; ++i) first_token_of_row_4 += int64_t(records[size_t(i)].prompt.size());
  BOOST_REQUIRE(!records[4].prompt.empty());
  H5Edit(path).write_i32("prompt_tokens", first_token_of_row_4, int32_t(kVocab));
  DatasetReader reader = DatasetReader::open(path);
  BOOST_TEST(reader.read_rows(0, 4).size() == 4u);
  BOOST_CHECK_EXCEPTION(reader.read_rows(3, 5), InputError, [&](const InputError& e) {
    return contains(e.what(), path + ":/prompt_tokens") && contains(e.what(), "record 4");
  });
  BOOST_CHECK_THROW(reader.read_records({4}), InputError);

  // Without the open-time scan, decreasing offsets are caught by the read that meets them.
  const std::string unscanned = dir.file("unscanned.h5");
  write_dataset(unscanned, attributes_for(DatasetKind::prompt_answer), records);
  H5Edit(unscanned).write_i64("prompt_offsets", 2, 0);
  DatasetOpenOptions no_scan;
  no_scan.scan_offsets = false;
  DatasetReader lazy = DatasetReader::open(unscanned, no_scan);
  BOOST_TEST(lazy.read_rows(3, 6).size() == 3u);
  BOOST_CHECK_EXCEPTION(lazy.read_rows(0, 3), InputError,
                        [&](const InputError& e) { return contains(e.what(), unscanned + ":/prompt_offsets"); });
}

BOOST_AUTO_TEST_CASE(tokenizer_identity_tracks_what_encodes) {
  Tokenizer small = Tokenizer::load(test::test_data_path("tokenizer_small/tokenizer.json"));
  Tokenizer small_again = Tokenizer::load(test::test_data_path("tokenizer_small/tokenizer.json"));
  TokenizerIdentity a = tokenizer_identity(small), b = tokenizer_identity(small_again);
  BOOST_TEST(a.sha256.size() == 64u);
  BOOST_TEST((a == b));
  BOOST_TEST(a.vocab_size == small.vocab_size());
  // Saving and reloading keeps the identity (what `r1 run` does with a tokenizer it trained).
  TempDir dir;
  small.save(dir.file("tokenizer.json"));
  BOOST_TEST((tokenizer_identity(Tokenizer::load(dir.file("tokenizer.json"))) == a));
  small_again.add_special_tokens({"<extra_token>"});
  TokenizerIdentity c = tokenizer_identity(small_again);
  BOOST_TEST(c.sha256 != a.sha256);
  BOOST_TEST(c.vocab_size == a.vocab_size + 1);
  Tokenizer gpt2 = Tokenizer::load(test::test_data_path("tokenizer-gpt2"));
  BOOST_TEST(tokenizer_identity(gpt2).sha256 != a.sha256);
}

BOOST_AUTO_TEST_SUITE_END()
