// Dataset file attributes: one scalar HDF5 attribute per field of DatasetAttributes.
#include "io/formats/dataset_attributes.hpp"

#include "core/error.hpp"
#include "io/formats/dataset_h5.hpp"

namespace r1::dataset_layout {

void write_attributes(hid_t file, const DatasetAttributes& a, const std::string& where) {
  using dataset_h5::write_attribute;
  write_attribute(file, "format_version", a.format_version, where);
  write_attribute(file, "kind", std::string(dataset_kind_name(a.kind)), where);
  write_attribute(file, "tokenizer_sha256", a.tokenizer.sha256, where);
  write_attribute(file, "tokenizer_vocab_size", a.tokenizer.vocab_size, where);
  write_attribute(file, "chat_template", a.chat_template, where);
  write_attribute(file, "source_path", a.source_path, where);
  write_attribute(file, "source_bytes", a.source_bytes, where);
  write_attribute(file, "source_sha256", a.source_sha256, where);
  write_attribute(file, "created_by", a.created_by, where);
}

DatasetAttributes read_attributes(hid_t file, const std::string& where) {
  using dataset_h5::read_int_attribute;
  using dataset_h5::read_string_attribute;
  DatasetAttributes a;
  a.format_version = read_int_attribute(file, "format_version", where);
  R1_INPUT_CHECK(a.format_version == kDatasetFormatVersion, where, ": dataset format version ", a.format_version,
                 " is not supported (this build reads version ", kDatasetFormatVersion, "); re-import the data");
  a.kind = parse_dataset_kind(read_string_attribute(file, "kind", where), where + " @kind");
  a.tokenizer.sha256 = read_string_attribute(file, "tokenizer_sha256", where);
  a.tokenizer.vocab_size = read_int_attribute(file, "tokenizer_vocab_size", where);
  R1_INPUT_CHECK(a.tokenizer.vocab_size > 0, where, ": attribute 'tokenizer_vocab_size' must be positive, got ",
                 a.tokenizer.vocab_size);
  a.chat_template = read_string_attribute(file, "chat_template", where);
  a.source_path = read_string_attribute(file, "source_path", where);
  a.source_bytes = read_int_attribute(file, "source_bytes", where);
  a.source_sha256 = read_string_attribute(file, "source_sha256", where);
  a.created_by = read_string_attribute(file, "created_by", where);
  R1_INPUT_CHECK(dataset_h5::has_attribute(file, kRecordCount), where, ": attribute '", kRecordCount,
                 "' is missing (the file was not completely written)");
  a.record_count = read_int_attribute(file, kRecordCount, where);
  R1_INPUT_CHECK(a.record_count >= 0, where, ": attribute '", kRecordCount, "' is negative");
  return a;
}

}  // namespace r1::dataset_layout
