// The enumerated choices of a recipe file (stage kind, data source, GRPO
// loss aggregation, tokenizer source, ...): each an enum parsed once by the config reader, with its
// YAML spellings in one table (config_choices.cpp). Code compares enums, never strings; to_string
// gives the spelling for logs, metrics and checkpoints (those names are interfaces: keep them).
// Enums owned by lower layers keep their tables there (Device: core/dtype.hpp; CheckpointTransport:
// io/checkpoint/checkpoint_options.hpp; LrSchedule: engine/engine_config.hpp).
#pragma once
#include <ostream>
#include <string>

#include "core/config_visitor.hpp"
#include "core/dtype.hpp"
#include "io/checkpoint/checkpoint_options.hpp"

namespace r1 {

enum class StageKind { pretrain, sft, grpo, rejection_sample, distill, eval };
enum class DataSource { synth, path, previous, random };
enum class SynthSplit { train, heldout };  // the synthetic task's disjoint splits
enum class LossAggregation { grpo, token_mean, dr_grpo };
enum class PolicyLoss { grpo, gspo, cispo };                        // rl/grpo/policy_loss.hpp
enum class RolloutCorrection { none, token_tis, sequence_mask };    // rl/grpo/policy_loss.hpp
enum class TokenizerSource { train, path };
enum class BpePattern { qwen2, gpt2 };

const EnumNames<StageKind>& stage_kind_names();
const EnumNames<DataSource>& data_source_names();
const EnumNames<SynthSplit>& synth_split_names();
const EnumNames<LossAggregation>& loss_aggregation_names();
const EnumNames<PolicyLoss>& policy_loss_names();
const EnumNames<RolloutCorrection>& rollout_correction_names();
const EnumNames<TokenizerSource>& tokenizer_source_names();
const EnumNames<BpePattern>& bpe_pattern_names();
const EnumNames<Device>& device_names();

inline const std::string& to_string(StageKind e) { return enum_name(e, stage_kind_names()); }
inline const std::string& to_string(DataSource e) { return enum_name(e, data_source_names()); }
inline const std::string& to_string(SynthSplit e) { return enum_name(e, synth_split_names()); }
inline const std::string& to_string(LossAggregation e) { return enum_name(e, loss_aggregation_names()); }
inline const std::string& to_string(TokenizerSource e) { return enum_name(e, tokenizer_source_names()); }
inline const std::string& to_string(BpePattern e) { return enum_name(e, bpe_pattern_names()); }

inline std::ostream& operator<<(std::ostream& os, StageKind e) { return os << to_string(e); }

// pretrain, sft and distill train on token sequences (distill's student by SFT).
inline bool is_supervised(StageKind k) { return k == StageKind::pretrain || k == StageKind::sft || k == StageKind::distill; }
// grpo, eval and rejection_sample generate completions.
inline bool generates(StageKind k) { return k == StageKind::grpo || k == StageKind::eval || k == StageKind::rejection_sample; }

}  // namespace r1
