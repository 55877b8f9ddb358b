// Prompt templates (rl/prompt_template.hpp) and a Hugging Face folder's prompting files
// (io/hf/hf_prompting.hpp): the R1-Zero text of the DeepSeek-R1 paper, literal templates, the BOS prefix a
// TemplateProcessing post-processor implies, generation_config.json stop ids, and errors that name the
// file and field. The hf template's rendering is compared with transformers in tests/slow/test_hf_recipe.cpp
// (ids of apply_chat_template) and with jinja2 in test_jinja.cpp.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/hf/hf_prompting.hpp"
#include "rl/prompt_template.hpp"

using namespace r1;
namespace fs = std::filesystem;

namespace {

struct TempFolder {
  fs::path path;
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "r1-test-prompting-XXXXXX").string();
    R1_CHECK(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    path = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};

template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_prompt_template)

BOOST_AUTO_TEST_CASE(r1_zero_is_the_paper_template) {
  // DeepSeek-R1 paper, Table 1, with "prompt" replaced by the question.
  const std::string expected =
      "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant "
      "first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning "
      "process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., "
      "<think> reasoning process here </think> <answer> answer here </answer>. User: What is 2+3?. Assistant:";
  BOOST_TEST(PromptTemplate::r1_zero_text("What is 2+3?") == expected);
  HfPrompting hf;
  hf.bos_prefix = "<|begin_of_text|>";
  PromptTemplate t = PromptTemplate::make({"r1_zero", "", {}}, &hf, "<|end_of_text|>", "test");
  BOOST_TEST(t.prompt("What is 2+3?") == "<|begin_of_text|>" + expected);
  BOOST_TEST(t.response("2+3=5", "5") == " <think>2+3=5</think> <answer>5</answer><|end_of_text|>");
  BOOST_TEST(t.required_tokens().empty());
}

BOOST_AUTO_TEST_CASE(compact_and_literal_templates) {
  PromptTemplate compact;
  BOOST_TEST(compact.prompt("Q") == "<|user|>Q<|assistant|>");
  BOOST_TEST(compact.response("r", "a") == "<think>r</think><answer>a</answer><|endoftext|>");
  BOOST_TEST(compact.required_tokens().size() == 7u);
  HfPrompting hf;
  hf.bos_prefix = "<s>";
  PromptTemplate literal = PromptTemplate::make({"Question: {question}\nAnswer:", "", {}}, &hf, "</s>", "test");
  BOOST_TEST(literal.prompt("1+1?") == "<s>Question: 1+1?\nAnswer:");
  BOOST_TEST(literal.response("r", "2") == "<think>r</think><answer>2</answer></s>");
  PromptTemplate placed = PromptTemplate::make({"[{bos}] {question}", "", {}}, &hf, "</s>", "test");
  BOOST_TEST(placed.prompt("x") == "[<s>] x");
}

BOOST_AUTO_TEST_CASE(bad_template_settings_name_the_key) {
  BOOST_TEST(contains(input_error_of([] { PromptTemplate::make({"chatml", "", {}}, nullptr, "", "cfg.yaml"); }),
                      "cfg.yaml: template: 'chatml' is not a template"));
  BOOST_TEST(contains(input_error_of([] { PromptTemplate::make({"hf", "", {}}, nullptr, "", "cfg.yaml"); }),
                      "needs a Hugging Face model folder"));
  BOOST_TEST(contains(input_error_of([] { PromptTemplate::make({"r1_zero", "be brief", {}}, nullptr, "", "cfg.yaml"); }),
                      "template_system"));
  HfPrompting no_template;
  no_template.folder = "models/base";
  BOOST_TEST(contains(input_error_of([&] { PromptTemplate::make({"hf", "", {}}, &no_template, "", "cfg.yaml"); }),
                      "models/base has no chat template"));
}

BOOST_AUTO_TEST_CASE(reads_a_qwen_shaped_folder) {
  HfPrompting p = read_hf_prompting(test::test_data_path("hf_e2e/qwen2_tiny"));
  BOOST_TEST(p.eos_token == "<|endoftext|>");
  BOOST_TEST(p.bos_token.empty());
  BOOST_TEST(p.bos_prefix.empty());  // Qwen's post-processor is ByteLevel: no BOS
  BOOST_TEST((p.eos_token_ids == std::vector<int64_t>{902, 900}));
  BOOST_TEST(contains(p.chat_template, "<|im_start|>assistant"));
  BOOST_TEST(contains(p.chat_template_file, "tokenizer_config.json"));
}

BOOST_AUTO_TEST_CASE(bos_prefix_from_the_post_processor_or_add_bos_token) {
  TempFolder llama;
  llama.write("tokenizer.json",
              R"({"post_processor": {"type": "Sequence", "processors": [{"type": "ByteLevel"},
                 {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {}}]}})");
  llama.write("generation_config.json", R"({"eos_token_id": [128001, 128008, 128009], "temperature": 0.6, "top_p": 0.9})");
  HfPrompting p = read_hf_prompting(llama.path.string());
  BOOST_TEST(p.bos_prefix == "<|begin_of_text|>");
  BOOST_TEST((p.eos_token_ids == std::vector<int64_t>{128001, 128008, 128009}));
  BOOST_TEST(*p.temperature == 0.6);
  BOOST_TEST(*p.top_p == 0.9);

  TempFolder mistral;
  mistral.write("tokenizer_config.json", R"({"add_bos_token": true, "bos_token": {"content": "<s>"}, "eos_token": "</s>",
                                           "chat_template": [{"name": "default", "template": "{{ bos_token }}"}]})");
  mistral.write("generation_config.json", R"({"eos_token_id": 2})");
  HfPrompting m = read_hf_prompting(mistral.path.string());
  BOOST_TEST(m.bos_prefix == "<s>");
  BOOST_TEST(m.chat_template == "{{ bos_token }}");
  BOOST_TEST((m.eos_token_ids == std::vector<int64_t>{2}));
}

BOOST_AUTO_TEST_CASE(malformed_files_name_file_and_field) {
  TempFolder f;
  f.write("generation_config.json", R"({"eos_token_id": "</s>"})");
  std::string e = input_error_of([&] { read_hf_prompting(f.path.string()); });
  BOOST_TEST(contains(e, "generation_config.json: field 'eos_token_id'"), e);
  f.write("generation_config.json", "{");
  BOOST_TEST(contains(input_error_of([&] { read_hf_prompting(f.path.string()); }), "not valid JSON"));
  fs::remove(f.path / "generation_config.json");
  f.write("tokenizer_config.json", R"({"chat_template": 3})");
  e = input_error_of([&] { read_hf_prompting(f.path.string()); });
  BOOST_TEST(contains(e, "tokenizer_config.json: field 'chat_template'"), e);
  f.write("tokenizer_config.json", R"({"eos_token": 7})");
  BOOST_TEST(contains(input_error_of([&] { read_hf_prompting(f.path.string()); }), "field 'eos_token'"));
  // A folder without any of the files is fine: nothing to say.
  TempFolder empty;
  HfPrompting none = read_hf_prompting(empty.path.string());
  BOOST_TEST(none.chat_template.empty());
  BOOST_TEST(none.eos_token_ids.empty());
}

BOOST_AUTO_TEST_SUITE_END()
