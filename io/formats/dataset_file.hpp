// Token dataset files: one HDF5 file per dataset, records stored column-wise so that any rank can
// read any subset of rows without reading the rest. Layout (docs/formats.md, "Dataset files"):
//   /prompt_tokens   int32 [P]    all prompts' token ids, concatenated    (prompt-answer, sft)
//   /prompt_offsets  int64 [N+1]  record i's prompt is prompt_tokens[offsets[i], offsets[i+1])
//   /response_tokens, /response_offsets                                   (sft, pretrain)
//   /question, /gold, /solution, /source_id  variable-length UTF-8 strings [N] (per kind, below)
//   file attributes: format_version, kind, tokenizer_sha256, tokenizer_vocab_size, chat_template,
//   source_path, source_bytes, source_sha256, record_count, created_by.
// The writer writes FILE.tmp and renames it on commit, so a failed write never leaves or clobbers
// FILE. The reader validates the file on open and every span it reads; problems throw InputError
// naming the file and the dataset.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace r1 {

inline constexpr int64_t kDatasetFormatVersion = 1;

// prompt-answer: prompts with a gold answer (RL, evaluation); sft: prompt/response pairs;
// pretrain: documents (stored as responses; no prompt).
enum class DatasetKind { prompt_answer, sft, pretrain };
const char* dataset_kind_name(DatasetKind kind);  // "prompt-answer" | "sft" | "pretrain"
// Throws InputError naming `where` for an unknown name.
DatasetKind parse_dataset_kind(const std::string& name, const std::string& where);

// Which columns a kind stores.
bool kind_has_prompts(DatasetKind kind);
bool kind_has_responses(DatasetKind kind);
bool kind_has_question_and_gold(DatasetKind kind);
bool kind_has_solution(DatasetKind kind);

// The identity of the tokenizer that produced a file's token ids (io/formats/dataset_tokenizer_identity.hpp
// computes it from an r1::Tokenizer).
struct TokenizerIdentity {
  std::string sha256;      // hex digest over vocabulary, merges, added tokens and pre-tokenizer
  int64_t vocab_size = 0;  // largest id + 1
  bool operator==(const TokenizerIdentity&) const = default;
};

struct DatasetAttributes {
  int64_t format_version = kDatasetFormatVersion;
  DatasetKind kind = DatasetKind::prompt_answer;
  TokenizerIdentity tokenizer;
  std::string chat_template;   // name of the template prompts were formatted with ("compact"), or ""
  std::string source_path;     // the file the records came from, as given to the importer
  int64_t source_bytes = 0;    // its size
  std::string source_sha256;   // its SHA-256, hex
  int64_t record_count = 0;    // set by the writer on commit
  std::string created_by;      // "r1 <version>"
};

// One record. Mirrors r1::Example (src/rl/data/example.hpp) plus the text columns; io cannot
// include src/rl, so the caller converts.
struct DatasetRecord {
  int64_t id = 0;                 // row index in the file
  std::vector<int32_t> prompt;    // empty when the kind has no prompts
  std::vector<int32_t> response;  // empty when the kind has no responses
  std::string question, gold;     // problem text and reference answer (prompt-answer, sft)
  std::string solution;           // worked reference solution (prompt-answer), possibly ""
  std::string source_id;          // the record's id in its source (e.g. "test/algebra/1.json", "test.jsonl:17")
};

class DatasetWriter {
 public:
  // Creates `path`.tmp; attributes (all but record_count) are written now.
  DatasetWriter(const std::string& path, const DatasetAttributes& attributes);
  ~DatasetWriter();  // without commit(): the .tmp file is removed
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Appends a record (its id is ignored: rows are numbered in append order). Token ids must lie in
  // [0, tokenizer.vocab_size) and the record must have exactly the kind's token columns.
  void append(const DatasetRecord& record);
  int64_t size() const;
  // Flushes, writes record_count, closes and renames `path`.tmp to `path`.
  void commit();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Writes `records` to `path` in one go (through `path`.tmp).
void write_dataset(const std::string& path, const DatasetAttributes& attributes,
                   const std::vector<DatasetRecord>& records);

struct DatasetOpenOptions {
  // When set, the file's tokenizer must be this one (else InputError naming both).
  const TokenizerIdentity* expected_tokenizer = nullptr;
  // Scan all offsets on open (monotone, within the token column). Reads are checked either way; a
  // scan costs 8 bytes per record and catches a corrupt file before training starts.
  bool scan_offsets = true;
};

class DatasetReader {
 public:
  // Opens and validates `path` (see DatasetOpenOptions). Every rank may open the same file.
  static DatasetReader open(const std::string& path, const DatasetOpenOptions& options = {});
  DatasetReader(DatasetReader&&) noexcept;
  DatasetReader& operator=(DatasetReader&&) noexcept;
  ~DatasetReader();

  const std::string& path() const;
  const DatasetAttributes& attributes() const;
  int64_t size() const;  // records
  bool has_prompts() const;
  bool has_responses() const;

  // Records [begin, end): hyperslab reads of the offsets, then of the token spans and strings.
  std::vector<DatasetRecord> read_rows(int64_t begin, int64_t end) const;
  // Records with the given row ids, in the given order (repeats allowed): point reads of the
  // offsets and strings and one read of the union of the token spans.
  std::vector<DatasetRecord> read_records(const std::vector<int64_t>& ids) const;
  // Offsets of rows [begin, end] (end - begin + 1 values; lengths without reading tokens). Empty
  // when the kind has no such column.
  std::vector<int64_t> prompt_offsets(int64_t begin, int64_t end) const;
  std::vector<int64_t> response_offsets(int64_t begin, int64_t end) const;

 private:
  struct State;
  explicit DatasetReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Rows [begin, end) of `records` for rank `rank` of `ranks`: contiguous, sizes differing by at most
// one, in rank order.
std::pair<int64_t, int64_t> rank_row_range(int64_t records, int rank, int ranks);

}  // namespace r1
