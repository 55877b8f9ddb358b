// safetensors files (the Hugging Face weight format): an 8-byte little-endian header length, a JSON
// header {"__metadata__": {str: str}, NAME: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
// padded with spaces to a multiple of 8 bytes, then the data area. Element types F32, F64, BF16,
// F16, I32, I64 (io/formats/safetensors_dtype.hpp; F16 is converted to f32 on reading).
//
// SafetensorsFile validates the header on open as the reference implementation does — header
// inside the file, well-formed JSON object, known dtypes, each tensor's byte size equal to
// numel x dtype size, tensors inside the data area, not overlapping and covering it without gaps —
// and reads tensors (or row ranges of dimension 0) with pread. Any violation throws InputError
// naming the file and the tensor or field.
//
// SafetensorsWriter writes what the reference implementation writes for the same tensors, byte for
// byte: tensors ordered by dtype (I64, F64, F32, I32, BF16, F16) then name, compact JSON header,
// space padding.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "io/formats/safetensors_dtype.hpp"

namespace r1 {

struct SafetensorsEntry {
  std::string name;
  SafetensorsDType dtype = SafetensorsDType::F32;
  Shape shape;
  uint64_t data_begin = 0, data_end = 0;  // byte offsets within the data area
  int64_t numel() const { return shape_numel(shape); }
};

class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::string& path);
  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }  // sorted by name
  const SafetensorsEntry* find(const std::string& name) const;               // nullptr when absent
  const SafetensorsEntry& entry(const std::string& name) const;              // InputError when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The whole tensor as a host tensor of dtype tensor_dtype_on_read(entry.dtype).
  Tensor read(const std::string& name) const;
  // Rows [begin, end) of dimension 0 (the tensor must have at least one dimension).
  Tensor read_rows(const std::string& name, int64_t begin, int64_t end) const;

 private:
  SafetensorsFile() = default;
  void read_bytes(uint64_t file_offset, uint64_t bytes, void* out) const;

  std::string path_;
  int fd_ = -1;
  uint64_t data_start_ = 0;  // 8 + header length
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

class SafetensorsWriter {
 public:
  // Adds a host tensor, stored as `stored` (default: its own dtype; see encode_safetensors_bytes).
  // The tensor is encoded when write() runs; keep it unchanged until then.
  void add(const std::string& name, const Tensor& tensor, std::optional<SafetensorsDType> stored = std::nullopt);
  // A tensor made by `produce` (a host tensor of `shape`) when write() reaches it, and dropped after:
  // write() then holds one tensor at a time.
  void add(const std::string& name, const Shape& shape, SafetensorsDType stored, std::function<Tensor()> produce);
  void set_metadata(std::map<std::string, std::string> metadata) { metadata_ = std::move(metadata); }
  // Bytes of the data area (sum of the stored tensor sizes).
  uint64_t data_bytes() const;
  // Writes `path`.tmp and renames it to `path`.
  void write(const std::string& path) const;
  // The header JSON (unpadded) write() would produce.
  std::string header_json() const;

 private:
  struct Item {
    std::string name;
    Tensor tensor;
    SafetensorsDType stored;
    Shape shape;
    std::function<Tensor()> produce;
  };
  std::vector<Item> ordered_items() const;

  std::vector<Item> items_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace r1
