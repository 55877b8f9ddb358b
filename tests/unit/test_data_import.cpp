// `r1 data import` through its function (cli/data_import.hpp) on small committed JSONL files
// (tests/data/import/SOURCE.md): GSM8K gold answers against the dataset's published final answers,
// MATH-500 answers and the \boxed{} fallback, chat and sft responses, renamed fields, the prompt
// tokens against the tokenizer applied to the chat template, the source checksum against
// sha256sum, and malformed lines (FILE:LINE; fail aborts before writing anything, skip counts and
// lists them).
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/data_import.hpp"
#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/formats/dataset_file.hpp"
#include "io/formats/dataset_tokenizer_identity.hpp"
#include "rl/chat_template.hpp"

using namespace r1;
using namespace r1::cli;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "r1-test-import-XXXXXX").string();
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

const Tokenizer& tokenizer() {
  static const Tokenizer tok = [] {
    Tokenizer t = Tokenizer::load(test::test_data_path("tokenizer_small/tokenizer.json"));
    t.add_special_tokens(r1_special_tokens());
    return t;
  }();
  return tok;
}

ImportReport run_import(ImportKind kind, const std::string& input, const std::string& output,
                        OnError on_error = OnError::fail, ImportFields fields = {}) {
  ImportOptions o;
  o.kind = kind;
  o.input = test::test_data_path("import/" + input);
  o.output = output;
  o.on_error = on_error;
  o.fields = fields;
  return import_dataset(o, tokenizer(), nullptr);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_data_import)

BOOST_AUTO_TEST_CASE(gsm8k_golds_prompts_and_provenance) {
  TempDir dir;
  const std::string out = dir.file("gsm8k.h5");
  ImportReport report = run_import(ImportKind::gsm8k, "gsm8k_head20.jsonl", out);
  BOOST_TEST(report.records == 20);
  BOOST_TEST(report.skipped == 0);
  DatasetReader reader = DatasetReader::open(out);
  const DatasetAttributes& a = reader.attributes();
  BOOST_TEST((a.kind == DatasetKind::prompt_answer));
  BOOST_TEST(a.chat_template == "compact");
  // sha256sum tests/data/import/gsm8k_head20.jsonl (tests/data/import/SOURCE.md).
  BOOST_TEST(a.source_sha256 == "d75d841cced14054e1df7fabcd227bea727ccc7f7bd64ec764915a478e4dbc3f");
  BOOST_TEST(a.source_bytes == 12541);
  BOOST_TEST((a.tokenizer == tokenizer_identity(tokenizer())));
  BOOST_TEST(contains(a.created_by, "r1 "));
  // The final answers of GSM8K test lines 1-20 (after "#### ").
  const std::vector<std::string> golds = {"18", "3",  "70000", "540", "20", "64", "260", "160", "45",    "460",
                                          "366", "694", "13",   "18",  "60", "125", "230", "57500", "7", "6"};
  std::vector<DatasetRecord> records = reader.read_rows(0, 20);
  for (size_t i = 0; i < records.size(); ++i) {
    BOOST_TEST(records[i].gold == golds[i]);
    BOOST_TEST(records[i].source_id == "gsm8k_head20.jsonl:" + std::to_string(i + 1));
    BOOST_TEST(contains(records[i].solution, "#### " + golds[i]));
    BOOST_TEST(records[i].response.empty());
    BOOST_TEST(tokenizer().decode(records[i].prompt) == "<|user|>" + records[i].question + "<|assistant|>");
  }
  BOOST_TEST(records[0].question.rfind("Janet\xE2\x80\x99s ducks lay 16 eggs", 0) == 0);
  BOOST_TEST(records[0].prompt == tokenizer().encode(format_prompt(records[0].question)), boost::test_tools::per_element());
  BOOST_TEST(records[0].prompt.front() == tokenizer().token_id("<|user|>"));
  BOOST_TEST(records[0].prompt.back() == tokenizer().token_id("<|assistant|>"));
}

BOOST_AUTO_TEST_CASE(gsm8k_gold_answer_extraction) {
  BOOST_TEST(*gsm8k_gold_answer("so 1,000 grams\n#### 1,000") == "1000");
  BOOST_TEST(*gsm8k_gold_answer("a #### 3 then\n#### -2.5 ") == "-2.5");
  BOOST_TEST(!gsm8k_gold_answer("no marker").has_value());
  BOOST_TEST(!gsm8k_gold_answer("empty ####  ").has_value());
}

BOOST_AUTO_TEST_CASE(math_answers_and_boxed_fallback) {
  TempDir dir;
  run_import(ImportKind::math, "math500_head4.jsonl", dir.file("math.h5"));
  std::vector<DatasetRecord> r = DatasetReader::open(dir.file("math.h5")).read_rows(0, 4);
  BOOST_TEST(r[0].gold == "\\left( 3, \\frac{\\pi}{2} \\right)");
  BOOST_TEST(r[1].gold == "p - q");
  BOOST_TEST(r[2].gold == "\\frac{14}{3}");
  BOOST_TEST(r[3].gold == "9");
  BOOST_TEST(r[0].source_id == "test/precalculus/807.json");
  BOOST_TEST(contains(r[0].solution, "\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}"));
  run_import(ImportKind::math, "math_without_answer.jsonl", dir.file("boxed.h5"));
  DatasetRecord boxed = DatasetReader::open(dir.file("boxed.h5")).read_rows(0, 1)[0];
  BOOST_TEST(boxed.gold == "\\frac{14}{3}");
  BOOST_TEST(boxed.question == r[2].question);
}

BOOST_AUTO_TEST_CASE(chat_and_sft_responses) {
  TempDir dir;
  const std::string chat_out = dir.file("chat.h5");
  ImportReport chat = run_import(ImportKind::chat, "chat.jsonl", chat_out, OnError::skip);
  BOOST_TEST(chat.records == 2);
  BOOST_TEST(chat.skipped == 2);
  BOOST_REQUIRE(chat.skipped_examples.size() == 2u);
  BOOST_TEST(contains(chat.skipped_examples[0], "chat.jsonl:3: "));
  BOOST_TEST(contains(chat.skipped_examples[0], "assistant turn before the last message"));
  BOOST_TEST(contains(chat.skipped_examples[1], "chat.jsonl:4: "));
  DatasetReader reader = DatasetReader::open(chat_out);
  BOOST_TEST((reader.attributes().kind == DatasetKind::sft));
  std::vector<DatasetRecord> r = reader.read_rows(0, 2);
  BOOST_TEST(r[0].question == "Answer briefly.\n\nWhat is 2+3?");
  BOOST_TEST(tokenizer().decode(r[0].response) == "<think>2+3=5</think><answer>5</answer><|endoftext|>");
  BOOST_TEST(r[0].response.back() == tokenizer().token_id(kEndOfText));
  BOOST_TEST(r[1].source_id == "42");

  const std::string sft_out = dir.file("sft.h5");
  ImportFields with_gold;
  with_gold.answer = "answer";
  run_import(ImportKind::sft, "sft.jsonl", sft_out, OnError::fail, with_gold);
  r = DatasetReader::open(sft_out).read_rows(0, 2);
  BOOST_TEST(r[0].gold == "2");
  BOOST_TEST(r[0].source_id == "sft/0");
  BOOST_TEST(tokenizer().decode(r[0].response) == "<think>1+1=2</think><answer>2</answer><|endoftext|>");
  BOOST_TEST(r[1].question == "\xC3\x9Cn\xC3\xAF""c\xC3\xB6""d\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80?");
  // A response already ending with <|endoftext|> does not get a second one.
  BOOST_TEST(tokenizer().decode(r[1].response) == "<think>it is text</think><answer>ok</answer><|endoftext|>");
}

BOOST_AUTO_TEST_CASE(renamed_fields) {
  TempDir dir;
  ImportFields fields;
  fields.question = "input";
  fields.answer = "output";
  run_import(ImportKind::prompt_answer, "countdown_head3.jsonl", dir.file("countdown.h5"), OnError::fail, fields);
  std::vector<DatasetRecord> r = DatasetReader::open(dir.file("countdown.h5")).read_rows(0, 3);
  BOOST_TEST(r[0].question == "30,100,93");
  BOOST_TEST(r[0].gold == "23");
  BOOST_TEST(r[2].gold == "24");
  // Default field names (prompt/answer) are absent there: the first line fails.
  BOOST_CHECK_EXCEPTION(run_import(ImportKind::prompt_answer, "countdown_head3.jsonl", dir.file("x.h5")), InputError,
                        [](const InputError& e) {
                          return contains(e.what(), "countdown_head3.jsonl:1: missing field 'prompt'");
                        });
}

BOOST_AUTO_TEST_CASE(malformed_lines_fail_before_writing_or_are_skipped) {
  TempDir dir;
  const std::string out = dir.file("out.h5");
  { std::ofstream(out) << "an older dataset"; }
  BOOST_CHECK_EXCEPTION(run_import(ImportKind::gsm8k, "gsm8k_malformed.jsonl", out), InputError,
                        [](const InputError& e) {
                          return contains(e.what(), "gsm8k_malformed.jsonl:2: ") &&
                                 contains(e.what(), "no final answer after '####'");
                        });
  BOOST_TEST(!fs::exists(out + ".tmp"));
  std::ifstream in(out);
  BOOST_TEST(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()) == "an older dataset");

  const std::string skipped_out = dir.file("skipped.h5");
  ImportReport report = run_import(ImportKind::gsm8k, "gsm8k_malformed.jsonl", skipped_out, OnError::skip);
  BOOST_TEST(report.lines == 7);  // non-empty lines
  BOOST_TEST(report.records == 2);
  BOOST_TEST(report.skipped == 5);
  BOOST_REQUIRE(report.skipped_examples.size() == 5u);
  const std::vector<std::string> reasons = {":2: field 'answer' has no final answer", ":3: not valid JSON",
                                            ":4: field 'question' is not a string", ":6: missing field 'question'",
                                            ":8: the line is not a JSON object"};
  for (size_t i = 0; i < reasons.size(); ++i)
    BOOST_TEST(contains(report.skipped_examples[i], "gsm8k_malformed.jsonl" + reasons[i]), report.skipped_examples[i]);
  std::vector<DatasetRecord> r = DatasetReader::open(skipped_out).read_rows(0, 2);
  BOOST_TEST(r[0].gold == "18");
  BOOST_TEST(r[1].gold == "1000");
  BOOST_TEST(r[1].source_id == "gsm8k_malformed.jsonl:7");

  // Nothing valid at all: an error, no file.
  const std::string none = dir.file("none.h5");
  BOOST_CHECK_THROW(run_import(ImportKind::math, "gsm8k_malformed.jsonl", none, OnError::skip), InputError);
  BOOST_TEST(!fs::exists(none));
}

BOOST_AUTO_TEST_SUITE_END()
