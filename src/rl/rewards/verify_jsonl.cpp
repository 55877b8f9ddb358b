// JSON Lines answer checking for `r1 verify` (see verify_jsonl.hpp).
#include "rl/rewards/verify_jsonl.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "rl/rewards/answer_extraction.hpp"
#include "rl/rewards/latex_scan.hpp"
#include "rl/rewards/math_equivalence.hpp"

namespace r1::rewards {

namespace {

std::string answer_field(const nlohmann::ordered_json& record, const char* key, const std::string& where) {
  auto it = record.find(key);
  R1_INPUT_CHECK(it != record.end(), where, ": missing field \"", key, "\"");
  if (it->is_string()) return it->get<std::string>();
  R1_INPUT_CHECK(it->is_number(), where, ": field \"", key, "\" must be a string or a number, got ", it->type_name());
  return it->dump();
}

std::string answer_of(const std::string& text) { return extract_answer(text).value_or(text); }

}  // namespace

int64_t verify_jsonl(std::istream& in, const std::string& in_name, std::ostream& out, int64_t* records) {
  int64_t correct = 0, count = 0, line_number = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    std::string where = in_name + ":" + std::to_string(line_number);
    nlohmann::ordered_json record;
    try {
      record = nlohmann::ordered_json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw InputError(where + ": not valid JSON (" + e.what() + ")");
    }
    R1_INPUT_CHECK(record.is_object(), where, ": expected a JSON object, got ", record.type_name());
    bool is_correct = answers_equivalent(answer_of(answer_field(record, "prediction", where)),
                                         answer_of(answer_field(record, "gold", where)));
    record["correct"] = is_correct;
    out << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    ++count;
    if (is_correct) ++correct;
  }
  R1_INPUT_CHECK(!in.bad(), in_name, ": read error");
  if (records) *records = count;
  return correct;
}

}  // namespace r1::rewards
