// Byte-level BPE tokenizer: ids against Hugging Face `tokenizers` (golden files written by
// tests/data/make_tokenizer_golden.py) for GPT-2 (vocab.json + merges.txt) and a small
// tokenizer.json with a Split regex, ignore_merges and added tokens; exact decode round trips on
// the golden texts and random UTF-8; special tokens parsed vs plain; training against a naive
// reference trainer written here; save/load; malformed files.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/tokenizer/tokenizer.hpp"

using namespace r1;
using namespace r1::test;
namespace fs = std::filesystem;

namespace {

struct GoldenCase {
  std::string text;
  std::vector<int32_t> ids;        // special tokens parsed
  std::vector<int32_t> ids_plain;  // special tokens encoded as text
  std::vector<int32_t> ids_prefix_space;  // GPT-2 only: ByteLevel add_prefix_space = true
};

std::vector<GoldenCase> read_golden(const std::string& relative) {
  std::ifstream in(test_data_path(relative));
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << test_data_path(relative));
  const nlohmann::json golden = nlohmann::json::parse(in);
  std::vector<GoldenCase> cases;
  for (const auto& c : golden.at("cases"))
    cases.push_back({c.at("text").get<std::string>(), c.at("ids").get<std::vector<int32_t>>(),
                     c.at("ids_plain").get<std::vector<int32_t>>(),
                     c.value("ids_prefix_space", std::vector<int32_t>())});
  BOOST_REQUIRE(cases.size() > 20);
  return cases;
}

const Tokenizer& gpt2() {
  static const Tokenizer tokenizer = Tokenizer::load(test_data_path("tokenizer-gpt2"));
  return tokenizer;
}

const Tokenizer& small_hf() {
  static const Tokenizer tokenizer = Tokenizer::load(test_data_path("tokenizer_small"));
  return tokenizer;
}

// A fresh, empty folder for this test process.
fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("r1_test_tokenizer_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18)), out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
  }
}

// Random valid UTF-8 mixing whitespace, ASCII, accents, combining marks, Greek, CJK, Hangul,
// emoji with ZWJ / variation selectors / skin tones, and arbitrary non-surrogate code points.
std::string random_utf8(std::mt19937_64& rng, int chars) {
  static const std::vector<std::pair<char32_t, char32_t>> ranges = {
      {0x20, 0x7E},       {0x09, 0x0D},       {0x20, 0x20},       {0xA0, 0x17F},     {0x300, 0x36F},
      {0x370, 0x3FF},     {0x400, 0x4FF},     {0x600, 0x6FF},     {0x900, 0x97F},    {0x2000, 0x206F},
      {0x3000, 0x303F},   {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3},   {0x1F300, 0x1FAFF}, {0x200D, 0x200D},
      {0xFE0F, 0xFE0F},   {0x1F3FB, 0x1F3FF}, {0x0, 0x10FFFF}};
  std::string out;
  for (int i = 0; i < chars; ++i) {
    const auto& [lo, hi] = ranges[rng() % ranges.size()];
    char32_t cp = lo + char32_t(rng() % (hi - lo + 1));
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
    append_utf8(cp, out);
  }
  return out;
}

void check_matches_golden(const Tokenizer& tokenizer, const std::vector<GoldenCase>& cases, const std::string& name) {
  for (const auto& c : cases) {
    BOOST_TEST(tokenizer.encode(c.text) == c.ids, name << " parse: " << c.text);
    BOOST_TEST(tokenizer.encode(c.text, SpecialTokens::plain) == c.ids_plain, name << " plain: " << c.text);
    BOOST_TEST(tokenizer.decode(c.ids) == c.text, name << " decode: " << c.text);
    BOOST_TEST(tokenizer.decode(c.ids_plain) == c.text, name << " decode plain: " << c.text);
  }
}

void check_same_encodings(const Tokenizer& a, const Tokenizer& b, const std::vector<GoldenCase>& cases) {
  BOOST_TEST(a.vocab_size() == b.vocab_size());
  BOOST_TEST(a.eos_id() == b.eos_id());
  for (int32_t id = 0; id < int32_t(a.vocab_size()); ++id) {
    BOOST_TEST(a.token_string(id) == b.token_string(id), "id " << id);
    BOOST_TEST(a.is_special(id) == b.is_special(id), "id " << id);
  }
  for (const auto& c : cases) {
    BOOST_TEST(a.encode(c.text) == b.encode(c.text), c.text);
    BOOST_TEST(a.encode(c.text, SpecialTokens::plain) == b.encode(c.text, SpecialTokens::plain), c.text);
  }
}

// ---- training corpus and the naive reference trainer ----

// Lowercase ASCII words joined by single spaces (plus <|endoftext|> separators), so the GPT-2
// pre-tokenization is simply "first word, then ' word' for each following word".
std::vector<std::string> training_corpus() {
  const std::vector<std::string> words = {
      "the",     "cat",      "sat",     "on",      "mat",      "dog",       "ran",     "after",   "a",
      "ball",    "in",       "garden",  "apples",  "oranges",  "bananas",   "cost",    "dollars", "each",
      "how",     "many",     "did",     "she",     "buy",      "total",     "answer",  "is",      "twelve",
      "seven",   "nineteen", "students", "teacher", "classroom", "homework", "minutes", "hours",   "week",
      "bought",  "sold",     "friends", "half",    "as",       "clips",     "april",   "may",     "together",
      "thinking", "reasoning", "therefore", "because", "multiply", "divide", "subtract", "addition", "equation"};
  std::mt19937_64 rng(2024);
  std::vector<std::string> texts;
  for (int s = 0; s < 300; ++s) {
    std::string text;
    const int length = 4 + int(rng() % 12);
    for (int w = 0; w < length; ++w) {
      if (w > 0) text += (rng() % 25 == 0) ? "<|endoftext|>" : " ";
      // Zipf-like: earlier words are more frequent.
      const size_t index = size_t(double(words.size()) * std::pow(double(rng() % 1000) / 1000.0, 2.0));
      text += words[index];
    }
    texts.push_back(text);
  }
  return texts;
}

// Straightforward BPE training: recount every pair each step, merge the most frequent (ties:
// smallest (left, right) byte strings, i.e. the first in std::map order). Returns the new tokens'
// bytes in the order they were created.
std::vector<std::string> naive_bpe_new_tokens(const std::vector<std::string>& texts, size_t new_token_count,
                                              const std::string& separator) {
  std::map<std::string, int64_t> word_counts;
  for (const std::string& text : texts) {
    size_t begin = 0;
    while (begin <= text.size()) {
      size_t end = text.find(separator, begin);
      if (end == std::string::npos) end = text.size();
      const std::string part = text.substr(begin, end - begin);
      // GPT-2 pre-tokens of "w1 w2 w3": "w1", " w2", " w3".
      size_t start = 0;
      while (start < part.size()) {
        size_t next = part.find(' ', start + 1);
        if (next == std::string::npos) next = part.size();
        ++word_counts[part.substr(start, next - start)];
        start = next;
      }
      begin = end + separator.size();
    }
  }
  std::vector<std::pair<std::vector<std::string>, int64_t>> words;
  for (const auto& [w, count] : word_counts) {
    std::vector<std::string> symbols;
    for (char c : w) symbols.emplace_back(1, c);
    words.emplace_back(symbols, count);
  }
  std::set<std::string> vocabulary;
  std::vector<std::string> new_tokens;
  while (new_tokens.size() < new_token_count) {
    std::map<std::pair<std::string, std::string>, int64_t> pair_counts;
    for (const auto& [symbols, count] : words)
      for (size_t i = 0; i + 1 < symbols.size(); ++i) pair_counts[{symbols[i], symbols[i + 1]}] += count;
    if (pair_counts.empty()) break;
    auto best = pair_counts.begin();
    for (auto it = pair_counts.begin(); it != pair_counts.end(); ++it)
      if (it->second > best->second) best = it;
    const auto [left, right] = best->first;
    const std::string merged = left + right;
    if (merged.size() > 1 && vocabulary.insert(merged).second) new_tokens.push_back(merged);
    for (auto& [symbols, count] : words) {
      std::vector<std::string> out;
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          out.push_back(merged);
          ++i;
        } else {
          out.push_back(symbols[i]);
        }
      }
      symbols = std::move(out);
    }
  }
  return new_tokens;
}

constexpr int64_t kTrainedVocabSize = 256 + 120 + 2;
const std::vector<std::string> kTrainedSpecials = {"<|endoftext|>", "<|pad|>"};

const Tokenizer& trained() {
  static const Tokenizer tokenizer = Tokenizer::train_bpe(training_corpus(), kTrainedVocabSize, kTrainedSpecials);
  return tokenizer;
}

// Runs `action`, expecting InputError whose message contains every one of `parts`.
void expect_input_error(const std::function<void()>& action, const std::vector<std::string>& parts) {
  try {
    action();
    BOOST_ERROR("expected r1::InputError mentioning " << parts.front());
  } catch (const InputError& e) {
    const std::string message = e.what();
    for (const auto& part : parts) BOOST_TEST(message.find(part) != std::string::npos, "'" << message << "' lacks '" << part << "'");
  }
}

nlohmann::json small_tokenizer_json() {
  std::ifstream in(test_data_path("tokenizer_small/tokenizer.json"));
  return nlohmann::json::parse(in);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_tokenizer)

BOOST_AUTO_TEST_CASE(gpt2_vocab_and_merges_match_hugging_face) {
  const Tokenizer& tokenizer = gpt2();
  BOOST_TEST(tokenizer.vocab_size() == 50257);
  BOOST_TEST(tokenizer.eos_id() == 50256);
  BOOST_TEST(tokenizer.token_id("<|endoftext|>") == 50256);
  BOOST_TEST(tokenizer.is_special(50256));
  BOOST_TEST(tokenizer.token_id("Ġthe") == 262);
  BOOST_TEST(tokenizer.token_string(262) == "Ġthe");
  BOOST_TEST(tokenizer.token_id("not-a-token-at-all") == -1);
  check_matches_golden(tokenizer, read_golden("tokenizer_gpt2_golden.json"), "gpt2");
}

BOOST_AUTO_TEST_CASE(small_tokenizer_json_matches_hugging_face) {
  const Tokenizer& tokenizer = small_hf();
  BOOST_TEST(tokenizer.vocab_size() == 702);
  BOOST_TEST(tokenizer.token_id("<|im_start|>") == 1);
  BOOST_TEST(tokenizer.is_special(1));
  BOOST_TEST(tokenizer.token_id("<think>") == 700);
  BOOST_TEST(!tokenizer.is_special(700));  // non-special added token: matched even in plain mode
  BOOST_TEST(tokenizer.eos_id() == 0);     // <|endoftext|>
  check_matches_golden(tokenizer, read_golden("tokenizer_small/golden.json"), "small");
}

BOOST_AUTO_TEST_CASE(merges_as_strings_load_like_merges_as_pairs) {
  nlohmann::json j = small_tokenizer_json();
  for (auto& merge : j["model"]["merges"]) merge = merge[0].get<std::string>() + " " + merge[1].get<std::string>();
  const fs::path file = temp_dir("string_merges") / "custom_name.json";
  write_text(file, j.dump());
  const Tokenizer tokenizer = Tokenizer::load(file.string());
  check_matches_golden(tokenizer, read_golden("tokenizer_small/golden.json"), "small with string merges");
  fs::remove_all(file.parent_path());
}

BOOST_AUTO_TEST_CASE(prefix_space_option_matches_hugging_face) {
  const fs::path dir = temp_dir("prefix_space");
  gpt2().save(dir.string());
  std::ifstream in(dir / "tokenizer.json");
  nlohmann::json j = nlohmann::json::parse(in);
  in.close();
  BOOST_REQUIRE(j["pre_tokenizer"]["type"] == "ByteLevel");
  j["pre_tokenizer"]["add_prefix_space"] = true;
  write_text(dir / "tokenizer.json", j.dump());
  const Tokenizer tokenizer = Tokenizer::load(dir.string());
  for (const auto& c : read_golden("tokenizer_gpt2_golden.json")) {
    BOOST_TEST((!c.ids_prefix_space.empty() || c.text.empty()));
    BOOST_TEST(tokenizer.encode(c.text) == c.ids_prefix_space, c.text);
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(decode_inverts_encode_on_random_utf8) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 150; ++trial) {
    const std::string text = random_utf8(rng, 1 + int(rng() % 60));
    for (const Tokenizer* tokenizer : {&gpt2(), &small_hf(), &trained()}) {
      const std::vector<int32_t> ids = tokenizer->encode(text);
      BOOST_TEST(tokenizer->decode(ids) == text);
      const std::span<const int32_t> view(ids);
      BOOST_TEST(tokenizer->decode(view) == text);
      BOOST_TEST(tokenizer->decode(ids.data(), ids.size()) == text);
    }
  }
}

BOOST_AUTO_TEST_CASE(special_tokens_parse_versus_plain) {
  const Tokenizer& base = gpt2();
  const std::vector<int32_t> parsed = base.encode("Hi<|endoftext|> there");
  std::vector<int32_t> expected = base.encode("Hi");
  expected.push_back(50256);
  for (int32_t id : base.encode(" there")) expected.push_back(id);
  BOOST_TEST(parsed == expected);
  const std::vector<int32_t> plain = base.encode("Hi<|endoftext|> there", SpecialTokens::plain);
  BOOST_TEST(std::count(plain.begin(), plain.end(), 50256) == 0);
  BOOST_TEST(base.decode(plain) == "Hi<|endoftext|> there");

  Tokenizer extended = base;
  extended.add_special_tokens({"<|im_start|>", "<|im", "<|endoftext|>", "<|im_end|>"});
  BOOST_TEST(extended.vocab_size() == 50260);  // <|endoftext|> was already there
  BOOST_TEST(extended.token_id("<|im_start|>") == 50257);
  BOOST_TEST(extended.token_id("<|im") == 50258);
  BOOST_TEST(extended.token_id("<|im_end|>") == 50259);
  BOOST_TEST(extended.token_id("<|endoftext|>") == 50256);
  BOOST_TEST(base.vocab_size() == 50257);  // the copy did not change the original
  // Leftmost match first, then the longest one starting there.
  const std::vector<int32_t> ids = extended.encode("x<|im<|im_start|>user<|im_end|>");
  std::vector<int32_t> want = base.encode("x");
  want.insert(want.end(), {50258, 50257});
  for (int32_t id : base.encode("user")) want.push_back(id);
  want.push_back(50259);
  BOOST_TEST(ids == want);
  BOOST_TEST(extended.decode(ids) == "x<|im<|im_start|>user<|im_end|>");
  BOOST_TEST(extended.encode("<|im_start|>", SpecialTokens::plain) == base.encode("<|im_start|>"));

  BOOST_TEST(extended.eos_id() == 50256);
  extended.set_eos_token("<|im_end|>");
  BOOST_TEST(extended.eos_id() == 50259);
  expect_input_error([&] { extended.set_eos_token("<|nope|>"); }, {"<|nope|>"});
  // Ids outside the vocabulary (padding rows of a larger embedding) decode to nothing.
  BOOST_TEST(extended.decode(std::vector<int32_t>{50260, -1, 99999}) == "");
}

BOOST_AUTO_TEST_CASE(train_bpe_matches_naive_reference_and_is_deterministic) {
  const std::vector<std::string> corpus = training_corpus();
  const Tokenizer& tokenizer = trained();
  BOOST_TEST(tokenizer.vocab_size() == kTrainedVocabSize);
  BOOST_TEST(tokenizer.token_id("<|endoftext|>") == kTrainedVocabSize - 2);  // specials after the merges
  BOOST_TEST(tokenizer.token_id("<|pad|>") == kTrainedVocabSize - 1);
  BOOST_TEST(tokenizer.eos_id() == kTrainedVocabSize - 2);
  for (int b = 0; b < 256; ++b) BOOST_TEST(tokenizer.decode(std::vector<int32_t>{b}) == std::string(1, char(b)));

  const std::vector<std::string> reference = naive_bpe_new_tokens(corpus, size_t(kTrainedVocabSize - 258), "<|endoftext|>");
  BOOST_REQUIRE(reference.size() == size_t(kTrainedVocabSize - 258));
  for (size_t i = 0; i < reference.size(); ++i)
    BOOST_TEST(tokenizer.decode(std::vector<int32_t>{int32_t(256 + i)}) == reference[i], "token " << 256 + i);

  const Tokenizer again = Tokenizer::train_bpe(corpus, kTrainedVocabSize, kTrainedSpecials);
  for (int32_t id = 0; id < int32_t(tokenizer.vocab_size()); ++id)
    BOOST_TEST(again.token_string(id) == tokenizer.token_string(id));
  size_t total_ids = 0, total_bytes = 0;
  for (const std::string& text : corpus) {
    const std::vector<int32_t> ids = tokenizer.encode(text);
    BOOST_TEST(again.encode(text) == ids);
    BOOST_TEST(tokenizer.decode(ids) == text);
    total_ids += ids.size(), total_bytes += text.size();
  }
  BOOST_TEST(total_ids * 3 < total_bytes);  // the merges compress the training text
  expect_input_error([&] { Tokenizer::train_bpe(corpus, 257, kTrainedSpecials); }, {"vocab_size"});
}

BOOST_AUTO_TEST_CASE(saved_tokenizer_json_loads_back_identically) {
  const std::vector<GoldenCase> cases = read_golden("tokenizer_small/golden.json");
  std::vector<GoldenCase> texts = cases;
  for (const std::string& t : training_corpus()) texts.push_back({t, {}, {}});

  const fs::path dir = temp_dir("save");
  trained().save(dir.string());  // a folder: writes dir/tokenizer.json
  check_same_encodings(trained(), Tokenizer::load(dir.string()), texts);

  const fs::path small_copy = dir / "small_copy.json";
  small_hf().save(small_copy.string());
  const Tokenizer small_reloaded = Tokenizer::load(small_copy.string());
  check_same_encodings(small_hf(), small_reloaded, texts);
  check_matches_golden(small_reloaded, cases, "small saved and reloaded");

  const fs::path gpt2_copy = dir / "gpt2.json";
  gpt2().save(gpt2_copy.string());
  check_same_encodings(gpt2(), Tokenizer::load(gpt2_copy.string()), read_golden("tokenizer_gpt2_golden.json"));
  fs::remove_all(dir);

  // For tests/data/make_tokenizer_golden.py --verify-cpp-export: our file and our ids, for HF to check.
  if (const char* export_dir = std::getenv("R1_TOKENIZER_EXPORT_DIR")) {
    fs::create_directories(export_dir);
    trained().save(export_dir);
    nlohmann::json exported = {{"vocab_size", trained().vocab_size()}, {"cases", nlohmann::json::array()}};
    for (const auto& c : texts) exported["cases"].push_back({{"text", c.text}, {"ids", trained().encode(c.text)}});
    write_text(fs::path(export_dir) / "cpp_ids.json", exported.dump(1));
    BOOST_TEST_MESSAGE("exported the trained tokenizer to " << export_dir);
  }
}

BOOST_AUTO_TEST_CASE(malformed_files_raise_input_error_naming_file_and_field) {
  const fs::path dir = temp_dir("malformed");
  const std::string file = (dir / "tokenizer.json").string();
  auto load_with = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = small_tokenizer_json();
    edit(j);
    write_text(file, j.dump());
    Tokenizer::load(file);
  };
  write_text(file, "{\"model\": [1, 2");
  expect_input_error([&] { Tokenizer::load(file); }, {file, "not valid JSON"});
  expect_input_error([&] { load_with([](auto& j) { j["model"]["type"] = "WordPiece"; }); }, {file, "model.type", "WordPiece"});
  // NFC (Qwen2.5 / Qwen3) and the Contiguous split behaviour are supported now (their ids are checked
  // against Hugging Face in test_tokenizer_families); unknown ones are still refused.
  load_with([](auto& j) { j["normalizer"] = {{"type", "NFC"}}; });
  load_with([](auto& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Contiguous"; });
  expect_input_error([&] { load_with([](auto& j) { j["normalizer"] = {{"type", "BertNormalizer"}}; }); },
                     {file, "normalizer.type", "BertNormalizer"});
  expect_input_error([&] { load_with([](auto& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways"; }); },
                     {file, "pre_tokenizer.pretokenizers[0].behavior", "Sideways"});
  expect_input_error([&] { load_with([](auto& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(a"; }); },
                     {file, "pre_tokenizer.pretokenizers[0].pattern.Regex"});
  expect_input_error([&] { load_with([](auto& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }); },
                     {file, "pre_tokenizer.type", "Whitespace"});
  expect_input_error([&] { load_with([](auto& j) { j["model"]["merges"][3] = {"Ġ", "not-a-token"}; }); },
                     {file, "model.merges[3]", "not-a-token"});
  expect_input_error([&] { load_with([](auto& j) { j["model"]["merges"][4] = 17; }); }, {file, "model.merges[4]"});
  expect_input_error([&] { load_with([](auto& j) { j["model"]["vocab"].erase("Ġ"); }); }, {file, "model.vocab", "byte 32"});
  expect_input_error([&] { load_with([](auto& j) { j["model"]["dropout"] = 0.1; }); }, {file, "model.dropout"});
  expect_input_error([&] { load_with([](auto& j) { j["model"]["vocab"]["x"] = "seven"; }); }, {file, "model.vocab.x"});
  expect_input_error([&] { load_with([](auto& j) { j["added_tokens"][0]["lstrip"] = "yes"; }); }, {file, "added_tokens[0].lstrip"});
  expect_input_error([&] { load_with([](auto& j) { j["added_tokens"][3]["id"] = 5; }); }, {file, "added_tokens[3]", "<think>"});
  expect_input_error([&] { load_with([](auto& j) { j["fancy_feature"] = true; }); }, {file, "fancy_feature"});
  expect_input_error([&] { load_with([](auto& j) { j.erase("model"); }); }, {file, "model"});

  const fs::path gpt2_dir = dir / "gpt2_style";
  fs::create_directories(gpt2_dir);
  nlohmann::json vocab = small_tokenizer_json()["model"]["vocab"];
  write_text(gpt2_dir / "vocab.json", vocab.dump());
  write_text(gpt2_dir / "merges.txt", "#version: 0.2\nĠ a\nĠ h i\n");
  expect_input_error([&] { Tokenizer::load(gpt2_dir.string()); }, {(gpt2_dir / "merges.txt").string() + ":3"});
  write_text(gpt2_dir / "merges.txt", "#version: 0.2\nĠ a\n");
  BOOST_TEST(Tokenizer::load(gpt2_dir.string()).encode(" a") == std::vector<int32_t>{vocab["Ġa"].get<int32_t>()});

  fs::create_directories(dir / "empty");
  expect_input_error([&] { Tokenizer::load((dir / "empty").string()); }, {(dir / "empty").string()});
  expect_input_error([&] { Tokenizer::load((dir / "missing").string()); }, {(dir / "missing").string()});
  expect_input_error([&] { gpt2().encode(std::string("ok \xC3\x28 bad")); }, {"UTF-8", "offset 3"});
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(encode_is_fast_and_thread_safe) {
  std::string text;  // ~1 MB of GSM8K-like and mixed text
  const std::vector<GoldenCase> cases = read_golden("tokenizer_gpt2_golden.json");
  std::mt19937_64 rng(5);
  while (text.size() < (size_t(1) << 20)) {
    text += cases[rng() % cases.size()].text;
    text += "Janet has " + std::to_string(rng() % 1000) + " ducks and sells " + std::to_string(rng() % 100) + ".\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int32_t> ids = gpt2().encode(text);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST_MESSAGE("encoded " << text.size() << " bytes into " << ids.size() << " ids in " << seconds << " s");
  BOOST_TEST(gpt2().decode(ids) == text);

  std::vector<std::vector<int32_t>> results(2);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] { results[t] = small_hf().encode(text.substr(t * 1000, 200000)); });
  for (auto& thread : threads) thread.join();
  for (size_t t = 0; t < results.size(); ++t) BOOST_TEST(results[t] == small_hf().encode(text.substr(t * 1000, 200000)));
}

BOOST_AUTO_TEST_SUITE_END()
