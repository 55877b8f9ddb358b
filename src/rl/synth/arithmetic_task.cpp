// Arithmetic problem generation and the synth schema.
#include "rl/synth/arithmetic_task.hpp"

#include "core/error.hpp"
#include "core/rng.hpp"
#include "rl/chat_template.hpp"

namespace r1 {

void SynthConfig::visit(ConfigVisitor& v) {
  v.choice("task", task, {"arithmetic"}, "task family");
  v.field("min_terms", min_terms, "fewest operands", at_least(2));
  v.field("max_terms", max_terms, "most operands", at_least(2));
  v.field("min_digits", min_digits, "fewest digits per operand", between(1, 9));
  v.field("max_digits", max_digits, "most digits per operand", between(1, 9));
  v.field("operators", operators, "operators to draw from (subset of '+-*')");
  v.field("heldout_every", heldout_every, "1 in N problems is held out", at_least(2));
  v.field("direct_share", direct_share, "share of worked solutions that state the answer without steps", between(0, 1));
  v.field("tagged_share", tagged_share, "share of pretraining documents in the chat format with think/answer tags", between(0, 1));
}

SynthSplit synth_split_from_name(const std::string& name) {
  for (auto& [split, spelling] : synth_split_names())
    if (name == spelling) return split;
  throw InputError("synthetic split '" + name + "' is not one of: train, heldout");
}

namespace {

int64_t draw_operand(const SynthConfig& c, CounterRng& rng) {
  int64_t digits = c.min_digits + int64_t(rng.below(uint64_t(c.max_digits - c.min_digits + 1)));
  int64_t lo = digits == 1 ? 0 : 1;
  for (int64_t i = 1; i < digits; ++i) lo *= 10;
  int64_t hi = 1;
  for (int64_t i = 0; i < digits; ++i) hi *= 10;
  return lo + int64_t(rng.below(uint64_t(hi - lo)));
}

SynthProblem draw_problem(const SynthConfig& c, CounterRng& rng) {
  R1_INPUT_CHECK(c.min_terms <= c.max_terms && c.min_digits <= c.max_digits, "synth: min_* must not exceed max_*");
  R1_INPUT_CHECK(!c.operators.empty() && c.operators.find_first_not_of("+-*") == std::string::npos,
                 "synth.operators: '", c.operators, "' must be a non-empty subset of '+-*'");
  int64_t terms = c.min_terms + int64_t(rng.below(uint64_t(c.max_terms - c.min_terms + 1)));
  SynthProblem p;
  int64_t acc = draw_operand(c, rng);
  p.question = std::to_string(acc);
  for (int64_t t = 1; t < terms; ++t) {
    char op = c.operators[rng.below(c.operators.size())];
    int64_t x = draw_operand(c, rng);
    int64_t next = op == '+' ? acc + x : op == '-' ? acc - x : acc * x;
    std::string step = std::to_string(acc) + op + std::to_string(x) + "=" + std::to_string(next);
    p.reasoning += (p.reasoning.empty() ? "" : " ") + step;
    p.question += op + std::to_string(x);
    acc = next;
  }
  p.answer = std::to_string(acc);
  return p;
}

}  // namespace

SynthProblem make_synth_problem(const SynthConfig& c, uint64_t seed, SynthSplit split, int64_t index) {
  // Walk a per-(seed, split, index) stream until a problem of the requested split appears.
  CounterRng rng({seed, hash_string("synth-problem"), uint64_t(split), uint64_t(index)});
  for (int attempt = 0; attempt < 100000; ++attempt) {
    SynthProblem p = draw_problem(c, rng);
    bool heldout = hash_words({hash_string(p.question)}) % uint64_t(c.heldout_every) == 0;
    if (heldout == (split == SynthSplit::heldout)) {
      if (c.direct_share > 0 && uniform_at(hash_words({seed, hash_string("synth-style"), uint64_t(split)}), uint64_t(index)) < c.direct_share) {
        p.reasoning = p.question;
        p.direct = true;
      }
      return p;
    }
  }
  throw InputError("synth: could not draw a problem for the requested split (is the problem space too small?)");
}

std::string make_synth_document(const SynthConfig& c, uint64_t seed, int64_t index) {
  SynthProblem p = make_synth_problem(c, seed ^ 0x5eedu, SynthSplit::train, index);
  if (c.tagged_share > 0 && uniform_at(hash_words({seed, hash_string("synth-tagged")}), uint64_t(index)) < c.tagged_share)
    return format_prompt(p.question) + "<think>" + p.reasoning + "</think><answer>" + p.answer + "</answer>";
  if (p.direct) return p.question + "=" + p.answer;
  switch (index % 3) {
    case 0: return p.question + "=" + p.answer;
    case 1: return p.reasoning + " so " + p.question + "=" + p.answer;
    default: return p.question + ": " + p.reasoning + ". The answer is " + p.answer + ".";
  }
}

}  // namespace r1
