// Dataset statistics from the offsets columns, read in blocks.
#include "io/formats/dataset_summary.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace r1 {

namespace {

constexpr int64_t kBlock = 1 << 20;  // records per offsets read

template <class ReadOffsets>
TokenLengthStats length_stats(int64_t records, ReadOffsets read_offsets) {
  TokenLengthStats s;
  if (records == 0) return s;
  s.min = std::numeric_limits<int64_t>::max();
  for (int64_t begin = 0; begin < records; begin += kBlock) {
    int64_t end = std::min(records, begin + kBlock);
    std::vector<int64_t> off = read_offsets(begin, end);  // [end - begin + 1]
    for (size_t i = 0; i + 1 < off.size(); ++i) {
      int64_t length = off[i + 1] - off[i];
      s.min = std::min(s.min, length);
      s.max = std::max(s.max, length);
    }
    s.total += off.back() - off.front();
  }
  s.mean = double(s.total) / double(records);
  return s;
}

}  // namespace

DatasetSummary summarize_dataset(const DatasetReader& reader) {
  DatasetSummary s;
  s.records = reader.size();
  s.has_prompts = reader.has_prompts();
  s.has_responses = reader.has_responses();
  if (s.has_prompts)
    s.prompt = length_stats(s.records, [&](int64_t b, int64_t e) { return reader.prompt_offsets(b, e); });
  if (s.has_responses)
    s.response = length_stats(s.records, [&](int64_t b, int64_t e) { return reader.response_offsets(b, e); });
  return s;
}

}  // namespace r1
