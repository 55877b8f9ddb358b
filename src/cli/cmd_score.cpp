// `r1 score --ckpt C --in tokens.jsonl`: per-token log-probabilities of given sequences under a
// checkpoint's model. Each input line has "tokens" (ids) or "text" (tokenised with the run's
// tokenizer); each output line repeats the input's keys and adds "logprobs" (one per token after the
// first: log p(token_i | tokens_<i)) and "sum".
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "io/formats/jsonl.hpp"
#include "kernels/runtime.hpp"
#include "engine/checkpoint_model.hpp"

namespace r1::cli {

namespace {
int score(const Args& a, const Comm& world) {
  const std::string ckpt = a.get("--ckpt"), in_path = a.get("--in");
  R1_INPUT_CHECK(!ckpt.empty() && !in_path.empty(), "r1 score: --ckpt and --in are required");
  int argc = 0;
  ComputeRuntime runtime(argc, nullptr, 1);
  auto model = load_checkpoint_model(ckpt, world);
  std::optional<Tokenizer> tok;
  std::vector<nlohmann::ordered_json> records;
  std::vector<std::vector<int32_t>> seqs;
  read_jsonl(in_path, [&](const nlohmann::json& j, int64_t line) {
    std::vector<int32_t> ids;
    if (j.contains("tokens")) {
      R1_INPUT_CHECK(j["tokens"].is_array(), in_path, ":", line, ": \"tokens\" must be a list of ids");
      for (auto& t : j["tokens"]) {
        R1_INPUT_CHECK(t.is_number_integer() && t.get<int64_t>() >= 0 && t.get<int64_t>() < model->config().vocab_size,
                       in_path, ":", line, ": token ", t.dump(), " is not an id of the model's vocabulary (",
                       model->config().vocab_size, ")");
        ids.push_back(t.get<int32_t>());
      }
    } else if (j.contains("text") && j["text"].is_string()) {
      if (!tok) tok.emplace(checkpoint_tokenizer(ckpt, a.get("--tokenizer")));
      ids = tok->encode(j["text"].get<std::string>());
    } else {
      throw InputError(in_path + ":" + std::to_string(line) + ": needs \"tokens\" (ids) or \"text\"");
    }
    R1_INPUT_CHECK(!ids.empty() && int64_t(ids.size()) <= model->config().max_position_embeddings, in_path, ":", line,
                   ": sequence of ", ids.size(), " tokens (1 to max_position_embeddings allowed)");
    records.push_back(nlohmann::ordered_json::parse(j.dump()));
    seqs.push_back(std::move(ids));
  });
  // One sequence per batch row range; batches of up to 64 sequences.
  std::vector<std::vector<double>> logprobs(seqs.size());
  for (size_t b = 0; b < seqs.size(); b += 64) {
    TokenBatch batch;
    batch.seqs.push_back(0);
    for (size_t i = b; i < std::min(seqs.size(), b + 64); ++i) {
      for (size_t t = 0; t < seqs[i].size(); ++t) {
        batch.tokens.push_back(seqs[i][t]);
        batch.positions.push_back(int32_t(t));
        batch.targets.push_back(t + 1 < seqs[i].size() ? seqs[i][t + 1] : -1);
      }
      batch.seqs.push_back(batch.size());
    }
    ModelActs acts;
    auto lp = to_f64_vector(model->forward(batch, acts, ForwardMode::inference).logp);
    for (size_t i = b; i < std::min(seqs.size(), b + 64); ++i)
      for (int64_t r = batch.seqs[i - b]; r + 1 < batch.seqs[i - b + 1]; ++r) logprobs[i].push_back(lp[size_t(r)]);
  }
  if (world.rank() != 0) return 0;
  std::ofstream file;
  std::string out_path = a.get("--out");
  if (!out_path.empty()) file.open(out_path + ".tmp");
  std::ostream& out = out_path.empty() ? std::cout : file;
  for (size_t i = 0; i < records.size(); ++i) {
    double sum = 0;
    for (double v : logprobs[i]) sum += v;
    records[i]["logprobs"] = logprobs[i];
    records[i]["sum"] = sum;
    out << records[i].dump() << "\n";
  }
  if (!out_path.empty()) {
    file.close();
    std::rename((out_path + ".tmp").c_str(), out_path.c_str());
  }
  return 0;
}

Registrar reg(Command{"score", "per-token log-probabilities of given sequences under a checkpoint's model", "",
                      {},
                      {{"--ckpt", "FILE", "r1 checkpoint"},
                       {"--in", "FILE", "JSONL with \"tokens\" (ids) or \"text\" per line"},
                       {"--out", "FILE", "output JSONL (default: stdout)"},
                       {"--tokenizer", "PATH", "tokenizer for \"text\" lines (default: the run's)"}},
                      false,
                      true,
                      score});
}  // namespace

}  // namespace r1::cli
