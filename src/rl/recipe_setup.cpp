// Recipe set-up: tokenizer and stage datasets.
#include "rl/recipe_setup.hpp"

#include "io/tokenizer/bpe_pretokenizer.hpp"
#include "core/rng.hpp"
#include "rl/chat_template.hpp"
#include "rl/data/file_dataset.hpp"
#include "rl/data/synth_datasets.hpp"

namespace r1 {

Tokenizer build_tokenizer(const RunConfig& c) {
  if (c.tokenizer.source == TokenizerSource::path) {
    // A pretrained tokenizer stays the model's: ids as Hugging Face gives them, nothing added unless
    // the recipe lists tokens explicitly (the model's embedding then grows, recipe_runner.cpp).
    Tokenizer t = Tokenizer::load(c.tokenizer.path);
    if (!c.tokenizer.add_tokens.empty()) t.add_special_tokens(c.tokenizer.add_tokens);
    return t;
  }
  std::vector<std::string> corpus;
  for (int64_t i = 0; i < c.tokenizer.train_examples; ++i) {
    corpus.push_back(make_synth_document(c.synth, uint64_t(c.seed), i));
    SynthProblem p = make_synth_problem(c.synth, uint64_t(c.seed), SynthSplit::train, i);
    corpus.push_back(format_prompt(p.question) + format_response(p.reasoning, p.answer));
  }
  return Tokenizer::train_bpe(corpus, c.tokenizer.vocab_size, r1_special_tokens(),
                              c.tokenizer.pattern == BpePattern::qwen2 ? bpe::kQwen2Pattern : "");
}

std::vector<Example> stage_dataset(const RunContext& ctx, const StageConfig& s) {
  const RunConfig& c = ctx.run.config;
  uint64_t seed = uint64_t(c.seed);
  if (s.data.source == DataSource::path) return load_dataset_examples(ctx.policy.tokenizer, s.data.path, s.data.examples);
  if (s.data.source == DataSource::previous) {
    if (ctx.state.previous_sft.empty() && !ctx.state.previous_sft_path.empty())  // restarted after the stage that wrote it
      return load_dataset_examples(ctx.policy.tokenizer, ctx.state.previous_sft_path);
    R1_INPUT_CHECK(!ctx.state.previous_sft.empty(), ctx.run.config_file, ": stage '", s.display_name(),
                   "': data.source 'previous' but no earlier stage produced an SFT set");
    return ctx.state.previous_sft;
  }
  if (s.data.source == DataSource::random) {  // fixed-length sequences of random ids (grpo: prompts): benchmarks only
    std::vector<Example> out(static_cast<size_t>(s.data.examples));
    const int64_t vocab = c.model.vocab_size > 0 ? c.model.vocab_size : ctx.policy.tokenizer.vocab_size();
    for (int64_t i = 0; i < s.data.examples; ++i) {
      CounterRng rng({seed, hash_string("random-data"), uint64_t(i)});
      out[size_t(i)].id = i;
      std::vector<int32_t>& ids = s.kind == StageKind::grpo ? out[size_t(i)].prompt : out[size_t(i)].response;
      for (int64_t t = 0; t < s.seq_len; ++t) ids.push_back(int32_t(rng.below(uint64_t(vocab))));
    }
    return out;
  }
  SynthSplit split = s.data.split;
  if (s.kind == StageKind::pretrain) return synth_pretrain_documents(c.synth, seed, s.data.examples, ctx.policy.tokenizer);
  if (s.kind == StageKind::sft) return synth_sft_examples(c.synth, seed, split, s.data.examples, ctx.policy.tokenizer, ctx.policy.prompt_template);
  return synth_prompts(c.synth, seed, split, s.data.examples, ctx.policy.tokenizer, ctx.policy.prompt_template);
}

}  // namespace r1
