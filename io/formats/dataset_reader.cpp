// DatasetReader: opens a dataset file read-only (each rank independently), validates its
// attributes, columns and offsets, and reads row ranges or row lists by hyperslab/point selection.
#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "io/formats/dataset_attributes.hpp"
#include "io/formats/dataset_file.hpp"
#include "io/formats/dataset_h5.hpp"

namespace r1 {

namespace {

using dataset_h5::ColumnReader;
using dataset_h5::ColumnType;
constexpr int64_t kScanBlock = 1 << 20;  // offsets per read while scanning

// A ragged token column: tokens plus N+1 offsets.
struct TokenColumn {
  ColumnReader tokens, offsets;

  bool valid() const { return offsets.valid(); }

  // Offsets `values` (of consecutive rows starting at `first_row`, or of the rows in `rows`) must be
  // non-decreasing and inside [0, tokens.size()].
  void check_offsets(const std::vector<int64_t>& values, int64_t first_row) const {
    for (size_t i = 0; i < values.size(); ++i) {
      R1_INPUT_CHECK(values[i] >= 0 && values[i] <= tokens.size(), offsets.where(), ": offset ", values[i],
                     " at index ", first_row + int64_t(i), " is outside [0, ", tokens.size(), "] (the length of ",
                     tokens.where(), ")");
      R1_INPUT_CHECK(i == 0 || values[i] >= values[i - 1], offsets.where(), ": offsets decrease at index ",
                     first_row + int64_t(i), " (", values[i - 1], " then ", values[i], ")");
    }
  }

  void check_ids(const int32_t* ids, int64_t count, int64_t row, int64_t vocab_size) const {
    for (int64_t i = 0; i < count; ++i)
      R1_INPUT_CHECK(ids[i] >= 0 && ids[i] < vocab_size, tokens.where(), ": token id ", ids[i], " of record ", row,
                     " is outside the tokenizer's [0, ", vocab_size, ")");
  }

  // Validates the column against `records` on open.
  void validate(int64_t records, bool scan) const {
    R1_INPUT_CHECK(offsets.size() == records + 1, offsets.where(), ": has ", offsets.size(),
                   " entries, expected record_count + 1 = ", records + 1);
    std::vector<int64_t> first = offsets.read_i64(0, 1), last = offsets.read_i64(records, 1);
    R1_INPUT_CHECK(first[0] == 0, offsets.where(), ": must start at 0, starts at ", first[0]);
    R1_INPUT_CHECK(last[0] == tokens.size(), offsets.where(), ": ends at ", last[0], " but ", tokens.where(), " holds ",
                   tokens.size(), " tokens");
    if (!scan) return;
    int64_t previous = 0;
    for (int64_t begin = 0; begin <= records; begin += kScanBlock) {
      int64_t count = std::min(kScanBlock, records + 1 - begin);
      std::vector<int64_t> block = offsets.read_i64(begin, count);
      R1_INPUT_CHECK(block[0] >= previous, offsets.where(), ": offsets decrease at index ", begin, " (", previous,
                     " then ", block[0], ")");
      check_offsets(block, begin);
      previous = block.back();
    }
  }

  // Token spans of rows [begin, end), split per row.
  std::vector<std::vector<int32_t>> read_range(int64_t begin, int64_t end, int64_t vocab_size) const {
    std::vector<int64_t> off = offsets.read_i64(begin, end - begin + 1);
    check_offsets(off, begin);
    std::vector<int32_t> flat = tokens.read_i32(off.front(), off.back() - off.front());
    std::vector<std::vector<int32_t>> rows(static_cast<size_t>(end - begin));
    for (int64_t r = begin; r < end; ++r) {
      const int32_t* span = flat.data() + (off[size_t(r - begin)] - off.front());
      int64_t length = off[size_t(r - begin + 1)] - off[size_t(r - begin)];
      check_ids(span, length, r, vocab_size);
      rows[size_t(r - begin)].assign(span, span + length);
    }
    return rows;
  }

  // Token spans of the sorted distinct rows `rows`.
  std::vector<std::vector<int32_t>> read_rows(const std::vector<int64_t>& rows, int64_t vocab_size) const {
    std::vector<int64_t> points;
    points.reserve(rows.size() * 2);
    for (int64_t r : rows) {
      points.push_back(r);
      points.push_back(r + 1);
    }
    std::vector<int64_t> off = offsets.read_i64_points(points);
    std::vector<std::pair<int64_t, int64_t>> spans(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      check_offsets({off[2 * i], off[2 * i + 1]}, rows[i]);
      spans[i] = {off[2 * i], off[2 * i + 1]};
      R1_INPUT_CHECK(i == 0 || spans[i].first >= spans[i - 1].second, offsets.where(), ": the token span of record ",
                     rows[i], " overlaps the one of record ", rows[i - 1]);
    }
    std::vector<int32_t> flat = tokens.read_i32_ranges(spans);
    std::vector<std::vector<int32_t>> out(rows.size());
    int64_t position = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      int64_t length = spans[i].second - spans[i].first;
      check_ids(flat.data() + position, length, rows[i], vocab_size);
      out[i].assign(flat.begin() + position, flat.begin() + position + length);
      position += length;
    }
    return out;
  }
};

}  // namespace

struct DatasetReader::State {
  std::string path;
  DatasetAttributes attributes;
  h5::File file;
  TokenColumn prompts, responses;
  ColumnReader question, gold, solution, source_id;

  void check_rows(int64_t begin, int64_t end) const {
    R1_CHECK(begin >= 0 && begin <= end && end <= attributes.record_count, path, ": rows [", begin, ", ", end,
             ") outside [0, ", attributes.record_count, ")");
  }
};

DatasetReader::DatasetReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
DatasetReader::DatasetReader(DatasetReader&&) noexcept = default;
DatasetReader& DatasetReader::operator=(DatasetReader&&) noexcept = default;
DatasetReader::~DatasetReader() = default;

DatasetReader DatasetReader::open(const std::string& path, const DatasetOpenOptions& options) {
  using namespace dataset_layout;
  std::error_code ec;
  R1_INPUT_CHECK(std::filesystem::is_regular_file(path, ec), path, ": no such dataset file");
  R1_INPUT_CHECK(dataset_h5::is_hdf5_file(path), path, ": not an HDF5 file (import data with 'r1 data import')");
  auto s = std::make_unique<State>();
  s->path = path;
  h5::PropertyList access = dataset_h5::file_access(path);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.id());
  if (file < 0) {
    std::string stack = h5::error_stack_text();
    H5Eclear2(H5E_DEFAULT);
    throw InputError(path + ": cannot open (" + stack + ")");
  }
  s->file = h5::File(file);
  s->attributes = read_attributes(file, path);
  const DatasetAttributes& a = s->attributes;
  if (options.expected_tokenizer) {
    const TokenizerIdentity& want = *options.expected_tokenizer;
    R1_INPUT_CHECK(a.tokenizer == want, path, ": tokenizer mismatch: the file was tokenised with tokenizer ",
                   a.tokenizer.sha256.substr(0, 16), "… (vocab ", a.tokenizer.vocab_size,
                   ") but this run uses tokenizer ", want.sha256.substr(0, 16), "… (vocab ", want.vocab_size,
                   "); re-import the data with this run's tokenizer");
  }
  const int64_t n = a.record_count;
  if (kind_has_prompts(a.kind)) {
    s->prompts.tokens = ColumnReader(file, kPromptTokens, ColumnType::i32, path);
    s->prompts.offsets = ColumnReader(file, kPromptOffsets, ColumnType::i64, path);
    s->prompts.validate(n, options.scan_offsets);
  }
  if (kind_has_responses(a.kind)) {
    s->responses.tokens = ColumnReader(file, kResponseTokens, ColumnType::i32, path);
    s->responses.offsets = ColumnReader(file, kResponseOffsets, ColumnType::i64, path);
    s->responses.validate(n, options.scan_offsets);
  }
  auto open_strings = [&](ColumnReader& column, const char* name) {
    column = ColumnReader(file, name, ColumnType::string, path);
    R1_INPUT_CHECK(column.size() == n, column.where(), ": has ", column.size(), " entries, expected record_count = ", n);
  };
  if (kind_has_question_and_gold(a.kind)) {
    open_strings(s->question, kQuestion);
    open_strings(s->gold, kGold);
  }
  if (kind_has_solution(a.kind)) open_strings(s->solution, kSolution);
  open_strings(s->source_id, kSourceId);
  return DatasetReader(std::move(s));
}

const std::string& DatasetReader::path() const { return state_->path; }
const DatasetAttributes& DatasetReader::attributes() const { return state_->attributes; }
int64_t DatasetReader::size() const { return state_->attributes.record_count; }
bool DatasetReader::has_prompts() const { return state_->prompts.valid(); }
bool DatasetReader::has_responses() const { return state_->responses.valid(); }

std::vector<DatasetRecord> DatasetReader::read_rows(int64_t begin, int64_t end) const {
  const State& s = *state_;
  s.check_rows(begin, end);
  const int64_t count = end - begin, vocab = s.attributes.tokenizer.vocab_size;
  std::vector<DatasetRecord> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out[size_t(i)].id = begin + i;
  if (count == 0) return out;
  if (s.prompts.valid()) {
    auto rows = s.prompts.read_range(begin, end, vocab);
    for (size_t i = 0; i < out.size(); ++i) out[i].prompt = std::move(rows[i]);
  }
  if (s.responses.valid()) {
    auto rows = s.responses.read_range(begin, end, vocab);
    for (size_t i = 0; i < out.size(); ++i) out[i].response = std::move(rows[i]);
  }
  auto fill = [&](const ColumnReader& column, std::string DatasetRecord::*field) {
    if (!column.valid()) return;
    std::vector<std::string> values = column.read_strings(begin, count);
    for (size_t i = 0; i < out.size(); ++i) out[i].*field = std::move(values[i]);
  };
  fill(s.question, &DatasetRecord::question);
  fill(s.gold, &DatasetRecord::gold);
  fill(s.solution, &DatasetRecord::solution);
  fill(s.source_id, &DatasetRecord::source_id);
  return out;
}

std::vector<DatasetRecord> DatasetReader::read_records(const std::vector<int64_t>& ids) const {
  const State& s = *state_;
  const int64_t vocab = s.attributes.tokenizer.vocab_size;
  for (int64_t id : ids)
    R1_CHECK(id >= 0 && id < s.attributes.record_count, s.path, ": record id ", id, " outside [0, ",
             s.attributes.record_count, ")");
  std::vector<int64_t> unique_ids = ids;
  std::sort(unique_ids.begin(), unique_ids.end());
  unique_ids.erase(std::unique(unique_ids.begin(), unique_ids.end()), unique_ids.end());
  std::vector<DatasetRecord> distinct(unique_ids.size());
  for (size_t i = 0; i < distinct.size(); ++i) distinct[i].id = unique_ids[i];
  if (!unique_ids.empty()) {
    if (s.prompts.valid()) {
      auto rows = s.prompts.read_rows(unique_ids, vocab);
      for (size_t i = 0; i < distinct.size(); ++i) distinct[i].prompt = std::move(rows[i]);
    }
    if (s.responses.valid()) {
      auto rows = s.responses.read_rows(unique_ids, vocab);
      for (size_t i = 0; i < distinct.size(); ++i) distinct[i].response = std::move(rows[i]);
    }
    auto fill = [&](const ColumnReader& column, std::string DatasetRecord::*field) {
      if (!column.valid()) return;
      std::vector<std::string> values = column.read_string_points(unique_ids);
      for (size_t i = 0; i < distinct.size(); ++i) distinct[i].*field = std::move(values[i]);
    };
    fill(s.question, &DatasetRecord::question);
    fill(s.gold, &DatasetRecord::gold);
    fill(s.solution, &DatasetRecord::solution);
    fill(s.source_id, &DatasetRecord::source_id);
  }
  std::vector<DatasetRecord> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    size_t index = size_t(std::lower_bound(unique_ids.begin(), unique_ids.end(), id) - unique_ids.begin());
    out.push_back(distinct[index]);
  }
  return out;
}

std::vector<int64_t> DatasetReader::prompt_offsets(int64_t begin, int64_t end) const {
  const State& s = *state_;
  R1_CHECK(begin >= 0 && begin <= end && end <= s.attributes.record_count, s.path, ": offsets [", begin, ", ", end,
           "] outside [0, ", s.attributes.record_count, "]");
  if (!s.prompts.valid()) return {};
  std::vector<int64_t> off = s.prompts.offsets.read_i64(begin, end - begin + 1);
  s.prompts.check_offsets(off, begin);
  return off;
}

std::vector<int64_t> DatasetReader::response_offsets(int64_t begin, int64_t end) const {
  const State& s = *state_;
  R1_CHECK(begin >= 0 && begin <= end && end <= s.attributes.record_count, s.path, ": offsets [", begin, ", ", end,
           "] outside [0, ", s.attributes.record_count, "]");
  if (!s.responses.valid()) return {};
  std::vector<int64_t> off = s.responses.offsets.read_i64(begin, end - begin + 1);
  s.responses.check_offsets(off, begin);
  return off;
}

}  // namespace r1
