// Tensor and Storage implementation: aligned host allocation, device hooks, views and copies.
#include "core/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace r1 {

namespace {
DeviceHooks g_cuda_hooks;
constexpr size_t kHostAlignment = 64;

const DeviceHooks& require_hooks(Device device) {
  const DeviceHooks& h = device_hooks(device);
  if (!h.alloc) throw Error(std::string("no allocator for device ") + device_name(device) + " (built without CUDA, or the CUDA backend was not initialised)");
  return h;
}
}  // namespace

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    R1_CHECK(d >= 0, "negative dimension in shape ", shape_str(s));
    n *= d;
  }
  return n;
}

void set_device_hooks(Device device, const DeviceHooks& hooks) {
  R1_CHECK(device == Device::cuda, "hooks are only for non-host devices");
  g_cuda_hooks = hooks;
}

const DeviceHooks& device_hooks(Device device) {
  static DeviceHooks none;
  return device == Device::cuda ? g_cuda_hooks : none;
}

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (bytes == 0) return;
  if (device == Device::host) {
    size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
    ptr_ = std::aligned_alloc(kHostAlignment, rounded);
    if (!ptr_) throw Error("host allocation of " + std::to_string(bytes) + " bytes failed");
  } else {
    ptr_ = require_hooks(device).alloc(bytes);
  }
}

Storage::Storage(void* external, size_t bytes, Device device)
    : ptr_(external), bytes_(bytes), device_(device), owning_(false) {}

Storage::~Storage() {
  if (!owning_ || !ptr_) return;
  if (device_ == Device::host) std::free(ptr_);
  else if (device_hooks(device_).free) device_hooks(device_).free(ptr_);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  Tensor t;
  t.shape_ = shape;
  t.numel_ = shape_numel(shape);
  t.dtype_ = dtype;
  t.device_ = device;
  t.storage_ = std::make_shared<Storage>(t.nbytes(), device);
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.zero_();
  return t;
}

Tensor Tensor::wrap(void* ptr, const Shape& shape, DType dtype, Device device) {
  Tensor t;
  t.shape_ = shape;
  t.numel_ = shape_numel(shape);
  t.dtype_ = dtype;
  t.device_ = device;
  t.storage_ = std::make_shared<Storage>(ptr, t.nbytes(), device);
  return t;
}

int64_t Tensor::size(int64_t dim) const {
  int64_t n = ndim();
  if (dim < 0) dim += n;
  R1_CHECK(dim >= 0 && dim < n, "dim ", dim, " out of range for ", describe());
  return shape_[size_t(dim)];
}

void* Tensor::raw() const {
  if (!storage_) return nullptr;
  return static_cast<char*>(storage_->ptr()) + offset_bytes_;
}

Tensor Tensor::view(const Shape& shape) const {
  Shape s = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      R1_CHECK(infer < 0, "view: more than one -1 in ", shape_str(shape));
      infer = int64_t(i);
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) {
    R1_CHECK(known > 0 && numel_ % known == 0, "view: cannot infer ", shape_str(shape), " from ", describe());
    s[size_t(infer)] = numel_ / known;
  }
  R1_CHECK(shape_numel(s) == numel_, "view: ", shape_str(s), " does not match ", describe());
  Tensor t = *this;
  t.shape_ = s;
  return t;
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
  R1_CHECK(ndim() >= 1 && begin >= 0 && begin <= end && end <= shape_[0], "slice [", begin, ", ", end, ") of ", describe());
  int64_t row = shape_[0] ? numel_ / shape_[0] : 0;
  Tensor t = *this;
  t.shape_[0] = end - begin;
  t.numel_ = row * (end - begin);
  t.offset_bytes_ += size_t(begin * row) * dtype_size(dtype_);
  return t;
}

Tensor Tensor::flat(int64_t offset, const Shape& shape) const {
  int64_t n = shape_numel(shape);
  R1_CHECK(offset >= 0 && offset + n <= numel_, "flat(", offset, ", ", shape_str(shape), ") of ", describe());
  Tensor t = *this;
  t.shape_ = shape;
  t.numel_ = n;
  t.offset_bytes_ += size_t(offset) * dtype_size(dtype_);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_, dtype_, device_);
  t.copy_from(*this);
  return t;
}

Tensor Tensor::to(Device device) const {
  Tensor t = empty(shape_, dtype_, device);
  t.copy_from(*this);
  return t;
}

void Tensor::zero_() {
  if (nbytes() == 0) return;
  if (device_ == Device::host) std::memset(raw(), 0, nbytes());
  else require_hooks(device_).memset_zero(raw(), nbytes());
}

void Tensor::copy_from(const Tensor& src) {
  R1_CHECK(src.dtype_ == dtype_ && src.numel_ == numel_, "copy_from: ", src.describe(), " into ", describe());
  if (nbytes() == 0 || raw() == src.raw()) return;
  if (device_ == Device::host && src.device_ == Device::host) {
    std::memmove(raw(), src.raw(), nbytes());
    return;
  }
  int kind = src.device_ == Device::host ? 0 : (device_ == Device::host ? 1 : 2);
  require_hooks(Device::cuda).copy(raw(), src.raw(), nbytes(), kind);
}

std::string Tensor::describe() const {
  std::ostringstream os;
  os << dtype_name(dtype_) << shape_str(shape_) << "@" << device_name(device_);
  return os.str();
}

template <class Out>
static std::vector<Out> to_vector_as(const Tensor& t_in) {
  Tensor t = t_in.is_host() ? t_in : t_in.to(Device::host);
  std::vector<Out> out(size_t(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (t.dtype()) {
      case DType::f32: out[size_t(i)] = Out(t.data<float>()[i]); break;
      case DType::f64: out[size_t(i)] = Out(t.data<double>()[i]); break;
      case DType::bf16: out[size_t(i)] = Out(float(t.data<bf16>()[i])); break;
      case DType::i32: out[size_t(i)] = Out(t.data<int32_t>()[i]); break;
      case DType::i64: out[size_t(i)] = Out(t.data<int64_t>()[i]); break;
      case DType::u8: out[size_t(i)] = Out(t.data<uint8_t>()[i]); break;
    }
  }
  return out;
}

std::vector<double> to_f64_vector(const Tensor& t) { return to_vector_as<double>(t); }
std::vector<float> to_f32_vector(const Tensor& t) { return to_vector_as<float>(t); }

}  // namespace r1
