// ParamStore: every parameter of this rank's model shard lives in one flat value buffer with a
// matching flat gradient buffer (one all-reduce, one optimizer launch, one checkpoint write).
// Modules declare parameters by their Hugging Face name; the store hands out views. Expert weights
// of a layer are declared consecutively so that all experts' gate/up (and down) matrices form one
// contiguous [experts, n, k] block for grouped GEMMs. Initial values depend only on (seed, name,
// element index), so every rank layout starts from the same weights.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/ops_types.hpp"

namespace r1 {

enum class ParamInit { normal, zeros, ones };
// Which replicas hold the same tensor (and all-reduce its gradient): every dp rank (dense), or the
// ranks holding the same experts (expert).
enum class ParamGroup { dense, expert };

struct ParamInfo {
  std::string name;
  Shape shape;
  int64_t offset = 0;  // in elements, into the flat buffers
  int64_t numel = 0;
  ParamInit init = ParamInit::normal;
  bool decay = true;       // weight decay applies
  bool trainable = true;   // updated by the optimizer (false: buffers such as the router bias)
  ParamGroup group = ParamGroup::dense;
};

class ParamStore {
 public:
  int declare(const std::string& name, const Shape& shape, ParamInit init, bool decay,
              ParamGroup group = ParamGroup::dense, bool trainable = true);
  // Master values and gradients in `dtype`; when `compute` differs (bf16 on the GPU), a second flat
  // buffer holds the weights modules compute with, refreshed from the master values by
  // refresh_weights() after every change (init, optimizer step, load).
  void allocate(DType dtype, Device device, DType compute);
  void allocate(DType dtype, Device device) { allocate(dtype, device, dtype); }
  bool allocated() const { return values_.defined(); }
  // Initial values: normal(0, init_std) / zeros / ones, element i of tensor `name` drawn from the
  // stream (seed, name) at index i (global index: shards of one tensor use `global_offset`).
  void initialize(uint64_t seed, double init_std);

  const Tensor& value(int id) const { return value_views_[size_t(id)]; }   // master
  const Tensor& weight(int id) const { return weight_views_[size_t(id)]; } // for compute
  Tensor weight_span(int first, int last, const Shape& shape) const;
  void refresh_weights();
  bool separate_weights() const { return !weights_.same_storage(values_); }
  const Tensor& grad(int id) const { return grad_views_[size_t(id)]; }
  // Values (or grads) of parameters first..last (declared consecutively) as one tensor of `shape`.
  Tensor value_span(int first, int last, const Shape& shape) const;
  Tensor grad_span(int first, int last, const Shape& shape) const;

  Tensor& flat_values() { return values_; }
  Tensor& flat_grads() { return grads_; }
  Tensor& flat_weights() { return weights_; }  // the compute copy (the values themselves when not separate)
  const Tensor& flat_values() const { return values_; }
  const Tensor& flat_grads() const { return grads_; }
  void zero_grads() { grads_.zero_(); }

  const std::vector<ParamInfo>& params() const { return params_; }
  int find(const std::string& name) const;  // -1 when absent
  int64_t numel() const { return total_; }
  // Contiguous trainable ranges with their weight-decay flag, merged where adjacent.
  std::vector<ops::ParamSegment> optimizer_segments() const;

 private:
  std::vector<ParamInfo> params_;
  std::unordered_map<std::string, int> index_;
  std::vector<Tensor> value_views_, grad_views_, weight_views_;
  Tensor values_, grads_, weights_;
  int64_t total_ = 0;
};

}  // namespace r1
