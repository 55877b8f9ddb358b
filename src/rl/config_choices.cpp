// The YAML spellings of the recipe's enumerated choices (config_choices.hpp): one table per enum.
#include "rl/config_choices.hpp"

namespace r1 {

const EnumNames<StageKind>& stage_kind_names() {
  static const EnumNames<StageKind> t = {{StageKind::pretrain, "pretrain"}, {StageKind::sft, "sft"},
                                         {StageKind::grpo, "grpo"},         {StageKind::rejection_sample, "rejection_sample"},
                                         {StageKind::distill, "distill"},   {StageKind::eval, "eval"}};
  return t;
}

const EnumNames<DataSource>& data_source_names() {
  static const EnumNames<DataSource> t = {{DataSource::synth, "synth"}, {DataSource::path, "path"},
                                          {DataSource::previous, "previous"}, {DataSource::random, "random"}};
  return t;
}

const EnumNames<SynthSplit>& synth_split_names() {
  static const EnumNames<SynthSplit> t = {{SynthSplit::train, "train"}, {SynthSplit::heldout, "heldout"}};
  return t;
}

const EnumNames<LossAggregation>& loss_aggregation_names() {
  static const EnumNames<LossAggregation> t = {{LossAggregation::grpo, "grpo"},
                                               {LossAggregation::token_mean, "token_mean"},
                                               {LossAggregation::dr_grpo, "dr_grpo"}};
  return t;
}

const EnumNames<PolicyLoss>& policy_loss_names() {
  static const EnumNames<PolicyLoss> t = {{PolicyLoss::grpo, "grpo"}, {PolicyLoss::gspo, "gspo"}, {PolicyLoss::cispo, "cispo"}};
  return t;
}

const EnumNames<RolloutCorrection>& rollout_correction_names() {
  static const EnumNames<RolloutCorrection> t = {{RolloutCorrection::none, "none"},
                                                 {RolloutCorrection::token_tis, "token_tis"},
                                                 {RolloutCorrection::sequence_mask, "sequence_mask"}};
  return t;
}

const EnumNames<TokenizerSource>& tokenizer_source_names() {
  static const EnumNames<TokenizerSource> t = {{TokenizerSource::train, "train"}, {TokenizerSource::path, "path"}};
  return t;
}

const EnumNames<BpePattern>& bpe_pattern_names() {
  static const EnumNames<BpePattern> t = {{BpePattern::qwen2, "qwen2"}, {BpePattern::gpt2, "gpt2"}};
  return t;
}

const EnumNames<Device>& device_names() {  // spelled by core's device_name
  static const EnumNames<Device> t = {{Device::host, device_name(Device::host)}, {Device::cuda, device_name(Device::cuda)}};
  return t;
}

}  // namespace r1
