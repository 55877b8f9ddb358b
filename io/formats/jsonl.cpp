// JSON Lines reader.
#include "io/formats/jsonl.hpp"

#include <fstream>

#include "core/error.hpp"

namespace r1 {

void read_jsonl(const std::string& path, const std::function<void(const nlohmann::json&, int64_t)>& row,
                const std::function<void(int64_t, const std::string&)>& on_bad_line) {
  std::ifstream in(path);
  R1_INPUT_CHECK(in, path, ": cannot open");
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      std::string msg = std::string("not valid JSON: ") + e.what();
      if (on_bad_line) {
        on_bad_line(n, msg);
        continue;
      }
      throw InputError(path + ":" + std::to_string(n) + ": " + msg);
    }
    row(j, n);
  }
}

}  // namespace r1
