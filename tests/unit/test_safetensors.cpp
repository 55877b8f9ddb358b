// safetensors (io/safetensors*.hpp) against files written by the reference implementation
// (tests/data/make_safetensors_golden.py: the `safetensors` package and huggingface_hub's sharding):
// reading every dtype (values compared bit for bit), writing byte-identical files and shard folders,
// float32 -> float16 rounding against numpy, and the header validation errors (each names the file
// and the tensor or field).
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/formats/safetensors.hpp"
#include "io/formats/safetensors_dtype.hpp"
#include "io/formats/safetensors_folder.hpp"

using namespace r1;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "r1-test-safetensors-XXXXXX").string();
    R1_CHECK(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

const nlohmann::json& expected() {
  static const nlohmann::json j = [] {
    std::ifstream in(test::test_data_path("safetensors/expected.json"));
    return nlohmann::json::parse(in);
  }();
  return j;
}

Shape shape_of(const nlohmann::json& e) { return e["shape"].get<Shape>(); }

// The stored values of a tensor as bit patterns, in the golden file's convention (float32 bits for
// F32 and F16, bfloat16 bits, float64 bits, integers as they are).
std::vector<uint64_t> bits_of(const Tensor& t, const std::string& stored) {
  std::vector<uint64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (stored == "F32" || stored == "F16") {
      uint32_t b;
      std::memcpy(&b, &t.data<float>()[i], 4);
      out.push_back(b);
    } else if (stored == "BF16") {
      out.push_back(t.data<bf16>()[i].bits);
    } else if (stored == "F64") {
      uint64_t b;
      std::memcpy(&b, &t.data<double>()[i], 8);
      out.push_back(b);
    } else if (stored == "I32") {
      out.push_back(uint64_t(int64_t(t.data<int32_t>()[i])));
    } else {
      out.push_back(uint64_t(t.data<int64_t>()[i]));
    }
  }
  return out;
}

std::vector<uint64_t> expected_bits(const nlohmann::json& e) {
  std::vector<uint64_t> out;
  for (const auto& v : e["values"]) out.push_back(v.is_number_unsigned() ? v.get<uint64_t>() : uint64_t(v.get<int64_t>()));
  return out;
}

// A host tensor holding the expected values (F16 values as f32, which converts back exactly).
Tensor tensor_from_expected(const nlohmann::json& e) {
  const std::string dtype = e["dtype"];
  const Shape shape = shape_of(e);
  const std::vector<uint64_t> bits = expected_bits(e);
  DType type = dtype == "F64" ? DType::f64 : dtype == "BF16" ? DType::bf16 : dtype == "I32" ? DType::i32
             : dtype == "I64" ? DType::i64 : DType::f32;
  Tensor t = Tensor::empty(shape, type);
  for (size_t i = 0; i < bits.size(); ++i) {
    if (type == DType::f32) {
      uint32_t b = uint32_t(bits[i]);
      std::memcpy(&t.data<float>()[i], &b, 4);
    } else if (type == DType::f64) {
      std::memcpy(&t.data<double>()[i], &bits[i], 8);
    } else if (type == DType::bf16) {
      t.data<bf16>()[i].bits = uint16_t(bits[i]);
    } else if (type == DType::i32) {
      t.data<int32_t>()[i] = int32_t(int64_t(bits[i]));
    } else {
      t.data<int64_t>()[i] = int64_t(bits[i]);
    }
  }
  return t;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A small valid file's parts, for building malformed variants.
std::string file_with_header(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string open_error(const std::string& path) {
  try {
    SafetensorsFile::open(path);
  } catch (const InputError& e) {
    return e.what();
  }
  BOOST_FAIL("no InputError opening " << path);
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_safetensors)

// float8 e4m3fn codes with the values the OCP FP8 specification gives them (the whole decoder is
// also checked end to end by test_hf_parity's FP8 DeepSeek folder against torch's dequantization).
BOOST_AUTO_TEST_CASE(decodes_fp8_e4m3) {
  const std::vector<std::pair<uint8_t, float>> known = {
      {0x38, 1.0f},  {0xB8, -1.0f}, {0x7E, 448.0f}, {0xFE, -448.0f}, {0x08, 0.015625f} /* 2^-6 */,
      {0x01, 0.001953125f} /* 2^-9, smallest subnormal */, {0x07, 0.013671875f} /* 7 * 2^-9 */,
      {0x3C, 1.5f},  {0x40, 2.0f},  {0x00, 0.0f}};
  for (auto [code, value] : known) BOOST_TEST(fp8_e4m3_to_float(code) == value, "code " << int(code));
  BOOST_TEST(std::signbit(fp8_e4m3_to_float(0x80)));
  BOOST_TEST(std::isnan(fp8_e4m3_to_float(0x7F)));
  BOOST_TEST(std::isnan(fp8_e4m3_to_float(0xFF)));
  BOOST_TEST(std::isfinite(fp8_e4m3_to_float(0x78)));  // 0x78 = 256: e4m3fn has no infinities
}

BOOST_AUTO_TEST_CASE(reads_reference_file_bit_exactly) {
  const std::string path = test::test_data_path("safetensors/tiny.safetensors");
  SafetensorsFile f = SafetensorsFile::open(path);
  BOOST_TEST(f.metadata().size() == 1u);
  BOOST_TEST(f.metadata().at("format") == "pt");
  const nlohmann::json& tiny = expected()["tiny"];
  BOOST_REQUIRE(f.entries().size() == tiny.size());
  for (size_t i = 1; i < f.entries().size(); ++i) BOOST_TEST((f.entries()[i - 1].name < f.entries()[i].name));
  for (auto it = tiny.begin(); it != tiny.end(); ++it) {
    BOOST_TEST_CONTEXT("tensor " << it.key()) {
      const SafetensorsEntry& e = f.entry(it.key());
      BOOST_TEST(safetensors_dtype_name(e.dtype) == it.value()["dtype"].get<std::string>());
      BOOST_TEST(e.shape == shape_of(it.value()), boost::test_tools::per_element());
      Tensor t = f.read(it.key());
      BOOST_TEST(t.shape() == shape_of(it.value()), boost::test_tools::per_element());
      BOOST_TEST(bits_of(t, it.value()["dtype"]) == expected_bits(it.value()), boost::test_tools::per_element());
    }
  }
  BOOST_TEST((f.read("half").dtype() == DType::f32));  // F16 is widened on reading
  BOOST_TEST((f.read("brain").dtype() == DType::bf16));
  // Rows of dimension 0 read on their own.
  Tensor rows = f.read_rows("embed.weight", 1, 3);
  BOOST_TEST(rows.shape() == Shape({2, 4}), boost::test_tools::per_element());
  std::vector<uint64_t> all = expected_bits(tiny["embed.weight"]);
  BOOST_TEST(bits_of(rows, "F32") == std::vector<uint64_t>(all.begin() + 4, all.begin() + 12),
             boost::test_tools::per_element());
  BOOST_TEST(f.find("absent") == nullptr);
  BOOST_CHECK_EXCEPTION(f.read("absent"), InputError,
                        [&](const InputError& e) { return contains(e.what(), path) && contains(e.what(), "absent"); });
}

BOOST_AUTO_TEST_CASE(writes_the_reference_bytes) {
  TempDir dir;
  SafetensorsWriter writer;
  const nlohmann::json& tiny = expected()["tiny"];
  for (const std::string name : expected()["tiny_order"]) {
    const nlohmann::json& e = tiny[name];
    std::optional<SafetensorsDType> stored;
    if (e["dtype"] == "F16") stored = SafetensorsDType::F16;
    writer.add(name, tensor_from_expected(e), stored);
  }
  writer.set_metadata({{"format", "pt"}});
  const std::string out = dir.file("tiny.safetensors");
  writer.write(out);
  BOOST_TEST(!fs::exists(out + ".tmp"));
  BOOST_TEST(read_file(out) == read_file(test::test_data_path("safetensors/tiny.safetensors")));
}

BOOST_AUTO_TEST_CASE(reads_and_writes_sharded_folders) {
  const std::string golden = test::test_data_path("safetensors/sharded");
  SafetensorsFolder folder = SafetensorsFolder::open(golden);
  const nlohmann::json& sharded = expected()["sharded"];
  BOOST_REQUIRE(folder.names().size() == sharded.size());
  std::vector<SafetensorsTensor> tensors;
  for (const std::string name : expected()["sharded_order"]) {
    const nlohmann::json& e = sharded[name];
    BOOST_TEST_CONTEXT("tensor " << name) {
      BOOST_TEST(bits_of(folder.read(name), e["dtype"]) == expected_bits(e), boost::test_tools::per_element());
    }
    std::optional<SafetensorsDType> stored;
    if (e["dtype"] == "F16") stored = SafetensorsDType::F16;
    tensors.push_back({name, tensor_from_expected(e), stored});
  }
  BOOST_TEST(fs::path(folder.file_of("model.layers.1.big.weight").path()).filename() ==
             "model-00002-of-00003.safetensors");

  TempDir dir;
  std::vector<std::string> written =
      write_safetensors_folder(dir.path(), tensors, expected()["sharded_max_shard_bytes"].get<uint64_t>());
  std::vector<std::string> want_files = expected()["sharded_files"];
  want_files.push_back(kSafetensorsIndexFile);
  BOOST_REQUIRE(written.size() == want_files.size());
  for (size_t i = 0; i < written.size(); ++i) {
    BOOST_TEST(fs::path(written[i]).filename() == want_files[i]);
    BOOST_TEST(read_file(written[i]) == read_file((fs::path(golden) / want_files[i]).string()),
               "file " << want_files[i] << " differs from the reference");
  }
  // Everything fits in one shard: a single model.safetensors, no index.
  TempDir single;
  written = write_safetensors_folder(single.path(), tensors);
  BOOST_REQUIRE(written.size() == 1u);
  BOOST_TEST(fs::path(written[0]).filename() == kSafetensorsSingleFile);
  SafetensorsFolder reread = SafetensorsFolder::open(single.path());
  BOOST_TEST(reread.names() == folder.names(), boost::test_tools::per_element());
  BOOST_TEST(reread.file_of("lm_head.weight").metadata().at("format") == "pt");
}

BOOST_AUTO_TEST_CASE(float16_conversion_matches_numpy) {
  const nlohmann::json& c = expected()["f32_to_f16"];
  const std::vector<uint32_t> inputs = c["input_bits"];
  const std::vector<uint16_t> halves = c["half_bits"];
  int64_t mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    float f;
    std::memcpy(&f, &inputs[i], 4);
    if (float_to_half(f) != halves[i]) {
      if (++mismatches <= 5) BOOST_TEST_MESSAGE("float " << f << ": got " << float_to_half(f) << ", numpy " << halves[i]);
    }
  }
  BOOST_TEST(mismatches == 0);
  // Every finite half converts to float and back unchanged; NaNs stay NaNs.
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = half_to_float(uint16_t(h));
    if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) {
      BOOST_TEST(std::isnan(f));
      BOOST_TEST(((float_to_half(f) & 0x7c00u) == 0x7c00u && (float_to_half(f) & 0x3ffu)));
    } else if (float_to_half(f) != h) {
      BOOST_FAIL("half " << h << " -> " << f << " -> " << float_to_half(f));
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_headers_are_input_errors_naming_file_and_tensor) {
  TempDir dir;
  const std::string data(16, '\x01');
  struct Case {
    std::string name, bytes, must_contain;
  };
  const std::string a = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::vector<Case> cases = {
      {"short", "abc", "too short"},
      {"length_beyond_file", std::string("\xff\x00\x00\x00\x00\x00\x00\x00", 8) + "{}", "exceeds the file"},
      {"bad_json", file_with_header(R"({"a":{"dtype":"F32",)", data), "not valid JSON"},
      {"not_object_start", file_with_header(R"([1,2])", data), "does not start with '{'"},
      {"outside", file_with_header("{" + a + R"(,"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", data),
       "tensor 'b': data_offsets [8, 24] lie outside the data area of 16 bytes"},
      {"overlap", file_with_header("{" + a + R"(,"b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}})", data),
       "tensor 'b': data_offsets [4, 16] overlap tensor 'a'"},
      {"gap", file_with_header("{" + a + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})", data),
       "tensor 'b': data_offsets [12, 16] leave a gap of 4 bytes after tensor 'a'"},
      {"wrong_size", file_with_header(R"({"a":{"dtype":"F64","shape":[3],"data_offsets":[0,16]}})", data),
       "tensor 'a': data_offsets [0,16] hold 16 bytes but shape [3] of F64 needs 3 x 8 bytes"},
      {"dtype", file_with_header(R"({"a":{"dtype":"F8_E5M2","shape":[16],"data_offsets":[0,16]}})", data),
       "tensor 'a': dtype 'F8_E5M2' is not supported"},
      {"shape", file_with_header(R"({"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", data),
       "tensor 'a': field 'shape' must hold non-negative integers"},
      {"uncovered", file_with_header("{" + a + "}", data), "the data area holds 16 bytes but the tensors cover 8"},
      {"metadata", file_with_header(R"({"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data),
       "__metadata__ value of 'n' is not a string"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("case " << c.name) {
      const std::string path = dir.file(c.name + ".safetensors");
      write_file(path, c.bytes);
      const std::string e = open_error(path);
      BOOST_TEST(contains(e, path), e);
      BOOST_TEST(contains(e, c.must_contain), e);
    }
  }
  // The valid variant of the same bytes opens.
  const std::string ok = dir.file("ok.safetensors");
  write_file(ok, file_with_header("{" + a + R"(,"b":{"dtype":"I32","shape":[2],"data_offsets":[8,16]}})", data));
  BOOST_TEST(SafetensorsFile::open(ok).entries().size() == 2u);
}

BOOST_AUTO_TEST_CASE(bad_index_files_are_input_errors) {
  TempDir dir;
  const std::string shard = "model-00001-of-00001.safetensors";
  fs::copy_file(test::test_data_path("safetensors/tiny.safetensors"), dir.file(shard));
  auto index_error = [&](const std::string& weight_map) {
    write_file(dir.file(kSafetensorsIndexFile), R"({"metadata":{},"weight_map":)" + weight_map + "}");
    try {
      SafetensorsFolder::open(dir.path());
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    BOOST_FAIL("no InputError for weight_map " << weight_map);
    return std::string();
  };
  BOOST_TEST(contains(index_error(R"({"half":"model-00002-of-00002.safetensors"})"), "does not exist"));
  BOOST_TEST(contains(index_error(R"({"nothere":")" + shard + R"("})"), "tensor 'nothere'"));
  BOOST_TEST(contains(index_error(R"({"half":"../)" + shard + R"("})"), "must be a file name inside the folder"));
  BOOST_TEST(contains(index_error(R"([1])"), "weight_map"));
  write_file(dir.file(kSafetensorsIndexFile), R"({"weight_map":{"half":")" + shard + R"(","ids":")" + shard + R"("}})");
  SafetensorsFolder ok = SafetensorsFolder::open(dir.path());
  BOOST_TEST(ok.names() == std::vector<std::string>({"half", "ids"}), boost::test_tools::per_element());
  TempDir empty;
  BOOST_CHECK_THROW(SafetensorsFolder::open(empty.path()), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
