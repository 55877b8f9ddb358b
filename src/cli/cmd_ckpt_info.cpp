// `r1 ckpt info CKPT.h5`: what a checkpoint file holds — format and version, the state summary
// (stage and step of a run checkpoint, or where an imported one came from), the model config in
// brief with its parameter count, and every dataset with shape, element type and bytes.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "core/config_yaml.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "model/model_config.hpp"

namespace r1::cli {

namespace {

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) v /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
  return buf;
}

std::string model_summary(const ModelConfig& c) {
  std::string s = to_string(c.architecture) + ", " + std::to_string(c.num_hidden_layers) + " layers";
  if (c.num_nextn_predict_layers > 0) s += " + " + std::to_string(c.num_nextn_predict_layers) + " MTP";
  s += ", hidden " + std::to_string(c.hidden_size) + ", " + std::to_string(c.num_attention_heads) + " heads";
  if (c.is_mla()) {
    s += " (MLA: q_lora_rank " + (c.q_lora_rank > 0 ? std::to_string(c.q_lora_rank) : std::string("none")) + ", kv_lora_rank " + std::to_string(c.kv_lora_rank) + ")";
  } else if (c.num_key_value_heads != c.num_attention_heads) {
    s += " (" + std::to_string(c.num_key_value_heads) + " kv heads)";
  }
  s += ", vocab " + std::to_string(c.vocab_size);
  if (c.n_routed_experts > 0)
    s += ", MoE " + std::to_string(c.n_routed_experts) + " experts top-" + std::to_string(c.num_experts_per_tok) + " + " +
         std::to_string(c.n_shared_experts) + " shared";
  if (c.tie_word_embeddings) s += ", tied embeddings";
  if (c.rope_scaling.type != RopeScalingType::none) s += ", rope " + to_string(c.rope_scaling.type) + " x" + format_count(c.rope_scaling.factor);
  return s;
}

void print_state(const CheckpointReader& reader) {
  if (!reader.find("/state/json")) {
    std::cout << "  state: (no /state/json)\n";
    return;
  }
  nlohmann::json st;
  try {
    st = nlohmann::json::parse(reader.read_string("/state/json"));
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(reader.path() + ": /state/json is not valid JSON: " + e.what());
  }
  if (st.contains("imported_from")) {
    std::cout << "  state: imported from " << st.value("imported_from", std::string()) << " (torch_dtype "
              << st.value("torch_dtype", std::string("?")) << ")\n";
    if (st.contains("notes"))
      for (const auto& n : st["notes"]) std::cout << "    note: " << n.get<std::string>() << "\n";
    return;
  }
  std::cout << "  state: stage " << st.value("stage_index", int64_t(0)) + 1 << " (" << st.value("stage_name", std::string("?"))
            << "), " << st.value("completed_steps", int64_t(0)) << " steps done in it, global step "
            << st.value("global_step", int64_t(0)) << ", optimizer steps " << st.value("optimizer_steps", int64_t(0)) << "\n"
            << "  holds: optimizer state " << (st.value("has_optimizer", false) ? "yes" : "no") << ", reference model "
            << (st.value("has_reference", false) ? "yes" : "no") << "; model name '" << st.value("model_name", std::string())
            << "'; written by " << st.value("ranks", int64_t(0)) << " rank(s)\n";
}

int ckpt_info(const Args& a, const Comm& world) {
  if (world.rank() != 0) return 0;
  const std::string& path = a.positionals[0];
  CheckpointReader reader(path);
  auto attr = [&](const std::string& key) { return reader.attribute("/", key).value_or("?"); };
  std::cout << path << "\n"
            << "  format: " << attr("r1_format") << ", version " << attr("r1_format_version") << " (written by r1 "
            << attr("program_version") << ", " << attr("r1_writer_ranks") << " rank(s))\n";
  print_state(reader);

  int64_t model_params = 0, model_tensors = 0, total_bytes = 0;
  for (const DatasetInfo& d : reader.datasets()) {
    total_bytes += d.stored_bytes;
    if (d.path.rfind("/model/", 0) == 0 && !d.is_text) {
      model_params += shape_numel(d.shape);
      ++model_tensors;
    }
  }
  if (reader.find("/state/model_config")) {
    ModelConfig mc;
    read_config(ConfigSource{path + ":/state/model_config", reader.read_string("/state/model_config"), {}}, mc);
    std::cout << "  model: " << model_summary(mc) << "\n";
  } else {
    std::cout << "  model: (no /state/model_config)\n";
  }
  std::cout << "  parameters: " << model_params << " (" << format_count(double(model_params)) << ") in " << model_tensors
            << " /model tensors\n";

  size_t width = 0;
  for (const DatasetInfo& d : reader.datasets()) width = std::max(width, d.path.size());
  std::cout << "  datasets: " << reader.datasets().size() << ", " << total_bytes << " bytes (" << human_bytes(total_bytes)
            << ")\n";
  for (const DatasetInfo& d : reader.datasets()) {
    std::string name = d.path;
    name.resize(width, ' ');
    std::string type = d.is_text ? "text" : std::string(dtype_name(d.dtype)) + " " + shape_str(d.shape);
    std::cout << "    " << name << "  " << type << "  " << d.stored_bytes << " B\n";
  }
  return 0;
}

Registrar reg(Command{"ckpt info", "describe an r1 checkpoint file: format, state, model, every dataset",
                      "Prints the format and version, the state summary (stage and steps of a run checkpoint, or the\n"
                      "source of an imported one), the model config in brief, the parameter count of /model, and every\n"
                      "dataset with its element type, shape and stored bytes.",
                      {{"CKPT", "r1 checkpoint file (.h5)"}},
                      {},
                      false,
                      false,
                      ckpt_info});

}  // namespace

}  // namespace r1::cli
