// ParamStore implementation.
#include "model/param_store.hpp"

#include <thread>

#include "core/rng.hpp"
#include "kernels/ops.hpp"

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

void ParamStore::allocate(DType dtype, Device device, DType compute) {
  values_ = Tensor::zeros({total_}, dtype, device);
  grads_ = Tensor::zeros({total_}, dtype, device);
  weights_ = compute == dtype ? values_ : Tensor::zeros({total_}, compute, device);
  value_views_.clear();
  grad_views_.clear();
  weight_views_.clear();
  for (auto& p : params_) {
    value_views_.push_back(values_.flat(p.offset, p.shape));
    grad_views_.push_back(grads_.flat(p.offset, p.shape));
    weight_views_.push_back(weights_.flat(p.offset, p.shape));
  }
}

void ParamStore::refresh_weights() {
  if (separate_weights() && total_ > 0) ops::convert(values_, weights_);
}


void ParamStore::initialize(uint64_t seed, double init_std) {
  R1_CHECK(allocated(), "initialize before allocate");
  // Drawn on the host into the master dtype, element by element from (seed, name, index) streams:
  // independent of how the work is split, so large tensors are filled by several threads.
  Tensor host = values_.is_host() ? values_ : Tensor::empty({total_}, values_.dtype());
  auto fill = [&](const ParamInfo& p, int64_t begin, int64_t end) {
    const uint64_t key = hash_words({seed, hash_string(p.name)});
    for (int64_t i = begin; i < end; ++i) {
      double v = p.init == ParamInit::normal ? normal_at(key, uint64_t(i)) * init_std : p.init == ParamInit::ones ? 1.0 : 0.0;
      switch (host.dtype()) {
        case DType::f32: host.data<float>()[p.offset + i] = float(v); break;
        case DType::f64: host.data<double>()[p.offset + i] = v; break;
        case DType::bf16: host.data<bf16>()[p.offset + i] = bf16(float(v)); break;
        default: throw Error("ParamStore: parameters must be floating point");
      }
    }
  };
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>(16, std::thread::hardware_concurrency()));
  for (const ParamInfo& p : params_) {
    if (p.numel < (int64_t(1) << 22) || threads == 1) {
      fill(p, 0, p.numel);
      continue;
    }
    std::vector<std::thread> pool;
    for (int64_t t = 0; t < threads; ++t)
      pool.emplace_back(fill, std::cref(p), p.numel * t / threads, p.numel * (t + 1) / threads);
    for (auto& th : pool) th.join();
  }
  if (!values_.is_host()) values_.copy_from(host);
  refresh_weights();
}

static Tensor span_of(const Tensor& flat, const std::vector<ParamInfo>& ps, int first, int last, const Shape& shape) {
  R1_CHECK(first >= 0 && last >= first && last < int(ps.size()), "span [", first, ", ", last, "]");
  int64_t n = ps[size_t(last)].offset + ps[size_t(last)].numel - ps[size_t(first)].offset;
  R1_CHECK(shape_numel(shape) == n, "span of ", ps[size_t(first)].name, "..", ps[size_t(last)].name, " has ", n,
           " elements, not ", shape_str(shape));
  return flat.flat(ps[size_t(first)].offset, shape);
}

Tensor ParamStore::weight_span(int first, int last, const Shape& shape) const {
  return span_of(weights_, params_, first, last, shape);
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
