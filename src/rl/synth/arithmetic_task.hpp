// The synthetic arithmetic task: problems are a pure function of (seed, split, index); the train
// and held-out splits are disjoint by construction (a hash of the problem text decides its split).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rl/config_choices.hpp"
#include "rl/synth/synth_config.hpp"

namespace r1 {

struct SynthProblem {
  std::string question;   // "47+38-19"
  std::string reasoning;  // "47+38=85 85-19=66", or "47+38-19" in the direct style
  std::string answer;     // "66"
  bool direct = false;    // the reasoning states the problem instead of computing step by step
};

SynthSplit synth_split_from_name(const std::string& name);
SynthProblem make_synth_problem(const SynthConfig& c, uint64_t seed, SynthSplit split, int64_t index);
// Plain-text documents for pretraining and tokenizer training (worked problems in a few styles).
std::string make_synth_document(const SynthConfig& c, uint64_t seed, int64_t index);

}  // namespace r1
