// `r1 data info FILE.h5 [--tokenizer PATH]`: what a dataset file holds — kind, record count, token
// length statistics, tokenizer identity, source file and checksum — and, with a tokenizer, the
// first record decoded.
#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "io/formats/dataset_file.hpp"
#include "io/formats/dataset_summary.hpp"
#include "io/formats/dataset_tokenizer_identity.hpp"
#include "io/tokenizer/tokenizer.hpp"
#include "rl/chat_template.hpp"

namespace r1::cli {

namespace {

void print_lengths(const char* what, const TokenLengthStats& s) {
  char mean[32];
  std::snprintf(mean, sizeof mean, "%.1f", s.mean);
  std::cout << "  " << what << " tokens: " << s.total << " total; per record min " << s.min << ", mean " << mean
            << ", max " << s.max << "\n";
}

int data_info(const Args& a, const Comm& world) {
  if (world.rank() != 0) return 0;
  const std::string& path = a.positionals[0];
  DatasetReader reader = DatasetReader::open(path);
  const DatasetAttributes& attr = reader.attributes();
  DatasetSummary summary = summarize_dataset(reader);
  std::cout << path << "\n"
            << "  kind: " << dataset_kind_name(attr.kind) << "\n"
            << "  records: " << summary.records << "\n";
  if (summary.has_prompts) print_lengths("prompt", summary.prompt);
  if (summary.has_responses) print_lengths("response", summary.response);
  std::cout << "  tokenizer: sha256 " << attr.tokenizer.sha256 << ", vocab " << attr.tokenizer.vocab_size << "\n"
            << "  chat template: " << (attr.chat_template.empty() ? "(none)" : attr.chat_template) << "\n"
            << "  source: " << attr.source_path << " (" << attr.source_bytes << " bytes, sha256 " << attr.source_sha256
            << ")\n"
            << "  created by: " << attr.created_by << ", format version " << attr.format_version << "\n";

  auto tokenizer_path = a.maybe("--tokenizer");
  if (!tokenizer_path || summary.records == 0) return 0;
  Tokenizer tokenizer = Tokenizer::load(*tokenizer_path);
  tokenizer.add_special_tokens(r1_special_tokens());
  TokenizerIdentity identity = tokenizer_identity(tokenizer);
  if (!(identity == attr.tokenizer))
    std::cout << "  warning: " << *tokenizer_path << " is not the tokenizer this file was made with (sha256 "
              << identity.sha256 << ", vocab " << identity.vocab_size << "); the decoded text may be wrong\n";
  DatasetRecord first = reader.read_rows(0, 1)[0];
  std::cout << "first record (source id " << first.source_id << "):\n";
  if (reader.has_prompts()) std::cout << "  prompt: " << tokenizer.decode(first.prompt) << "\n";
  if (reader.has_responses()) std::cout << "  response: " << tokenizer.decode(first.response) << "\n";
  if (!first.gold.empty()) std::cout << "  gold: " << first.gold << "\n";
  return 0;
}

Registrar reg(Command{"data info", "describe a dataset file (.h5): kind, records, token lengths, tokenizer, source",
                      "", {{"FILE", "dataset file written by 'r1 data import'"}},
                      {{"--tokenizer", "PATH", "decode and print the first record with this tokenizer", ""}}, false, false,
                      data_info});

}  // namespace

}  // namespace r1::cli
