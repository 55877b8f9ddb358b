// One rank's share of a Hugging Face folder's weights (see hf_rank_weights.hpp).
#include "io/hf/hf_rank_weights.hpp"

#include <unordered_map>

#include "core/error.hpp"

namespace r1 {

namespace {

bool is_vocabulary_matrix(const std::string& name) {
  return name == "model.embed_tokens.weight" || name == "lm_head.weight";
}

// `values` [rows, d] into the first rows of a [model_rows, d] tensor; the other rows are the mean row.
Tensor grow_rows(const Tensor& values, int64_t model_rows) {
  const int64_t rows = values.shape()[0], d = values.shape()[1];
  Tensor out = Tensor::empty({model_rows, d}, DType::f32);
  const float* src = values.data<float>();
  float* dst = out.data<float>();
  std::vector<double> mean(size_t(d), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < d; ++j) {
      dst[r * d + j] = src[r * d + j];
      mean[size_t(j)] += double(src[r * d + j]);
    }
  for (int64_t r = rows; r < model_rows; ++r)
    for (int64_t j = 0; j < d; ++j) dst[r * d + j] = float(mean[size_t(j)] / double(rows));
  return out;
}

void copy_into(const Tensor& f32_values, const Tensor& dst) {
  Tensor host = Tensor::empty(f32_values.shape(), dst.dtype());
  const float* src = f32_values.data<float>();
  for (int64_t i = 0; i < f32_values.numel(); ++i) {
    switch (dst.dtype()) {
      case DType::f32: host.data<float>()[i] = src[i]; break;
      case DType::f64: host.data<double>()[i] = double(src[i]); break;
      case DType::bf16: host.data<bf16>()[i] = bf16(src[i]); break;
      default: throw Error("load_hf_rank_weights: parameters must be floating point, got " + dst.describe());
    }
  }
  Tensor view = dst;
  view.copy_from(host);
}

}  // namespace

void load_hf_rank_weights(const HfModelSource& source, Model& model, const Comm& comm, VocabularyGrowth growth) {
  std::string mine;
  const auto& copies = source.dropped_copies();
  for (size_t i = 0; i < copies.size(); ++i)
    if (int(i % size_t(comm.size())) == comm.rank())
      if (std::string reason = source.check_copy(copies[i]); !reason.empty()) mine += "\n  " + reason;
  std::string all;
  for (const std::string& part : comm.allgather_strings(mine)) all += part;
  if (!all.empty()) throw InputError(source.folder() + ": cannot load the weights:" + all);

  std::unordered_map<std::string, const HfParam*> imported;
  for (const HfParam& p : source.parameters()) imported[p.name] = &p;
  ParamStore& store = model.params();
  std::vector<std::string> problems;
  for (const ParamInfo& p : store.params()) {
    auto it = imported.find(p.name);
    if (it == imported.end()) {
      problems.push_back(p.name + ": not in the folder's weights");
      continue;
    }
    const Shape& have = it->second->shape;
    const bool grows = growth == VocabularyGrowth::grow && is_vocabulary_matrix(p.name) && have.size() == 2 &&
                       p.shape.size() == 2 && have[1] == p.shape[1] && have[0] <= p.shape[0];
    if (have != p.shape && !grows)
      problems.push_back(p.name + ": folder " + shape_str(have) + ", model " + shape_str(p.shape));
  }
  std::string local_problems;
  for (size_t i = 0; i < problems.size() && i < 40; ++i) local_problems += "\n  " + problems[i];
  std::string every;
  for (const std::string& part : comm.allgather_strings(local_problems)) every += part;
  if (!every.empty()) throw InputError(source.folder() + ": the weights do not fit the model:" + every);

  for (const ParamInfo& p : store.params()) {
    const HfParam& hp = *imported.at(p.name);
    Tensor values = source.read(hp);  // f32 [hp.shape]
    if (hp.shape != p.shape) values = grow_rows(values, p.shape[0]);
    copy_into(values, store.value(store.find(p.name)));
  }
  store.refresh_weights();
}

}  // namespace r1
