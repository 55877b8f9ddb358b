// Dataset kinds, the columns each kind stores, and the even split of rows over ranks.
#include "io/formats/dataset_file.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace r1 {

const char* dataset_kind_name(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::prompt_answer: return "prompt-answer";
    case DatasetKind::sft: return "sft";
    case DatasetKind::pretrain: return "pretrain";
  }
  return "?";
}

DatasetKind parse_dataset_kind(const std::string& name, const std::string& where) {
  for (DatasetKind k : {DatasetKind::prompt_answer, DatasetKind::sft, DatasetKind::pretrain})
    if (name == dataset_kind_name(k)) return k;
  throw InputError(where + ": unknown dataset kind '" + name + "' (expected prompt-answer, sft or pretrain)");
}

bool kind_has_prompts(DatasetKind kind) { return kind != DatasetKind::pretrain; }
bool kind_has_responses(DatasetKind kind) { return kind != DatasetKind::prompt_answer; }
bool kind_has_question_and_gold(DatasetKind kind) { return kind != DatasetKind::pretrain; }
bool kind_has_solution(DatasetKind kind) { return kind == DatasetKind::prompt_answer; }

std::pair<int64_t, int64_t> rank_row_range(int64_t records, int rank, int ranks) {
  R1_CHECK(ranks >= 1 && rank >= 0 && rank < ranks && records >= 0, "rank_row_range: rank ", rank, " of ", ranks,
           ", records ", records);
  const int64_t base = records / ranks, extra = records % ranks;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace r1
