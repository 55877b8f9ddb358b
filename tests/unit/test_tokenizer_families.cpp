// Tokenizers shaped like real model families (Qwen2.5, Qwen3, Llama-3, DeepSeek-V3, Llama-2 and
// Mistral SentencePiece conversions, and two covering the remaining normalizer / pre-tokenizer /
// model / added-token / decoder options) against Hugging Face `tokenizers`: the goldens written by
// tests/data/make_tokenizer_families_golden.py hold HF's ids (special tokens parsed and as plain
// text) and HF's decode of them for a varied text set. Also: decode(encode(x)) == x where the
// family is lossless, save() / load() keep the behaviour, and unsupported or malformed files give
// an InputError naming the JSON field.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/tokenizer/tokenizer.hpp"

using namespace r1;
using namespace r1::test;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kFamilies = {"qwen2",     "qwen3",      "llama3",   "deepseek_v3",
                                            "llama2_sp", "mistral_sp", "features", "suffixes", "wordpiece_fused"};

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  return nlohmann::json::parse(in);
}

fs::path family_dir(const std::string& family) { return test_data_path("tokenizer_families/" + family); }

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("r1_test_tokenizer_families_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

void expect_input_error(const std::function<void()>& action, const std::vector<std::string>& parts) {
  try {
    action();
    BOOST_ERROR("expected r1::InputError mentioning " << parts.back());
  } catch (const InputError& e) {
    const std::string message = e.what();
    for (const auto& part : parts)
      BOOST_TEST(message.find(part) != std::string::npos, "'" << message << "' lacks '" << part << "'");
  }
}

// Compares r1 with the golden of one family; returns the number of texts checked.
size_t check_family_against_golden(const Tokenizer& tokenizer, const nlohmann::json& golden, const std::string& family) {
  size_t checked = 0;
  for (const auto& c : golden.at("cases")) {
    const std::string text = c.at("text").get<std::string>();
    BOOST_TEST_CONTEXT(family << " text '" << text << "'") {
      const std::vector<int32_t> ids = tokenizer.encode(text, SpecialTokens::parse);
      const std::vector<int32_t> ids_plain = tokenizer.encode(text, SpecialTokens::plain);
      BOOST_TEST(ids == c.at("ids").get<std::vector<int32_t>>(), boost::test_tools::per_element());
      BOOST_TEST(ids_plain == c.at("ids_plain").get<std::vector<int32_t>>(), boost::test_tools::per_element());
      BOOST_TEST(tokenizer.decode(c.at("ids").get<std::vector<int32_t>>()) == c.at("decoded").get<std::string>());
      BOOST_TEST(tokenizer.decode(c.at("ids_plain").get<std::vector<int32_t>>()) ==
                 c.at("decoded_plain").get<std::string>());
      if (c.at("round_trips").get<bool>()) {
        BOOST_TEST(tokenizer.decode(ids) == text);
        BOOST_TEST(tokenizer.decode(ids_plain) == text);
      }
    }
    ++checked;
  }
  return checked;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_tokenizer_families)

BOOST_AUTO_TEST_CASE(ids_and_decodes_match_hugging_face) {
  for (const std::string& family : kFamilies) {
    const nlohmann::json golden = read_json(family_dir(family) / "golden.json");
    const Tokenizer tokenizer = Tokenizer::load(family_dir(family).string());
    BOOST_TEST(tokenizer.vocab_size() == golden.at("vocab_size").get<int64_t>(), family);
    BOOST_TEST(check_family_against_golden(tokenizer, golden, family) >= 30u, family);
    BOOST_TEST_MESSAGE(family << ": " << golden.at("cases").size() << " texts match tokenizers "
                              << golden.at("tokenizers_version").get<std::string>());
  }
}

BOOST_AUTO_TEST_CASE(lossless_families_round_trip_every_text) {
  // Byte-level families without a normalizer lose nothing: every golden text and random UTF-8
  // round trips. With NFC (Qwen) the golden texts that are NFC already round trip (most of them).
  std::mt19937_64 rng(11);
  for (const std::string& family : kFamilies) {
    const nlohmann::json golden = read_json(family_dir(family) / "golden.json");
    const std::string lossless = golden.at("lossless").get<std::string>();
    if (lossless == "none") continue;
    const Tokenizer tokenizer = Tokenizer::load(family_dir(family).string());
    size_t round_trips = 0;
    for (const auto& c : golden.at("cases")) {
      const std::string text = c.at("text").get<std::string>();
      const bool ok = tokenizer.decode(tokenizer.encode(text)) == text;
      round_trips += ok;
      if (lossless == "all") BOOST_TEST(ok, family << " does not round trip '" << text << "'");
    }
    BOOST_TEST(round_trips + 2 >= golden.at("cases").size(), family);
    if (lossless != "all") continue;
    for (int trial = 0; trial < 200; ++trial) {
      std::string text;
      const int length = int(rng() % 12);
      for (int i = 0; i < length; ++i) {
        const char32_t ranges[][2] = {{0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x24F}, {0x400, 0x4FF}, {0x4E00, 0x4FFF},
                                      {0x1F300, 0x1F6FF}};
        const auto& range = ranges[rng() % 6];
        const char32_t cp = range[0] + char32_t(rng() % (range[1] - range[0] + 1));
        if (cp < 0x80) {
          text += char(cp);
        } else if (cp < 0x800) {
          text += char(0xC0 | (cp >> 6)), text += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          text += char(0xE0 | (cp >> 12)), text += char(0x80 | ((cp >> 6) & 0x3F)), text += char(0x80 | (cp & 0x3F));
        } else {
          text += char(0xF0 | (cp >> 18)), text += char(0x80 | ((cp >> 12) & 0x3F));
          text += char(0x80 | ((cp >> 6) & 0x3F)), text += char(0x80 | (cp & 0x3F));
        }
      }
      BOOST_TEST(tokenizer.decode(tokenizer.encode(text)) == text, family);
    }
  }
}

BOOST_AUTO_TEST_CASE(long_text_round_trips_and_encode_time_is_logged) {
  // ~1 MB of the round-tripping golden texts joined by newlines (with the families' special tokens
  // inside): decode gives the text back; the encode time is logged (--log_level=message).
  for (const std::string& family : {std::string("qwen3"), std::string("llama3"), std::string("deepseek_v3")}) {
    const nlohmann::json golden = read_json(family_dir(family) / "golden.json");
    const Tokenizer tokenizer = Tokenizer::load(family_dir(family).string());
    std::string text;
    while (text.size() < (size_t(1) << 20))
      for (const auto& c : golden.at("cases"))
        if (c.at("round_trips").get<bool>()) text += c.at("text").get<std::string>() + "\n";
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int32_t> ids = tokenizer.encode(text);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST_MESSAGE(family << ": encoded " << text.size() << " bytes into " << ids.size() << " ids in " << seconds
                              << " s");
    BOOST_TEST(tokenizer.decode(ids) == text, family);
  }
}

BOOST_AUTO_TEST_CASE(added_tokens_and_token_ids_follow_tokenizer_json) {
  for (const std::string& family : kFamilies) {
    const nlohmann::json file = read_json(family_dir(family) / "tokenizer.json");
    const Tokenizer tokenizer = Tokenizer::load(family_dir(family).string());
    const auto& added = tokenizer.added_tokens();
    BOOST_REQUIRE_EQUAL(added.size(), file.at("added_tokens").size());
    for (size_t i = 0; i < added.size(); ++i) {
      const auto& expected = file.at("added_tokens")[i];
      BOOST_TEST(added[i].content == expected.at("content").get<std::string>());
      BOOST_TEST(added[i].id == expected.at("id").get<int32_t>());
      BOOST_TEST(added[i].special == expected.at("special").get<bool>());
      BOOST_TEST(tokenizer.token_id(added[i].content) == added[i].id);
      BOOST_TEST(tokenizer.is_special(added[i].id) == added[i].special);
    }
    for (const auto& [token, id] : file.at("model").at("vocab").items()) {
      BOOST_TEST(tokenizer.token_id(token) == id.get<int32_t>());
      BOOST_TEST(tokenizer.token_string(id.get<int32_t>()) == token);
    }
    const nlohmann::json config = read_json(family_dir(family) / "tokenizer_config.json");
    BOOST_TEST(tokenizer.eos_id() == tokenizer.token_id(config.at("eos_token").get<std::string>()), family);
  }
}

BOOST_AUTO_TEST_CASE(saved_tokenizer_keeps_pipeline_and_ids) {
  const fs::path dir = temp_dir("save");
  for (const std::string& family : kFamilies) {
    const nlohmann::json original = read_json(family_dir(family) / "tokenizer.json");
    const Tokenizer tokenizer = Tokenizer::load(family_dir(family).string());
    const fs::path file = dir / (family + ".json");
    tokenizer.save(file.string());
    const nlohmann::json saved = read_json(file);
    for (const char* part : {"normalizer", "pre_tokenizer", "decoder", "post_processor", "added_tokens"})
      BOOST_TEST(saved.at(part) == original.at(part), family << " " << part);
    for (const char* option : {"unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk",
                               "byte_fallback", "ignore_merges", "vocab"})
      BOOST_TEST(saved.at("model").at(option) == original.at("model").at(option), family << " model." << option);
    const Tokenizer reloaded = Tokenizer::load(file.string());
    check_family_against_golden(reloaded, read_json(family_dir(family) / "golden.json"), family + " (saved)");
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(unsupported_or_malformed_files_name_the_field) {
  const fs::path dir = temp_dir("malformed");
  const std::string file = (dir / "tokenizer.json").string();
  auto load_with = [&](const std::string& family, const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = read_json(family_dir(family) / "tokenizer.json");
    edit(j);
    write_text(file, j.dump());
    Tokenizer::load(file);
  };
  using J = nlohmann::json;
  expect_input_error([&] { load_with("qwen2", [](J& j) { j["normalizer"] = {{"type", "BertNormalizer"}}; }); },
                     {file, "field 'normalizer.type'", "BertNormalizer"});
  expect_input_error([&] { load_with("qwen2", [](J& j) { j["normalizer"] = {{"type", "NFC"}, {"form", 1}}; }); },
                     {file, "field 'normalizer.form'", "unsupported field"});
  expect_input_error(
      [&] { load_with("qwen2", [](J& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways"; }); },
      {file, "field 'pre_tokenizer.pretokenizers[0].behavior'", "Sideways"});
  expect_input_error([&] {
    load_with("qwen2", [](J& j) {
      auto& steps = j["pre_tokenizer"]["pretokenizers"];
      std::swap(steps[0], steps[1]);
    });
  }, {file, "field 'pre_tokenizer.pretokenizers[0].type'", "ByteLevel"});
  expect_input_error([&] { load_with("llama3", [](J& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }); },
                     {file, "field 'pre_tokenizer.type'", "Whitespace"});
  expect_input_error([&] { load_with("llama3", [](J& j) { j["model"]["dropout"] = 0.1; }); },
                     {file, "field 'model.dropout'"});
  expect_input_error([&] { load_with("deepseek_v3", [](J& j) { j["decoder"] = {{"type", "CTC"}}; }); },
                     {file, "field 'decoder.type'", "CTC"});
  expect_input_error([&] { load_with("deepseek_v3", [](J& j) { j["model"]["vocab"].erase("Ġ"); }); },
                     {file, "field 'model.vocab'", "byte 32"});
  expect_input_error([&] { load_with("mistral_sp", [](J& j) { j["pre_tokenizer"]["prepend_scheme"] = "sometimes"; }); },
                     {file, "field 'pre_tokenizer.prepend_scheme'", "sometimes"});
  expect_input_error([&] { load_with("mistral_sp", [](J& j) { j["pre_tokenizer"]["replacement"] = "__"; }); },
                     {file, "field 'pre_tokenizer.replacement'", "one character"});
  expect_input_error([&] { load_with("llama2_sp", [](J& j) { j["model"]["unk_token"] = "<nope>"; }); },
                     {file, "field 'model.unk_token'", "<nope>"});
  expect_input_error(
      [&] { load_with("llama2_sp", [](J& j) { j["normalizer"]["normalizers"][1]["pattern"] = {{"Regex", "(a"}}; }); },
      {file, "field 'normalizer.normalizers[1].pattern.Regex'"});
  expect_input_error([&] { load_with("llama2_sp", [](J& j) { j["decoder"]["decoders"][3]["content"] = "ab"; }); },
                     {file, "field 'decoder.decoders[3].content'"});
  expect_input_error([&] { load_with("llama2_sp", [](J& j) { j["decoder"]["decoders"][3]["start"] = -1; }); },
                     {file, "field 'decoder.decoders[3].start'"});
  expect_input_error([&] { load_with("llama2_sp", [](J& j) { j["model"]["type"] = "Unigram"; }); },
                     {file, "field 'model.type'", "Unigram"});
  expect_input_error([&] { load_with("features", [](J& j) { j["added_tokens"][1]["lstrip"] = "yes"; }); },
                     {file, "field 'added_tokens[1].lstrip'"});
  expect_input_error([&] { load_with("features", [](J& j) { j["normalizer"]["normalizers"][2]["strip_left"] = 1; }); },
                     {file, "field 'normalizer.normalizers[2].strip_left'"});
  expect_input_error([&] { load_with("features", [](J& j) { j["pre_tokenizer"]["pretokenizers"][0]["type"] = "Punctuation"; }); },
                     {file, "field 'pre_tokenizer.pretokenizers[0].type'", "Punctuation"});
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
