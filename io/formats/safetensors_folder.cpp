// Single-file and sharded safetensors folders (see safetensors_folder.hpp).
#include "io/formats/safetensors_folder.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace r1 {

namespace fs = std::filesystem;

SafetensorsFolder SafetensorsFolder::open(const std::string& folder) {
  SafetensorsFolder f;
  f.folder_ = folder;
  const fs::path index_path = fs::path(folder) / kSafetensorsIndexFile;
  const fs::path single_path = fs::path(folder) / kSafetensorsSingleFile;
  std::error_code ec;
  if (!fs::exists(index_path, ec)) {
    R1_INPUT_CHECK(fs::exists(single_path, ec), folder, ": holds neither ", kSafetensorsIndexFile, " nor ",
                   kSafetensorsSingleFile);
    f.files_.push_back(SafetensorsFile::open(single_path.string()));
    for (const SafetensorsEntry& e : f.files_[0].entries()) f.shard_of_[e.name] = 0;
    return f;
  }
  const std::string where = index_path.string();
  std::ifstream in(index_path);
  R1_INPUT_CHECK(in, where, ": cannot open");
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(where + ": not valid JSON: " + e.what());
  }
  R1_INPUT_CHECK(index.is_object() && index.contains("weight_map") && index["weight_map"].is_object(), where,
                 ": field 'weight_map' is missing or not an object");
  std::map<std::string, size_t> file_index;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    R1_INPUT_CHECK(it->is_string(), where, ": weight_map entry of '", it.key(), "' is not a file name");
    const std::string shard = it->get<std::string>();
    R1_INPUT_CHECK(!shard.empty() && fs::path(shard).filename() == shard && shard != "." && shard != "..", where,
                   ": weight_map entry of '", it.key(), "' ('", shard, "') must be a file name inside the folder");
    auto found = file_index.find(shard);
    if (found == file_index.end()) {
      const fs::path shard_path = fs::path(folder) / shard;
      R1_INPUT_CHECK(fs::exists(shard_path, ec), where, ": shard '", shard, "' (holding '", it.key(),
                     "') does not exist");
      found = file_index.emplace(shard, f.files_.size()).first;
      f.files_.push_back(SafetensorsFile::open(shard_path.string()));
    }
    R1_INPUT_CHECK(f.files_[found->second].find(it.key()) != nullptr, where, ": tensor '", it.key(),
                   "' is mapped to '", shard, "' but that shard has no such tensor");
    f.shard_of_[it.key()] = found->second;
  }
  return f;
}

std::vector<std::string> SafetensorsFolder::names() const {
  std::vector<std::string> out;
  for (const auto& [name, shard] : shard_of_) out.push_back(name);
  return out;
}

const SafetensorsFile& SafetensorsFolder::file_of(const std::string& name) const {
  auto it = shard_of_.find(name);
  R1_INPUT_CHECK(it != shard_of_.end(), folder_, ": no tensor named '", name, "'");
  return files_[it->second];
}

const SafetensorsEntry& SafetensorsFolder::entry(const std::string& name) const { return file_of(name).entry(name); }
Tensor SafetensorsFolder::read(const std::string& name) const { return file_of(name).read(name); }
Tensor SafetensorsFolder::read_rows(const std::string& name, int64_t begin, int64_t end) const {
  return file_of(name).read_rows(name, begin, end);
}

std::vector<std::string> write_safetensors_folder(const std::string& folder, const std::vector<SafetensorsTensor>& tensors,
                                                  uint64_t max_shard_bytes,
                                                  const std::map<std::string, std::string>& metadata) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  R1_INPUT_CHECK(fs::is_directory(folder, ec), folder, ": cannot create the folder");
  std::set<std::string> names;
  for (const SafetensorsTensor& t : tensors)
    R1_CHECK(names.insert(t.name).second, "safetensors folder: tensor '", t.name, "' given twice");
  // Shards as lists of tensor indices, split like huggingface_hub.split_state_dict_into_shards_factory.
  std::vector<std::vector<size_t>> shards;
  std::vector<size_t> current;
  uint64_t current_bytes = 0, total_bytes = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const SafetensorsTensor& t = tensors[i];
    R1_CHECK(!t.produce || t.stored, "safetensors folder: tensor '", t.name,
             "' is produced later and needs its stored type");
    const SafetensorsDType stored = t.produce ? *t.stored : t.stored.value_or(safetensors_dtype_of(t.tensor.dtype()));
    const int64_t numel = t.produce ? shape_numel(t.shape) : t.tensor.numel();
    const uint64_t bytes = uint64_t(numel) * safetensors_dtype_size(stored);
    total_bytes += bytes;
    if (bytes > max_shard_bytes) {
      shards.push_back({i});
      continue;
    }
    if (current_bytes + bytes > max_shard_bytes) {
      shards.push_back(std::move(current));
      current.clear();
      current_bytes = 0;
    }
    current.push_back(i);
    current_bytes += bytes;
  }
  if (!current.empty()) shards.push_back(std::move(current));

  std::vector<std::string> written;
  auto write_shard = [&](const std::vector<size_t>& members, const std::string& file_name,
                         const std::map<std::string, std::string>& file_metadata) {
    SafetensorsWriter writer;
    for (size_t i : members) {
      const SafetensorsTensor& t = tensors[i];
      if (t.produce) writer.add(t.name, t.shape, *t.stored, t.produce);
      else writer.add(t.name, t.tensor, t.stored);
    }
    writer.set_metadata(file_metadata);
    const std::string path = (fs::path(folder) / file_name).string();
    writer.write(path);
    written.push_back(path);
  };
  std::map<std::string, std::string> file_metadata = {{"format", "pt"}};
  if (shards.size() <= 1) {
    for (const auto& [k, v] : metadata) file_metadata[k] = v;
    write_shard(shards.empty() ? std::vector<size_t>{} : shards[0], kSafetensorsSingleFile, file_metadata);
    return written;
  }
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  char name[64];
  for (size_t s = 0; s < shards.size(); ++s) {
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
    write_shard(shards[s], name, file_metadata);
    for (size_t i : shards[s]) weight_map[tensors[i].name] = name;
  }
  nlohmann::ordered_json index_metadata = {{"total_size", total_bytes}};
  for (const auto& [k, v] : metadata) index_metadata[k] = v;
  nlohmann::ordered_json index = {{"metadata", index_metadata}, {"weight_map", weight_map}};
  const std::string index_path = (fs::path(folder) / kSafetensorsIndexFile).string();
  {
    std::ofstream out(index_path + ".tmp");
    R1_INPUT_CHECK(out, index_path, ".tmp: cannot create");
    out << index.dump(2);
    out.close();
    R1_INPUT_CHECK(out, index_path, ".tmp: write failed");
  }
  fs::rename(index_path + ".tmp", index_path, ec);
  R1_INPUT_CHECK(!ec, index_path, ": cannot rename into place: ", ec.message());
  written.push_back(index_path);
  return written;
}

}  // namespace r1
