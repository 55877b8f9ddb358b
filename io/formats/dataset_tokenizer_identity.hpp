// The identity of a tokenizer as recorded in dataset files: a SHA-256 over everything that decides
// which ids a text becomes (vocabulary, merges, added/special tokens, pre-tokenizer), plus the
// vocabulary size. Two tokenizers with the same identity encode every text the same way, whether
// they were loaded from tokenizer.json, from vocab.json + merges.txt, or trained in-process.
#pragma once
#include "io/formats/dataset_file.hpp"
#include "io/tokenizer/tokenizer.hpp"

namespace r1 {

// Serialises the tokenizer (Tokenizer::save to a private temporary file) and hashes the canonical
// JSON of its "added_tokens", "pre_tokenizer" and "model" sections. About a second for a
// 150k-token vocabulary; compute it once per run.
TokenizerIdentity tokenizer_identity(const Tokenizer& tokenizer);

}  // namespace r1
