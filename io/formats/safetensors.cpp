// safetensors reading (header validation, pread) and writing (see safetensors.hpp).
#include "io/formats/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace r1 {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr const char* kMetadataKey = "__metadata__";

std::string tensor_where(const std::string& path, const std::string& name) { return path + ": tensor '" + name + "'"; }

// A non-negative JSON integer, or nullopt.
std::optional<uint64_t> as_count(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return uint64_t(j.get<int64_t>());
  return std::nullopt;
}

SafetensorsEntry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& j) {
  const std::string where = tensor_where(path, name);
  R1_INPUT_CHECK(j.is_object(), where, ": header entry is not an object");
  SafetensorsEntry e;
  e.name = name;
  auto dtype = j.find("dtype");
  R1_INPUT_CHECK(dtype != j.end() && dtype->is_string(), where, ": field 'dtype' is missing or not a string");
  auto parsed = parse_safetensors_dtype(dtype->get<std::string>());
  R1_INPUT_CHECK(parsed.has_value(), where, ": dtype '", dtype->get<std::string>(),
                 "' is not supported (supported: F32, F64, BF16, F16, F8_E4M3, I32, I64)");
  e.dtype = *parsed;
  auto shape = j.find("shape");
  R1_INPUT_CHECK(shape != j.end() && shape->is_array(), where, ": field 'shape' is missing or not a list");
  uint64_t numel = 1;
  for (const nlohmann::json& d : *shape) {
    auto dim = as_count(d);
    R1_INPUT_CHECK(dim.has_value(), where, ": field 'shape' must hold non-negative integers, got ", shape->dump());
    R1_INPUT_CHECK(*dim == 0 || numel <= UINT64_MAX / *dim, where, ": shape ", shape->dump(),
                   " is too large");
    numel *= *dim;
    e.shape.push_back(int64_t(*dim));
  }
  auto offsets = j.find("data_offsets");
  R1_INPUT_CHECK(offsets != j.end() && offsets->is_array() && offsets->size() == 2, where,
                 ": field 'data_offsets' must be a list [begin, end]");
  auto begin = as_count((*offsets)[0]), end = as_count((*offsets)[1]);
  R1_INPUT_CHECK(begin && end && *begin <= *end, where, ": data_offsets ", offsets->dump(),
                 " must be non-negative integers with begin <= end");
  e.data_begin = *begin;
  e.data_end = *end;
  const uint64_t element = safetensors_dtype_size(e.dtype);
  R1_INPUT_CHECK(numel <= UINT64_MAX / element && numel * element == e.data_end - e.data_begin, where,
                 ": data_offsets ", offsets->dump(), " hold ", e.data_end - e.data_begin, " bytes but shape ",
                 shape->dump(), " of ", safetensors_dtype_name(e.dtype), " needs ", numel, " x ", element, " bytes");
  return e;
}

// Tensors must lie inside the data area and cover it exactly, without overlaps or gaps.
void check_layout(const std::string& path, const std::vector<SafetensorsEntry>& entries, uint64_t data_bytes) {
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
    return a->data_begin != b->data_begin ? a->data_begin < b->data_begin : a->data_end < b->data_end;
  });
  uint64_t covered = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry* e : by_offset) {
    const std::string where = tensor_where(path, e->name);
    R1_INPUT_CHECK(e->data_end <= data_bytes, where, ": data_offsets [", e->data_begin, ", ", e->data_end,
                   "] lie outside the data area of ", data_bytes, " bytes");
    R1_INPUT_CHECK(e->data_begin >= covered, where, ": data_offsets [", e->data_begin, ", ", e->data_end,
                   "] overlap tensor '", previous ? previous->name : "", "' (which ends at ", covered, ")");
    R1_INPUT_CHECK(e->data_begin == covered, where, ": data_offsets [", e->data_begin, ", ", e->data_end,
                   "] leave a gap of ", e->data_begin - covered, " bytes after ",
                   previous ? "tensor '" + previous->name + "'" : std::string("the start of the data area"));
    covered = e->data_end;
    previous = e;
  }
  R1_INPUT_CHECK(covered == data_bytes, path, ": the data area holds ", data_bytes, " bytes but the tensors cover ",
                 covered);
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  f.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  R1_INPUT_CHECK(f.fd_ >= 0, path, ": cannot open: ", std::strerror(errno));
  struct stat st {};
  R1_INPUT_CHECK(::fstat(f.fd_, &st) == 0, path, ": cannot stat: ", std::strerror(errno));
  const uint64_t file_bytes = uint64_t(st.st_size);
  R1_INPUT_CHECK(file_bytes >= 8, path, ": ", file_bytes, " bytes is too short for a safetensors file");
  unsigned char length_bytes[8];
  f.read_bytes(0, 8, length_bytes);
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | length_bytes[i];
  R1_INPUT_CHECK(header_bytes <= file_bytes - 8, path, ": header length ", header_bytes,
                 " exceeds the file (", file_bytes, " bytes)");
  R1_INPUT_CHECK(header_bytes <= kMaxHeaderBytes, path, ": header length ", header_bytes, " exceeds the limit of ",
                 kMaxHeaderBytes, " bytes");
  std::string header(size_t(header_bytes), '\0');
  f.read_bytes(8, header_bytes, header.data());
  R1_INPUT_CHECK(!header.empty() && header[0] == '{', path, ": header does not start with '{'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path + ": header is not valid JSON: " + e.what());
  }
  R1_INPUT_CHECK(j.is_object(), path, ": header is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == kMetadataKey) {
      R1_INPUT_CHECK(it->is_object() || it->is_null(), path, ": ", kMetadataKey, " must be an object");
      if (it->is_null()) continue;
      for (auto m = it->begin(); m != it->end(); ++m) {
        R1_INPUT_CHECK(m->is_string(), path, ": ", kMetadataKey, " value of '", m.key(), "' is not a string");
        f.metadata_[m.key()] = m->get<std::string>();
      }
      continue;
    }
    f.entries_.push_back(parse_entry(path, it.key(), *it));
  }
  f.data_start_ = 8 + header_bytes;
  check_layout(path, f.entries_, file_bytes - f.data_start_);
  std::sort(f.entries_.begin(), f.entries_.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return f;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      data_start_(other.data_start_),
      entries_(std::move(other.entries_)),
      metadata_(std::move(other.metadata_)) {}

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    data_start_ = other.data_start_;
    entries_ = std::move(other.entries_);
    metadata_ = std::move(other.metadata_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() {
  if (fd_ >= 0) ::close(fd_);
}

void SafetensorsFile::read_bytes(uint64_t file_offset, uint64_t bytes, void* out) const {
  auto* p = static_cast<char*>(out);
  while (bytes > 0) {
    ssize_t got = ::pread(fd_, p, size_t(std::min<uint64_t>(bytes, 1ull << 30)), off_t(file_offset));
    if (got < 0 && errno == EINTR) continue;
    R1_INPUT_CHECK(got > 0, path_, ": read failed at byte ", file_offset, ": ",
                   got == 0 ? "unexpected end of file" : std::strerror(errno));
    p += got;
    file_offset += uint64_t(got);
    bytes -= uint64_t(got);
  }
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const SafetensorsEntry& e, const std::string& n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  const SafetensorsEntry* e = find(name);
  R1_INPUT_CHECK(e, path_, ": no tensor named '", name, "'");
  return *e;
}

// Elements stored as the tensor type they are read into are read straight into the tensor (no
// second copy of a large tensor in memory); F16 and F8_E4M3 are converted from a byte buffer.
namespace {
bool stored_as_read(SafetensorsDType t) { return t != SafetensorsDType::F16 && t != SafetensorsDType::F8_E4M3; }
}  // namespace

Tensor SafetensorsFile::read(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  const size_t size = size_t(e.data_end - e.data_begin);
  if (stored_as_read(e.dtype)) {
    Tensor t = Tensor::empty(e.shape, tensor_dtype_on_read(e.dtype));
    if (size > 0) read_bytes(data_start_ + e.data_begin, size, t.raw());
    return t;
  }
  std::string bytes(size, '\0');
  read_bytes(data_start_ + e.data_begin, bytes.size(), bytes.data());
  return decode_safetensors_bytes(bytes.data(), e.dtype, e.shape);
}

Tensor SafetensorsFile::read_rows(const std::string& name, int64_t begin, int64_t end) const {
  const SafetensorsEntry& e = entry(name);
  R1_CHECK(!e.shape.empty(), tensor_where(path_, name), ": read_rows on a scalar");
  R1_CHECK(begin >= 0 && begin <= end && end <= e.shape[0], tensor_where(path_, name), ": rows [", begin, ", ", end,
           ") outside [0, ", e.shape[0], ")");
  Shape shape = e.shape;
  shape[0] = end - begin;
  const uint64_t row_bytes = uint64_t(shape_numel(Shape(e.shape.begin() + 1, e.shape.end()))) *
                             safetensors_dtype_size(e.dtype);
  const uint64_t offset = data_start_ + e.data_begin + row_bytes * uint64_t(begin);
  if (stored_as_read(e.dtype)) {
    Tensor t = Tensor::empty(shape, tensor_dtype_on_read(e.dtype));
    if (end > begin) read_bytes(offset, row_bytes * uint64_t(end - begin), t.raw());
    return t;
  }
  std::string bytes(size_t(row_bytes * uint64_t(end - begin)), '\0');
  read_bytes(offset, bytes.size(), bytes.data());
  return decode_safetensors_bytes(bytes.data(), e.dtype, shape);
}

void SafetensorsWriter::add(const std::string& name, const Tensor& tensor, std::optional<SafetensorsDType> stored) {
  R1_CHECK(name != kMetadataKey && !name.empty(), "safetensors: invalid tensor name '", name, "'");
  for (const Item& i : items_) R1_CHECK(i.name != name, "safetensors: tensor '", name, "' added twice");
  R1_CHECK(tensor.defined() && tensor.is_host(), "safetensors: tensor '", name, "' must be a defined host tensor");
  items_.push_back({name, tensor, stored.value_or(safetensors_dtype_of(tensor.dtype())), tensor.shape(), {}});
}

void SafetensorsWriter::add(const std::string& name, const Shape& shape, SafetensorsDType stored,
                            std::function<Tensor()> produce) {
  R1_CHECK(name != kMetadataKey && !name.empty(), "safetensors: invalid tensor name '", name, "'");
  for (const Item& i : items_) R1_CHECK(i.name != name, "safetensors: tensor '", name, "' added twice");
  R1_CHECK(bool(produce), "safetensors: tensor '", name, "' has no producer");
  items_.push_back({name, Tensor(), stored, shape, std::move(produce)});
}

uint64_t SafetensorsWriter::data_bytes() const {
  uint64_t total = 0;
  for (const Item& i : items_) total += uint64_t(shape_numel(i.shape)) * safetensors_dtype_size(i.stored);
  return total;
}

std::vector<SafetensorsWriter::Item> SafetensorsWriter::ordered_items() const {
  std::vector<Item> items = items_;
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    int ra = safetensors_dtype_rank(a.stored), rb = safetensors_dtype_rank(b.stored);
    return ra != rb ? ra > rb : a.name < b.name;
  });
  return items;
}

std::string SafetensorsWriter::header_json() const {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata_) meta[k] = v;
    header[kMetadataKey] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const Item& i : ordered_items()) {
    uint64_t bytes = uint64_t(shape_numel(i.shape)) * safetensors_dtype_size(i.stored);
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = safetensors_dtype_name(i.stored);
    entry["shape"] = i.shape;
    entry["data_offsets"] = {offset, offset + bytes};
    header[i.name] = std::move(entry);
    offset += bytes;
  }
  return header.dump();
}

void SafetensorsWriter::write(const std::string& path) const {
  std::string header = header_json();
  header.append((8 - header.size() % 8) % 8, ' ');
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    R1_INPUT_CHECK(out, tmp, ": cannot create");
    unsigned char length_bytes[8];
    for (int i = 0; i < 8; ++i) length_bytes[i] = (uint64_t(header.size()) >> (8 * i)) & 0xff;
    out.write(reinterpret_cast<const char*>(length_bytes), 8);
    out.write(header.data(), std::streamsize(header.size()));
    for (const Item& i : ordered_items()) {
      Tensor t = i.tensor.defined() ? i.tensor : i.produce();
      R1_CHECK(t.defined() && t.is_host() && t.shape() == i.shape, "safetensors: tensor '", i.name, "' was produced as ",
               t.defined() ? t.describe() : std::string("undefined"), ", expected a host tensor of ", shape_str(i.shape));
      std::string bytes = encode_safetensors_bytes(t, i.stored);
      t = Tensor();
      out.write(bytes.data(), std::streamsize(bytes.size()));
    }
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw InputError(tmp + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::remove(tmp.c_str());
  R1_INPUT_CHECK(!ec, path, ": cannot rename ", tmp, " into place: ", ec.message());
}

}  // namespace r1
