// JSONL → dataset file import (see data_import.hpp).
#include "cli/data_import.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <set>

#include "core/error.hpp"
#include "io/formats/dataset_file.hpp"
#include "io/formats/dataset_tokenizer_identity.hpp"
#include "io/formats/jsonl.hpp"
#include "io/formats/sha256.hpp"
#include "rl/chat_template.hpp"

namespace r1::cli {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kProgressSeconds = 2.0;

std::string line_name(const std::string& path, int64_t line) { return path + ":" + std::to_string(line); }

std::string fallback_source_id(const std::string& path, int64_t line) {
  return std::filesystem::path(path).filename().string() + ":" + std::to_string(line);
}

std::string format_duration(double seconds) {
  int64_t s = int64_t(seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
  else
    std::snprintf(text, sizeof text, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
  return text;
}

// Prints "N/TOTAL records (R/s, ETA ...)" at most every kProgressSeconds.
class ProgressMeter {
 public:
  ProgressMeter(std::ostream* out, int64_t total) : out_(out), total_(total), start_(Clock::now()), last_(start_) {}
  void tick(int64_t done) {
    if (!out_) return;
    auto now = Clock::now();
    if (std::chrono::duration<double>(now - last_).count() < kProgressSeconds) return;
    last_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double rate = double(done) / std::max(elapsed, 1e-9);
    *out_ << "r1 data import: " << done << "/" << total_ << " records (" << int64_t(rate) << "/s, ETA "
          << format_duration(double(total_ - done) / std::max(rate, 1e-9)) << ")\n";
    out_->flush();
  }

 private:
  std::ostream* out_;
  int64_t total_;
  Clock::time_point start_, last_;
};

DatasetKind dataset_kind_of(ImportKind kind) {
  return import_kind_is_sft(kind) ? DatasetKind::sft : DatasetKind::prompt_answer;
}

}  // namespace

ImportReport import_dataset(const ImportOptions& options, const Tokenizer& tokenizer, std::ostream* progress) {
  const std::string& in = options.input;
  R1_INPUT_CHECK(!options.output.empty(), "r1 data import: no output file given");
  for (const std::string& token : options.prompt_template.required_tokens())
    R1_INPUT_CHECK(tokenizer.token_id(token) >= 0, "r1 data import: template '", options.prompt_template.spec(),
                   "' writes the token ", token, ", which the tokenizer lacks (use --template hf or r1_zero with a "
                   "pretrained tokenizer)");

  // Pass 1: parse and check every line.
  ImportReport report;
  std::set<int64_t> bad_lines;
  auto reject = [&](int64_t line, const std::string& reason) {
    std::string message = line_name(in, line) + ": " + reason;
    if (options.on_error == OnError::fail) throw InputError(message);
    bad_lines.insert(line);
    ++report.skipped;
    if (report.skipped_examples.size() < kMaxListedSkips) report.skipped_examples.push_back(message);
  };
  ImportedText text;
  read_jsonl(
      in,
      [&](const nlohmann::json& record, int64_t line) {
        ++report.lines;
        if (auto reason = extract_record(options.kind, record, options.fields, fallback_source_id(in, line), text))
          reject(line, *reason);
      },
      [&](int64_t line, const std::string& reason) {
        ++report.lines;
        reject(line, reason);
      });
  const int64_t total = report.lines - report.skipped;
  R1_INPUT_CHECK(total > 0, in, ": no records to import (", report.lines, " non-empty lines, ", report.skipped,
                 " malformed)");

  // Pass 2: tokenise and write.
  DatasetAttributes attributes;
  attributes.kind = dataset_kind_of(options.kind);
  attributes.tokenizer = tokenizer_identity(tokenizer);
  attributes.chat_template = options.prompt_template.spec();
  attributes.source_path = in;
  attributes.source_sha256 = sha256_file_hex(in, &attributes.source_bytes);
  attributes.created_by = std::string("r1 ") + R1_VERSION;
  DatasetWriter writer(options.output, attributes);
  ProgressMeter meter(progress, total);
  DatasetRecord record;
  read_jsonl(
      in,
      [&](const nlohmann::json& json, int64_t line) {
        if (bad_lines.count(line)) return;
        auto reason = extract_record(options.kind, json, options.fields, fallback_source_id(in, line), text);
        R1_CHECK(!reason, line_name(in, line), ": accepted in the first pass, rejected in the second: ", *reason);
        record.question = text.question;
        record.gold = text.gold;
        record.solution = text.solution;
        record.source_id = text.source_id;
        record.prompt = tokenizer.encode(options.prompt_template.prompt(text.question));
        record.response.clear();
        if (import_kind_is_sft(options.kind)) {
          std::string response = text.response;
          const std::string& end = options.prompt_template.end_of_response();
          if (!response.ends_with(end)) response += end;
          record.response = tokenizer.encode(response);
        }
        report.prompt_tokens += int64_t(record.prompt.size());
        report.response_tokens += int64_t(record.response.size());
        writer.append(record);
        meter.tick(writer.size());
      },
      [](int64_t, const std::string&) {});
  R1_CHECK(writer.size() == total, in, ": wrote ", writer.size(), " records, expected ", total);
  writer.commit();
  report.records = total;
  return report;
}

}  // namespace r1::cli
