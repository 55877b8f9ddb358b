// Dataset file -> Examples.
#include "rl/data/file_dataset.hpp"

#include <algorithm>

#include "io/formats/dataset_file.hpp"
#include "io/formats/dataset_tokenizer_identity.hpp"

namespace r1 {

std::vector<Example> load_dataset_examples(const Tokenizer& tokenizer, const std::string& path, int64_t limit) {
  TokenizerIdentity id = tokenizer_identity(tokenizer);
  DatasetOpenOptions opts;
  opts.expected_tokenizer = &id;
  DatasetReader reader = DatasetReader::open(path, opts);
  int64_t n = limit < 0 ? reader.size() : std::min<int64_t>(reader.size(), limit);
  std::vector<Example> out;
  for (DatasetRecord& r : reader.read_rows(0, n)) {
    Example e;
    e.id = r.id;
    e.prompt = std::move(r.prompt);
    e.response = std::move(r.response);
    e.question = std::move(r.question);
    e.gold = std::move(r.gold);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace r1
