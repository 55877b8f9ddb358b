// Batch answer checking behind `r1 verify --in FILE.jsonl [--out FILE]`: every non-blank input line
// is a JSON object with "prediction" and "gold" (strings; numbers are accepted and used in their
// JSON spelling). Each line is written back in input order, with its keys in their original order,
// plus a boolean "correct" (replacing an existing one in place). Both fields go through
// extract_answer first (a full response or a "#### 42" solution works), falling back to the whole
// string, and are then compared with answers_equivalent.
// A line that is not a JSON object, or lacks a field, throws r1::InputError("FILE:LINE: ...").
#pragma once
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

namespace r1::rewards {

// Returns the number of records judged correct; `records` (optional) receives the number of records.
int64_t verify_jsonl(std::istream& in, const std::string& in_name, std::ostream& out, int64_t* records = nullptr);

}  // namespace r1::rewards
