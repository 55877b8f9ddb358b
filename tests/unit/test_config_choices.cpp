// The recipe's enumerated choices (rl/config_choices.hpp, and the model's in model/model_config.hpp) through the YAML reader and writer: every
// spelling reads to its enum and is written back as the same word (config.yaml and checkpoints keep
// the names), and a misspelled value is refused with the message the reader has always given: the
// file, the key path, the allowed words and the nearest one.
#include <boost/test/unit_test.hpp>

#include <string>

#include "core/config_yaml.hpp"
#include "core/error.hpp"
#include "rl/run_config.hpp"

using namespace r1;

namespace {

RunConfig read_recipe(const std::string& yaml) {
  RunConfig rc;
  read_config(ConfigSource{"recipe.yaml", yaml, {}}, rc);
  return rc;
}

std::string refusal(const std::string& yaml) {
  try {
    read_recipe(yaml);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_config_choices)

BOOST_AUTO_TEST_CASE(every_stage_kind_reads_and_writes_back_its_name) {
  const std::pair<StageKind, const char*> kinds[] = {
      {StageKind::pretrain, "pretrain"}, {StageKind::sft, "sft"},         {StageKind::grpo, "grpo"},
      {StageKind::rejection_sample, "rejection_sample"}, {StageKind::distill, "distill"}, {StageKind::eval, "eval"}};
  for (auto& [kind, name] : kinds) {
    RunConfig rc = read_recipe(std::string("stages:\n  - kind: ") + name + "\n");
    BOOST_REQUIRE_EQUAL(rc.stages.size(), 1u);
    BOOST_TEST((rc.stages[0].kind == kind), name);
    BOOST_TEST(to_string(kind) == name);
    BOOST_TEST(rc.stages[0].display_name() == name);  // unnamed stages are called by their kind
    const std::string written = write_config(rc);
    BOOST_TEST(written.find(std::string("kind: ") + name) != std::string::npos, written);
    BOOST_TEST((read_recipe(written).stages[0].kind == kind));
  }
}

BOOST_AUTO_TEST_CASE(the_other_choices_read_their_names) {
  RunConfig rc = read_recipe(
      "device: cuda\n"
      "tokenizer: {source: path, path: tok.json, pattern: gpt2}\n"
      "checkpoint: {transport: ranks_in_turn}\n"
      "stages:\n"
      "  - kind: grpo\n"
      "    optim: {schedule: linear}\n"
      "    data: {source: path, path: p.jsonl}\n"
      "    grpo: {loss_aggregation: dr_grpo}\n"
      "  - kind: sft\n"
      "    data: {source: synth, split: heldout}\n");
  BOOST_TEST((rc.device == Device::cuda));
  BOOST_TEST((rc.tokenizer.source == TokenizerSource::path));
  BOOST_TEST((rc.tokenizer.pattern == BpePattern::gpt2));
  BOOST_TEST((rc.checkpoint.transport == CheckpointTransport::ranks_in_turn));
  BOOST_TEST((rc.stages[0].optim.schedule == LrSchedule::linear));
  BOOST_TEST((rc.stages[0].data.source == DataSource::path));
  BOOST_TEST((rc.stages[0].grpo.loss_aggregation == LossAggregation::dr_grpo));
  BOOST_TEST((rc.stages[1].data.split == SynthSplit::heldout));
  // Defaults where a key is absent.
  BOOST_TEST((rc.stages[1].optim.schedule == LrSchedule::cosine));
  BOOST_TEST((rc.stages[1].data.source == DataSource::synth));
  const std::string written = write_config(rc);
  for (const char* line : {"device: cuda", "source: path", "pattern: gpt2", "transport: ranks_in_turn", "schedule: linear",
                           "loss_aggregation: dr_grpo", "split: heldout", "schedule: cosine"})
    BOOST_TEST(written.find(line) != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(a_misspelled_choice_names_the_file_key_words_and_nearest) {
  const std::string m = refusal("stages:\n  - kind: gpro\n");
  BOOST_TEST(m.find("recipe.yaml") != std::string::npos, m);
  BOOST_TEST(m.find("stages[0].kind") != std::string::npos, m);
  BOOST_TEST(m.find("expected one of 'pretrain' 'sft' 'grpo' 'rejection_sample' 'distill' 'eval', got 'gpro' "
                    "(did you mean 'grpo'?)") != std::string::npos,
             m);
  const std::string d = refusal("stages:\n  - kind: grpo\n    grpo: {loss_aggregation: token-mean}\n");
  BOOST_TEST(d.find("stages[0].grpo.loss_aggregation") != std::string::npos, d);
  BOOST_TEST(d.find("expected one of 'grpo' 'token_mean' 'dr_grpo', got 'token-mean' (did you mean 'token_mean'?)") !=
                 std::string::npos,
             d);
  const std::string v = refusal("device: gpu\nstages:\n  - kind: eval\n");
  BOOST_TEST(v.find("device") != std::string::npos, v);
  BOOST_TEST(v.find("expected one of 'host' 'cuda', got 'gpu'") != std::string::npos, v);
}

BOOST_AUTO_TEST_CASE(model_choices_read_and_write_back_hugging_face_spellings) {
  const std::pair<Architecture, const char*> archs[] = {{Architecture::deepseek_v3, "deepseek_v3"}, {Architecture::qwen2, "qwen2"},
                                                        {Architecture::llama, "llama"}, {Architecture::qwen3, "qwen3"},
                                                        {Architecture::qwen3_moe, "qwen3_moe"}};
  for (auto& [arch, name] : archs) {
    RunConfig rc = read_recipe(std::string("model: {architecture: ") + name + "}\nstages:\n  - kind: eval\n");
    BOOST_TEST((rc.model.architecture == arch), name);
    BOOST_TEST((architecture_from_name(name) == arch));
    BOOST_TEST(write_config(rc).find(std::string("architecture: ") + name) != std::string::npos, name);
  }
  BOOST_TEST(!architecture_from_name("mistral").has_value());
  // qwen3_moe's reader defaults: softmax routing.
  BOOST_TEST((read_recipe("model: {architecture: qwen3_moe}\n").model.scoring_func == ScoringFunc::softmax));
  RunConfig rc = read_recipe("model: {scoring_func: softmax, rope_scaling: {type: llama3, factor: 8}}\n");
  BOOST_TEST((rc.model.scoring_func == ScoringFunc::softmax));
  BOOST_TEST((rc.model.rope_scaling.type == RopeScalingType::llama3));
  const std::string written = write_config(rc);
  for (const char* line : {"scoring_func: softmax", "type: llama3"}) BOOST_TEST(written.find(line) != std::string::npos, line);
  const std::string m = refusal("model: {rope_scaling: {type: dynamic}}\n");
  BOOST_TEST(m.find("model.rope_scaling.type: expected one of 'none' 'linear' 'yarn' 'llama3', got 'dynamic'") !=
                 std::string::npos,
             m);
}

BOOST_AUTO_TEST_SUITE_END()
