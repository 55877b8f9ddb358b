// Synthetic datasets: text from rl/synth, tokens from the run's tokenizer.
#include "rl/data/synth_datasets.hpp"

#include "rl/chat_template.hpp"
#include "rl/prompt_template.hpp"

namespace r1 {

std::vector<Example> synth_pretrain_documents(const SynthConfig& c, uint64_t seed, int64_t count, const Tokenizer& tok) {
  std::vector<Example> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    Example& e = out[size_t(i)];
    e.id = i;
    e.response = tok.encode(make_synth_document(c, seed, i) + kEndOfText);
  }
  return out;
}

std::vector<Example> synth_sft_examples(const SynthConfig& c, uint64_t seed, SynthSplit split, int64_t count,
                                        const Tokenizer& tok, const PromptTemplate& prompt_template) {
  std::vector<Example> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    SynthProblem p = make_synth_problem(c, seed, split, i);
    Example& e = out[size_t(i)];
    e.id = i;
    e.question = p.question;
    e.gold = p.answer;
    e.prompt = tok.encode(prompt_template.prompt(p.question));
    e.response = tok.encode(prompt_template.response(p.reasoning, p.answer));
  }
  return out;
}

std::vector<Example> synth_prompts(const SynthConfig& c, uint64_t seed, SynthSplit split, int64_t count,
                                   const Tokenizer& tok, const PromptTemplate& prompt_template) {
  std::vector<Example> out = synth_sft_examples(c, seed, split, count, tok, prompt_template);
  for (auto& e : out) e.response.clear();
  return out;
}

}  // namespace r1
