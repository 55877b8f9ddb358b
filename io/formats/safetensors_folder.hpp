// Hugging Face weight folders: either one `model.safetensors`, or shards
// `model-0000i-of-0000n.safetensors` listed by `model.safetensors.index.json`
// ({"metadata": {"total_size": N}, "weight_map": {tensor: shard file}}). Reading validates the index
// (shard names are plain file names, every listed tensor is in its shard) and every shard header.
// Writing splits tensors into shards exactly as huggingface_hub's split_state_dict_into_shards does
// (in the given order, a new shard when the next tensor would exceed max_shard_bytes, a tensor
// larger than the limit alone in its own shard) and stamps each file with {"format": "pt"}, which
// transformers requires.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/formats/safetensors.hpp"

namespace r1 {

inline constexpr const char* kSafetensorsSingleFile = "model.safetensors";
inline constexpr const char* kSafetensorsIndexFile = "model.safetensors.index.json";
inline constexpr uint64_t kDefaultMaxShardBytes = 5'000'000'000;  // huggingface_hub's 5GB

class SafetensorsFolder {
 public:
  // `folder` holds model.safetensors.index.json (sharded) or model.safetensors; InputError otherwise.
  static SafetensorsFolder open(const std::string& folder);

  const std::string& folder() const { return folder_; }
  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const { return shard_of_.count(name) > 0; }
  const SafetensorsEntry& entry(const std::string& name) const;
  const SafetensorsFile& file_of(const std::string& name) const;
  Tensor read(const std::string& name) const;
  Tensor read_rows(const std::string& name, int64_t begin, int64_t end) const;

 private:
  std::string folder_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t> shard_of_;  // tensor -> index into files_
};

struct SafetensorsTensor {
  std::string name;
  Tensor tensor;
  std::optional<SafetensorsDType> stored;  // default: the tensor's dtype
  // Instead of `tensor`: its shape, `stored` (required) and a function making the host tensor when
  // its shard is written, so a folder larger than memory is written one tensor at a time.
  Shape shape = {};
  std::function<Tensor()> produce = {};
};

// Writes `tensors` into `folder` (created if missing): model.safetensors when they fit in one shard,
// else shards plus the index (its "metadata" holds total_size and `metadata`). Returns the files
// written, index last.
std::vector<std::string> write_safetensors_folder(const std::string& folder, const std::vector<SafetensorsTensor>& tensors,
                                                  uint64_t max_shard_bytes = kDefaultMaxShardBytes,
                                                  const std::map<std::string, std::string>& metadata = {});

}  // namespace r1
