// DatasetWriter: appends records to the columns of `path`.tmp in buffered batches (a batch is
// flushed when it holds about a million tokens or 16k records), then commits by writing the record
// count and renaming the file into place.
#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "io/formats/dataset_attributes.hpp"
#include "io/formats/dataset_file.hpp"
#include "io/formats/dataset_h5.hpp"

namespace r1 {

namespace {
constexpr int64_t kFlushTokens = 1 << 20;
constexpr int64_t kFlushRecords = 1 << 14;
constexpr int64_t kTokenChunk = 1 << 16;   // elements per HDF5 chunk of a token column
constexpr int64_t kRecordChunk = 1 << 12;  // elements per chunk of an offsets or string column

using dataset_h5::ColumnType;
using dataset_h5::ColumnWriter;

// One ragged token column: the tokens and the end offset of each record, buffered until flushed.
struct TokenColumn {
  std::unique_ptr<ColumnWriter> tokens, offsets;
  std::vector<int32_t> token_buffer;
  std::vector<int64_t> offset_buffer;
  int64_t total_tokens = 0;

  TokenColumn(hid_t file, const char* tokens_name, const char* offsets_name, const std::string& where)
      : tokens(std::make_unique<ColumnWriter>(file, tokens_name, ColumnType::i32, kTokenChunk, where)),
        offsets(std::make_unique<ColumnWriter>(file, offsets_name, ColumnType::i64, kRecordChunk, where)) {
    const int64_t zero = 0;
    offsets->append(&zero, 1);
  }
  void add(const std::vector<int32_t>& ids) {
    token_buffer.insert(token_buffer.end(), ids.begin(), ids.end());
    total_tokens += int64_t(ids.size());
    offset_buffer.push_back(total_tokens);
  }
  void flush() {
    tokens->append(token_buffer.data(), int64_t(token_buffer.size()));
    offsets->append(offset_buffer.data(), int64_t(offset_buffer.size()));
    token_buffer.clear();
    offset_buffer.clear();
  }
};

struct StringColumn {
  std::unique_ptr<ColumnWriter> column;
  std::vector<std::string> buffer;
  StringColumn(hid_t file, const char* name, const std::string& where)
      : column(std::make_unique<ColumnWriter>(file, name, ColumnType::string, kRecordChunk, where)) {}
  void flush() {
    column->append(buffer);
    buffer.clear();
  }
};

void check_text(const std::string& text, const char* column, int64_t row) {
  R1_CHECK(text.find('\0') == std::string::npos, "dataset writer: ", column, " of record ", row,
           " contains a NUL character (strings are stored NUL-terminated)");
}

}  // namespace

struct DatasetWriter::State {
  std::string path, tmp_path;
  DatasetAttributes attributes;
  h5::File file;
  std::unique_ptr<TokenColumn> prompts, responses;
  std::unique_ptr<StringColumn> question, gold, solution, source_id;
  int64_t records = 0, buffered_records = 0, buffered_tokens = 0;
  bool committed = false;

  void check_tokens(const std::vector<int32_t>& ids, const char* column) const {
    for (int32_t id : ids)
      R1_CHECK(id >= 0 && id < attributes.tokenizer.vocab_size, "dataset writer: ", column, " of record ", records,
               " holds token id ", id, " outside [0, ", attributes.tokenizer.vocab_size, ")");
  }

  void flush() {
    for (TokenColumn* c : {prompts.get(), responses.get()})
      if (c) c->flush();
    for (StringColumn* c : {question.get(), gold.get(), solution.get(), source_id.get()})
      if (c) c->flush();
    buffered_records = buffered_tokens = 0;
  }

  void close_all() {
    prompts.reset();
    responses.reset();
    question.reset();
    gold.reset();
    solution.reset();
    source_id.reset();
    file.reset();
  }
};

DatasetWriter::DatasetWriter(const std::string& path, const DatasetAttributes& attributes)
    : state_(std::make_unique<State>()) {
  namespace fs = std::filesystem;
  using namespace dataset_layout;
  State& s = *state_;
  s.path = path;
  s.tmp_path = path + ".tmp";
  s.attributes = attributes;
  R1_CHECK(attributes.tokenizer.vocab_size > 0, "dataset writer: ", path, ": tokenizer vocab_size must be positive");
  fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  R1_INPUT_CHECK(parent.empty() || fs::is_directory(parent, ec), path, ": cannot write: folder ", parent.string(),
                 " does not exist");
  h5::h5_quiet();
  h5::PropertyList access = dataset_h5::file_access(s.tmp_path);
  hid_t file = H5Fcreate(s.tmp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.id());
  if (file < 0) {
    std::string stack = h5::error_stack_text();
    H5Eclear2(H5E_DEFAULT);
    throw InputError(s.tmp_path + ": cannot create (" + stack + ")");
  }
  s.file = h5::File(file);
  write_attributes(file, attributes, s.tmp_path);
  if (kind_has_prompts(attributes.kind))
    s.prompts = std::make_unique<TokenColumn>(file, kPromptTokens, kPromptOffsets, s.tmp_path);
  if (kind_has_responses(attributes.kind))
    s.responses = std::make_unique<TokenColumn>(file, kResponseTokens, kResponseOffsets, s.tmp_path);
  if (kind_has_question_and_gold(attributes.kind)) {
    s.question = std::make_unique<StringColumn>(file, kQuestion, s.tmp_path);
    s.gold = std::make_unique<StringColumn>(file, kGold, s.tmp_path);
  }
  if (kind_has_solution(attributes.kind)) s.solution = std::make_unique<StringColumn>(file, kSolution, s.tmp_path);
  s.source_id = std::make_unique<StringColumn>(file, kSourceId, s.tmp_path);
}

DatasetWriter::~DatasetWriter() {
  if (!state_ || state_->committed) return;
  state_->close_all();
  std::remove(state_->tmp_path.c_str());
}

int64_t DatasetWriter::size() const { return state_->records; }

void DatasetWriter::append(const DatasetRecord& r) {
  State& s = *state_;
  R1_CHECK(!s.committed, "dataset writer: ", s.path, ": append after commit");
  const DatasetKind kind = s.attributes.kind;
  R1_CHECK(s.prompts || r.prompt.empty(), "dataset writer: a ", dataset_kind_name(kind), " record has no prompt tokens");
  R1_CHECK(s.responses || r.response.empty(), "dataset writer: a ", dataset_kind_name(kind),
           " record has no response tokens");
  R1_CHECK(s.question || (r.question.empty() && r.gold.empty()), "dataset writer: a ", dataset_kind_name(kind),
           " record has no question or gold text");
  R1_CHECK(s.solution || r.solution.empty(), "dataset writer: a ", dataset_kind_name(kind), " record has no solution");
  check_text(r.question, "question", s.records);
  check_text(r.gold, "gold", s.records);
  check_text(r.solution, "solution", s.records);
  check_text(r.source_id, "source_id", s.records);
  if (s.prompts) {
    s.check_tokens(r.prompt, "prompt");
    s.prompts->add(r.prompt);
  }
  if (s.responses) {
    s.check_tokens(r.response, "response");
    s.responses->add(r.response);
  }
  if (s.question) {
    s.question->buffer.push_back(r.question);
    s.gold->buffer.push_back(r.gold);
  }
  if (s.solution) s.solution->buffer.push_back(r.solution);
  s.source_id->buffer.push_back(r.source_id);
  ++s.records;
  ++s.buffered_records;
  s.buffered_tokens += int64_t(r.prompt.size() + r.response.size());
  if (s.buffered_tokens >= kFlushTokens || s.buffered_records >= kFlushRecords) s.flush();
}

void DatasetWriter::commit() {
  State& s = *state_;
  R1_CHECK(!s.committed, "dataset writer: ", s.path, ": committed twice");
  s.flush();
  dataset_h5::write_attribute(s.file.id(), dataset_layout::kRecordCount, s.records, s.tmp_path);
  s.prompts.reset();
  s.responses.reset();
  s.question.reset();
  s.gold.reset();
  s.solution.reset();
  s.source_id.reset();
  H5_CHECK(s.file.reset(), s.tmp_path);
  std::error_code ec;
  std::filesystem::rename(s.tmp_path, s.path, ec);
  R1_INPUT_CHECK(!ec, s.path, ": cannot rename ", s.tmp_path, " into place: ", ec.message());
  s.committed = true;
}

void write_dataset(const std::string& path, const DatasetAttributes& attributes,
                   const std::vector<DatasetRecord>& records) {
  DatasetWriter writer(path, attributes);
  for (const DatasetRecord& r : records) writer.append(r);
  writer.commit();
}

}  // namespace r1
