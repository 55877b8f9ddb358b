// Readers for the text pipeline parts of tokenizer.json: normalizer, pre_tokenizer, decoder.
// Unsupported types or options throw InputError naming the file and the JSON field.
#pragma once
#include <nlohmann/json.hpp>

#include "io/tokenizer/bpe_pretokenizer.hpp"
#include "io/tokenizer/tokenizer_decoder.hpp"
#include "io/tokenizer/tokenizer_json_field.hpp"
#include "io/tokenizer/tokenizer_normalizer.hpp"

namespace r1::bpe {

Normalizer read_normalizer(const nlohmann::json& value, const json_field::Field& field);
// A null pre_tokenizer: the whole normalized text is one pre-token (not byte-level).
PreTokenizer read_pre_tokenizer(const nlohmann::json& value, const json_field::Field& field);
Decoder read_decoder(const nlohmann::json& value, const json_field::Field& field);

}  // namespace r1::bpe
