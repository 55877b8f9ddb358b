// In-memory datasets built from the synthetic task: tokenised pretraining documents, SFT
// prompt/response pairs in the chat template, and RL/eval prompts with gold answers.
#pragma once
#include <vector>

#include "io/tokenizer/tokenizer.hpp"
#include "rl/data/example.hpp"
#include "rl/prompt_template.hpp"
#include "rl/synth/arithmetic_task.hpp"

namespace r1 {

std::vector<Example> synth_pretrain_documents(const SynthConfig& c, uint64_t seed, int64_t count, const Tokenizer& tok);
// Prompts and responses in `prompt_template` (default: compact).
std::vector<Example> synth_sft_examples(const SynthConfig& c, uint64_t seed, SynthSplit split, int64_t count,
                                        const Tokenizer& tok, const PromptTemplate& prompt_template = PromptTemplate());
std::vector<Example> synth_prompts(const SynthConfig& c, uint64_t seed, SynthSplit split, int64_t count,
                                   const Tokenizer& tok, const PromptTemplate& prompt_template = PromptTemplate());

}  // namespace r1
