// Hugging Face folder -> r1 weights: into a model in memory, or into an r1 checkpoint file written
// collectively (see hf_checkpoint_import.hpp).
#include "io/hf/hf_checkpoint_import.hpp"

#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/config_yaml.hpp"
#include "core/error.hpp"
#include "io/checkpoint/checkpoint_file.hpp"

namespace r1 {

namespace {

// Checks the copies with index % ranks == rank; every rank gets every failure (same InputError).
void check_dropped_copies(const HfModelSource& source, int rank, int ranks, const Comm* comm) {
  std::string mine;
  const auto& copies = source.dropped_copies();
  for (size_t i = 0; i < copies.size(); ++i) {
    if (int(i % size_t(ranks)) != rank) continue;
    std::string reason = source.check_copy(copies[i]);
    if (!reason.empty()) mine += "\n  " + reason;
  }
  std::string all = mine;
  if (comm) {
    all.clear();
    for (const std::string& part : comm->allgather_strings(mine)) all += part;
  }
  if (!all.empty()) throw InputError(source.folder() + ": cannot import the weights:" + all);
}

}  // namespace

void load_hf_weights(const HfModelSource& source, Model& model) {
  ParamStore& store = model.params();
  std::unordered_map<std::string, const HfParam*> imported;
  for (const HfParam& p : source.parameters()) imported[p.name] = &p;
  std::vector<std::string> problems;
  for (const ParamInfo& p : store.params()) {
    auto it = imported.find(p.name);
    if (it == imported.end()) problems.push_back(p.name + ": not in the imported parameter set");
    else if (it->second->shape != p.shape)
      problems.push_back(p.name + ": imported " + shape_str(it->second->shape) + ", model " + shape_str(p.shape));
  }
  if (store.params().size() != source.parameters().size())
    problems.push_back("the model has " + std::to_string(store.params().size()) + " parameters, the import " +
                       std::to_string(source.parameters().size()));
  if (!problems.empty()) {
    std::string msg = source.folder() + ": the model does not match the imported config:";
    for (size_t i = 0; i < problems.size() && i < 40; ++i) msg += "\n  " + problems[i];
    throw InputError(msg);
  }
  check_dropped_copies(source, 0, 1, nullptr);
  for (const HfParam& p : source.parameters()) {
    Tensor values = source.read(p);  // f32 [shape]
    const Tensor& dst = store.value(store.find(p.name));
    Tensor host = Tensor::empty(p.shape, dst.dtype());
    const float* src = values.data<float>();
    for (int64_t i = 0; i < values.numel(); ++i) {
      switch (dst.dtype()) {
        case DType::f32: host.data<float>()[i] = src[i]; break;
        case DType::f64: host.data<double>()[i] = double(src[i]); break;
        case DType::bf16: host.data<bf16>()[i] = bf16(src[i]); break;
        default: throw Error("load_hf_weights: parameters must be floating point, got " + dst.describe());
      }
    }
    Tensor view = dst;
    view.copy_from(host);
  }
}

HfImportSummary import_hf_model(const std::string& hf_dir, const std::string& out_checkpoint_path, const Comm& comm) {
  HfModelSource source = HfModelSource::open(hf_dir);
  check_dropped_copies(source, comm.rank(), comm.size(), &comm);

  HfImportSummary summary;
  summary.config = source.config();
  summary.notes = source.notes();
  CheckpointWriter writer(out_checkpoint_path, comm);
  const auto& params = source.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    const HfParam& p = params[i];
    Tensor local;
    if (int(i % size_t(comm.size())) == comm.rank()) local = source.read(p);
    writer.write("/model/" + p.name, p.shape, DType::f32, 0, local);
    summary.tensors += 1;
    summary.parameters += shape_numel(p.shape);
  }
  ModelConfig config = source.config();
  nlohmann::ordered_json stored = nlohmann::ordered_json::object();
  for (const auto& [dtype, count] : source.stored_dtypes()) stored[dtype] = count;
  nlohmann::ordered_json state = {{"version", R1_VERSION},
                                  {"imported_from", hf_dir},
                                  {"architecture", to_string(config.architecture)},
                                  {"torch_dtype", source.torch_dtype()},
                                  {"stored_dtypes", stored},
                                  {"tensors", summary.tensors},
                                  {"parameters", summary.parameters},
                                  {"notes", source.notes()},
                                  {"ignored_config_keys", source.ignored_config_keys()}};
  writer.write_string("/state/json", state.dump(2));
  writer.write_string("/state/model_config", write_config(config));
  writer.set_attribute("/", "program_version", R1_VERSION);
  writer.commit();
  return summary;
}

}  // namespace r1
