// Tensor: a typed, shaped, contiguous (row-major) view into an owning buffer on a device.
// Tensors are cheap handles (shared ownership of the buffer), like PyTorch's. Views are reshapes
// and ranges of the flat element sequence (rows of dim 0, or `flat` sub-ranges used by the flat
// parameter buffer); there are no strided views: kernels take explicit row strides where they need
// them (e.g. RoPE on a slice of each head). Memory on `Device::cuda` comes from an allocator the
// CUDA backend registers at start, so this header needs no CUDA and stays C++17-clean.
#pragma once
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"

namespace r1 {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);

// Bytes owned on one device. Freed through the device's allocator when the last Tensor drops it.
class Storage {
 public:
  Storage(size_t bytes, Device device);
  Storage(void* external, size_t bytes, Device device);  // non-owning wrap
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* ptr() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  Device device_ = Device::host;
  bool owning_ = true;
};

// Allocation and copy hooks for non-host devices (set by the CUDA backend at initialisation).
struct DeviceHooks {
  void* (*alloc)(size_t bytes) = nullptr;
  void (*free)(void* ptr) = nullptr;
  // kind: 0 host->device, 1 device->host, 2 device->device
  void (*copy)(void* dst, const void* src, size_t bytes, int kind) = nullptr;
  void (*memset_zero)(void* ptr, size_t bytes) = nullptr;
};
void set_device_hooks(Device device, const DeviceHooks& hooks);
const DeviceHooks& device_hooks(Device device);

class Tensor {
 public:
  Tensor() = default;

  static Tensor empty(const Shape& shape, DType dtype, Device device = Device::host);
  static Tensor zeros(const Shape& shape, DType dtype, Device device = Device::host);
  // Non-owning view of caller memory; the caller keeps it alive.
  static Tensor wrap(void* ptr, const Shape& shape, DType dtype, Device device = Device::host);
  template <class T>
  static Tensor from_vector(const std::vector<T>& v, const Shape& shape = {}) {
    Tensor t = empty(shape.empty() ? Shape{int64_t(v.size())} : shape, dtype_of<T>::value);
    R1_CHECK(t.numel() == int64_t(v.size()), "from_vector: ", v.size(), " values for shape ", shape_str(t.shape()));
    std::copy(v.begin(), v.end(), t.data<T>());
    return t;
  }

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  bool is_host() const { return device_ == Device::host; }
  const Shape& shape() const { return shape_; }
  int64_t ndim() const { return int64_t(shape_.size()); }
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return size_t(numel_) * dtype_size(dtype_); }
  // Rows and columns when viewed as a matrix [numel / last, last].
  int64_t rows() const { return ndim() == 0 ? 1 : numel_ / std::max<int64_t>(1, shape_.back()); }
  int64_t cols() const { return ndim() == 0 ? 1 : shape_.back(); }

  void* raw() const;
  template <class T>
  T* data() const {
    R1_CHECK(dtype_ == dtype_of<T>::value, "tensor holds ", dtype_name(dtype_), ", accessed as ",
             dtype_name(dtype_of<T>::value));
    return static_cast<T*>(raw());
  }

  // Same elements, new shape (one dim may be -1).
  Tensor view(const Shape& shape) const;
  // Rows [begin, end) of dim 0.
  Tensor slice(int64_t begin, int64_t end) const;
  // Elements [offset, offset + numel(shape)) of the flat sequence, viewed as `shape`.
  Tensor flat(int64_t offset, const Shape& shape) const;

  Tensor clone() const;
  Tensor to(Device device) const;
  void zero_();
  void copy_from(const Tensor& src);  // same dtype and numel, any devices

  std::string describe() const;  // "f32[4, 8]@host"
  bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }

 private:
  std::shared_ptr<Storage> storage_;
  size_t offset_bytes_ = 0;
  DType dtype_ = DType::f32;
  Device device_ = Device::host;
  Shape shape_;
  int64_t numel_ = 0;
};

// Host copies of a tensor's values (converting bf16/f32/f64 to the requested floating type).
std::vector<double> to_f64_vector(const Tensor& t);
std::vector<float> to_f32_vector(const Tensor& t);

}  // namespace r1
