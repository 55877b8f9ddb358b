// JSON Lines reading with line numbers, so malformed input is reported as FILE:LINE.
#pragma once
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace r1 {

// Calls `row(json, line_number)` for each non-empty line. A line that is not valid JSON throws
// InputError("FILE:LINE: ...") unless `on_bad_line` is given, in which case it is called instead.
void read_jsonl(const std::string& path, const std::function<void(const nlohmann::json&, int64_t)>& row,
                const std::function<void(int64_t, const std::string&)>& on_bad_line = nullptr);

}  // namespace r1
