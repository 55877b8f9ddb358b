// `r1 data synth -o OUT.jsonl`: writes the synthetic arithmetic task (train or held-out split) as
// JSON lines {"id", "question", "answer", "solution"} — the same problems a recipe with
// data.source: synth generates, so they can be imported (`r1 data import prompt-answer`), inspected
// or evaluated elsewhere.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/config_loading.hpp"
#include "core/error.hpp"
#include "rl/chat_template.hpp"
#include "rl/synth/arithmetic_task.hpp"

namespace r1::cli {

namespace {
int synth(const Args& a, const Comm& world) {
  SynthConfig c;
  if (auto cfg = a.maybe("--config")) c = load_recipe(*cfg, a.overrides).config.synth;
  c.min_terms = a.get_int("--min-terms", c.min_terms);
  c.max_terms = a.get_int("--max-terms", c.max_terms);
  c.min_digits = a.get_int("--min-digits", c.min_digits);
  c.max_digits = a.get_int("--max-digits", c.max_digits);
  c.operators = a.get("--operators", c.operators);
  uint64_t seed = uint64_t(a.get_int("--seed", 1234));
  int64_t count = a.get_int("--count", 1000);
  R1_INPUT_CHECK(count > 0, "r1 data synth: --count must be positive");
  SynthSplit split = synth_split_from_name(a.get("--split", "train"));
  std::string out_path = a.get("-o", a.get("--out"));
  R1_INPUT_CHECK(!out_path.empty(), "r1 data synth: -o OUT.jsonl is required");
  if (world.rank() != 0) return 0;
  std::string tmp = out_path + ".tmp";
  {
    std::ofstream out(tmp);
    R1_INPUT_CHECK(out, out_path, ": cannot write");
    for (int64_t i = 0; i < count; ++i) {
      SynthProblem p = make_synth_problem(c, seed, split, i);
      nlohmann::ordered_json j = {{"id", i},
                                  {"question", p.question},
                                  {"answer", p.answer},
                                  {"solution", "<think>" + p.reasoning + "</think><answer>" + p.answer + "</answer>"}};
      out << j.dump() << "\n";
    }
  }
  std::rename(tmp.c_str(), out_path.c_str());
  std::cerr << "r1 data synth: " << count << " " << a.get("--split", "train") << " problems -> " << out_path << "\n";
  return 0;
}

Registrar reg(Command{
    "data synth",
    "write the synthetic arithmetic task (train or held-out split) as JSONL",
    "Problems are a pure function of (seed, split, index); the held-out split is disjoint from train. With\n"
    "--config, the task settings come from a recipe's `synth` section (overridable as usual).",
    {},
    {{"-o", "FILE", "output JSONL file"},
     {"--split", "NAME", "train or heldout", "train"},
     {"--count", "N", "problems to write", "1000"},
     {"--seed", "S", "seed (a recipe's seed reproduces its problems)", "1234"},
     {"--config", "CONFIG", "take the task settings from this recipe"},
     {"--min-terms", "N", "fewest operands"},
     {"--max-terms", "N", "most operands"},
     {"--min-digits", "N", "fewest digits per operand"},
     {"--max-digits", "N", "most digits per operand"},
     {"--operators", "OPS", "subset of +-*"}},
    true,
    false,
    synth});
}  // namespace

}  // namespace r1::cli
