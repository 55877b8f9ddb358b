// Names of the objects in a dataset file and the reading/writing of its file attributes (private to
// io/dataset_*; the layout is described in io/formats/dataset_file.hpp and docs/formats.md).
#pragma once
#include <hdf5.h>

#include <string>

#include "io/formats/dataset_file.hpp"

namespace r1::dataset_layout {

inline constexpr const char* kPromptTokens = "prompt_tokens";
inline constexpr const char* kPromptOffsets = "prompt_offsets";
inline constexpr const char* kResponseTokens = "response_tokens";
inline constexpr const char* kResponseOffsets = "response_offsets";
inline constexpr const char* kQuestion = "question";
inline constexpr const char* kGold = "gold";
inline constexpr const char* kSolution = "solution";
inline constexpr const char* kSourceId = "source_id";
inline constexpr const char* kRecordCount = "record_count";

// Writes every attribute except record_count (written last, on commit).
void write_attributes(hid_t file, const DatasetAttributes& attributes, const std::string& where);
// Reads and checks all attributes (format version, kind); throws InputError naming `where`.
DatasetAttributes read_attributes(hid_t file, const std::string& where);

}  // namespace r1::dataset_layout
