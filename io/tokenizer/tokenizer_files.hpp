// Readers for the on-disk tokenizer formats, producing the parts a Tokenizer is assembled from:
// Hugging Face tokenizer.json, and GPT-2's vocab.json + merges.txt. Internal to io/tokenizer*.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/tokenizer/bpe_added_tokens.hpp"
#include "io/tokenizer/bpe_model.hpp"
#include "io/tokenizer/bpe_pretokenizer.hpp"
#include "io/tokenizer/tokenizer_decoder.hpp"
#include "io/tokenizer/tokenizer_normalizer.hpp"

namespace r1::bpe {

struct TokenizerParts {
  BpeModel model;
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  Decoder decoder;  // a GPT-2 folder gets a ByteLevel one
  std::vector<AddedToken> added_tokens;
  std::vector<std::string> added_token_fields;  // [added_tokens] "FILE: added_tokens[i]" for error messages
  // tokenizer.json's parts as written, for save(); empty = write what the parsed parts describe.
  std::string normalizer_json, pre_tokenizer_json, decoder_json;
  std::string post_processor_json = "null";
};

// Parses a JSON file; InputError naming the file when it cannot be read or parsed.
nlohmann::json read_json_file(const std::string& path);

// tokenizer.json with a BPE model. Unsupported features throw InputError naming the file and field.
TokenizerParts read_tokenizer_json(const std::string& path);

// GPT-2 files: vocab.json (token -> id) and merges.txt (optional "#version" header line, then one
// "left right" rule per line, by rank), with the GPT-2 pre-tokenizer. <|endoftext|>, when in the
// vocabulary, becomes a special token.
TokenizerParts read_vocab_and_merges(const std::string& vocab_path, const std::string& merges_path);

}  // namespace r1::bpe
