// ParamStore implementation.
#include "model/param_store.hpp"

#include "core/rng.hpp"

namespace r1 {

int ParamStore::declare(const std::string& name, const Shape& shape, ParamInit init, bool decay, ParamGroup group,
                        bool trainable) {
  R1_CHECK(!allocated(), "declare(", name, ") after allocate");
  R1_CHECK(!index_.count(name), "parameter declared twice: ", name);
  ParamInfo p;
  p.name = name;
  p.shape = shape;
  p.offset = total_;
  p.numel = shape_numel(shape);
  p.init = init;
  p.decay = decay;
  p.group = group;
  p.trainable = trainable;
  total_ += p.numel;
  index_[name] = int(params_.size());
  params_.push_back(p);
  return int(params_.size()) - 1;
}

void ParamStore::allocate(DType dtype, Device device) {
  values_ = Tensor::zeros({total_}, dtype, device);
  grads_ = Tensor::zeros({total_}, dtype, device);
  value_views_.clear();
  grad_views_.clear();
  for (auto& p : params_) {
    value_views_.push_back(values_.flat(p.offset, p.shape));
    grad_views_.push_back(grads_.flat(p.offset, p.shape));
  }
}

void ParamStore::initialize(uint64_t seed, double init_std) {
  R1_CHECK(allocated(), "initialize before allocate");
  Tensor host = Tensor::empty({total_}, DType::f64);
  double* h = host.data<double>();
  for (auto& p : params_) {
    uint64_t key = hash_words({seed, hash_string(p.name)});
    for (int64_t i = 0; i < p.numel; ++i) {
      double v = 0;
      if (p.init == ParamInit::normal) v = normal_at(key, uint64_t(i)) * init_std;
      else if (p.init == ParamInit::ones) v = 1.0;
      h[p.offset + i] = v;
    }
  }
  Tensor dst_host = values_.is_host() ? values_ : Tensor::empty({total_}, values_.dtype());
  for (int64_t i = 0; i < total_; ++i) {
    switch (dst_host.dtype()) {
      case DType::f32: dst_host.data<float>()[i] = float(h[i]); break;
      case DType::f64: dst_host.data<double>()[i] = h[i]; break;
      case DType::bf16: dst_host.data<bf16>()[i] = bf16(float(h[i])); break;
      default: throw Error("ParamStore: parameters must be floating point");
    }
  }
  if (!values_.is_host()) values_.copy_from(dst_host);
}

static Tensor span_of(const Tensor& flat, const std::vector<ParamInfo>& ps, int first, int last, const Shape& shape) {
  R1_CHECK(first >= 0 && last >= first && last < int(ps.size()), "span [", first, ", ", last, "]");
  int64_t n = ps[size_t(last)].offset + ps[size_t(last)].numel - ps[size_t(first)].offset;
  R1_CHECK(shape_numel(shape) == n, "span of ", ps[size_t(first)].name, "..", ps[size_t(last)].name, " has ", n,
           " elements, not ", shape_str(shape));
  return flat.flat(ps[size_t(first)].offset, shape);
}

Tensor ParamStore::value_span(int first, int last, const Shape& shape) const {
  return span_of(values_, params_, first, last, shape);
}
Tensor ParamStore::grad_span(int first, int last, const Shape& shape) const {
  return span_of(grads_, params_, first, last, shape);
}

int ParamStore::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

std::vector<ops::ParamSegment> ParamStore::optimizer_segments() const {
  std::vector<ops::ParamSegment> out;
  for (auto& p : params_) {
    if (!p.trainable || p.numel == 0) continue;
    if (!out.empty() && out.back().decay == p.decay && out.back().offset + out.back().size == p.offset)
      out.back().size += p.numel;
    else
      out.push_back({p.offset, p.numel, p.decay});
  }
  return out;
}

}  // namespace r1
