// Parameter tensors in checkpoint files.
#include "io/checkpoint/model_tensors.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace r1 {

namespace {
// Name -> (owner rank, global shape) over the whole communicator, in name order.
struct GlobalTensor {
  int owner = -1;
  Shape shape;
};

std::map<std::string, GlobalTensor> union_of_params(const ParamStore& store, const Comm& comm) {
  std::ostringstream mine;
  for (const ParamInfo& p : store.params()) {
    mine << p.name << ' ' << p.shape.size();
    for (int64_t d : p.shape) mine << ' ' << d;
    mine << '\n';
  }
  std::map<std::string, GlobalTensor> all;
  std::vector<std::string> per_rank = comm.allgather_strings(mine.str());
  for (int r = 0; r < int(per_rank.size()); ++r) {
    std::istringstream in(per_rank[size_t(r)]);
    std::string name;
    size_t nd = 0;
    while (in >> name >> nd) {
      Shape s(nd);
      for (auto& d : s) in >> d;
      auto [it, inserted] = all.try_emplace(name, GlobalTensor{r, s});
      R1_CHECK(inserted || it->second.shape == s, "parameter ", name, " has shape ", shape_str(s), " on rank ", r, " but ",
               shape_str(it->second.shape), " on rank ", it->second.owner);
    }
  }
  return all;
}

Tensor host_f32(const Tensor& t) {
  Tensor h = t.is_host() ? t : t.to(Device::host);
  if (h.dtype() == DType::f32) return h;
  Tensor out = Tensor::empty(h.shape(), DType::f32);
  auto v = to_f64_vector(h);
  for (int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] = float(v[size_t(i)]);
  return out;
}
}  // namespace

void write_param_tensors(CheckpointWriter& writer, const ParamStore& store, const Tensor& flat, const std::string& group,
                         const Comm& comm) {
  for (const auto& [name, g] : union_of_params(store, comm)) {
    Tensor local;
    if (g.owner == comm.rank()) {
      const ParamInfo& p = store.params()[size_t(store.find(name))];
      local = host_f32(flat.flat(p.offset, p.shape));
      if (local.ndim() == 0) local = local.view({1});
    }
    writer.write("/" + group + "/" + name, g.shape, DType::f32, 0, local);
  }
}

std::vector<std::string> param_shape_differences(const CheckpointReader& reader, const ParamStore& store,
                                                 const std::string& group) {
  std::vector<std::string> diffs;
  for (const ParamInfo& p : store.params()) {
    auto info = reader.find("/" + group + "/" + p.name);
    if (!info) diffs.push_back(p.name + ": missing in the checkpoint (model has " + shape_str(p.shape) + ")");
    else if (info->shape != p.shape)
      diffs.push_back(p.name + ": checkpoint " + shape_str(info->shape) + ", model " + shape_str(p.shape));
  }
  return diffs;
}

void read_param_tensors(const CheckpointReader& reader, const ParamStore& store, Tensor& flat, const std::string& group,
                        const Comm& comm) {
  std::vector<std::string> diffs = param_shape_differences(reader, store, group);
  int64_t bad = comm.allreduce(int64_t(diffs.size()), ReduceOp::max);
  if (bad > 0) {
    std::string msg = reader.path() + ": the checkpoint's /" + group + " does not match the model (" +
                      std::to_string(diffs.size()) + " tensors differ on this rank)";
    for (size_t i = 0; i < diffs.size() && i < 40; ++i) msg += "\n  " + diffs[i];
    if (diffs.size() > 40) msg += "\n  ... and " + std::to_string(diffs.size() - 40) + " more";
    if (diffs.empty()) msg = reader.path() + ": the checkpoint's /" + group + " does not match the model on another rank";
    throw InputError(msg);
  }
  Tensor host = flat.is_host() ? flat : Tensor::empty(flat.shape(), flat.dtype());
  for (const auto& [name, g] : union_of_params(store, comm)) {
    int id = store.find(name);
    int64_t rows = id >= 0 ? (g.shape.empty() ? 1 : g.shape[0]) : 0;
    Tensor data = reader.read_rows("/" + group + "/" + name, 0, rows);
    if (id < 0) continue;
    const ParamInfo& p = store.params()[size_t(id)];
    Tensor dst = host.flat(p.offset, p.shape);
    auto v = to_f64_vector(data);
    for (int64_t i = 0; i < p.numel; ++i) {
      if (dst.dtype() == DType::f32) dst.data<float>()[i] = float(v[size_t(i)]);
      else if (dst.dtype() == DType::f64) dst.data<double>()[i] = v[size_t(i)];
      else throw Error("read_param_tensors: unsupported parameter dtype " + dst.describe());
    }
  }
  if (!flat.is_host()) flat.copy_from(host);
}

}  // namespace r1
