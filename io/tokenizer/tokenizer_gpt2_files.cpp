// GPT-2 style tokenizer files: vocab.json + merges.txt, pre-tokenized with the GPT-2 pattern.
#include <fstream>

#include "core/error.hpp"
#include "io/tokenizer/tokenizer_files.hpp"

namespace r1::bpe {

TokenizerParts read_vocab_and_merges(const std::string& vocab_path, const std::string& merges_path) {
  TokenizerParts parts;
  parts.decoder.present = true;
  parts.decoder.steps.push_back(DecoderStep{});  // ByteLevel
  const nlohmann::json vocab = read_json_file(vocab_path);
  R1_INPUT_CHECK(vocab.is_object(), vocab_path, ": expected a JSON object mapping token -> id");
  for (const auto& [token, id] : vocab.items()) {
    R1_INPUT_CHECK(id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() <= INT32_MAX, vocab_path,
                   ": token '", token, "': expected a non-negative integer id, found ", id.dump());
    R1_INPUT_CHECK(parts.model.add_token(token, int32_t(id.get<int64_t>())), vocab_path, ": token '", token,
                   "': id ", id.get<int64_t>(), " is used twice");
  }
  const int missing_byte = parts.model.index_byte_symbols();
  R1_INPUT_CHECK(missing_byte < 0, vocab_path, ": no token for byte ", missing_byte,
                 " (a byte-level vocabulary needs all 256)");

  std::ifstream in(merges_path);
  R1_INPUT_CHECK(in, merges_path, ": cannot open");
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_number == 1 && line.starts_with("#version")) continue;
    if (line.empty()) continue;
    const size_t space = line.find(' ');
    R1_INPUT_CHECK(space != std::string::npos && line.find(' ', space + 1) == std::string::npos, merges_path, ":",
                   line_number, ": expected 'left right' with exactly one space, found '", line, "'");
    auto error = parts.model.add_merge(std::string_view(line).substr(0, space), std::string_view(line).substr(space + 1));
    R1_INPUT_CHECK(!error, merges_path, ":", line_number, ": ", error.value_or(""));
  }

  const int32_t end_of_text = parts.model.token_id("<|endoftext|>");
  if (end_of_text >= 0) {
    AddedToken token;
    token.content = "<|endoftext|>";
    token.id = end_of_text;
    parts.added_tokens.push_back(std::move(token));
    parts.added_token_fields.push_back(vocab_path + ": token '<|endoftext|>'");
  }
  return parts;
}

}  // namespace r1::bpe
