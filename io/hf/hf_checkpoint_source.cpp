// HfModelSource: resolving a Hugging Face folder against the r1 parameter set, and reading and
// converting its tensors (see hf_checkpoint_import.hpp).
#include <algorithm>
#include <cstring>
#include <set>

#include "core/error.hpp"
#include "io/hf/hf_checkpoint_import.hpp"
#include "io/hf/hf_config.hpp"

namespace r1 {

namespace {

bool is_float_type(SafetensorsDType t) {
  return t == SafetensorsDType::F32 || t == SafetensorsDType::BF16 || t == SafetensorsDType::F16 ||
         t == SafetensorsDType::F64;
}

// Any float host tensor as f32 (bf16 and f16-read-as-f32 exactly, f64 rounded to nearest).
Tensor to_f32(const Tensor& t) {
  if (t.dtype() == DType::f32) return t;
  Tensor out = Tensor::empty(t.shape(), DType::f32);
  float* dst = out.data<float>();
  const int64_t n = t.numel();
  if (t.dtype() == DType::bf16) {
    const bf16* src = t.data<bf16>();
    for (int64_t i = 0; i < n; ++i) dst[i] = float(src[i]);
  } else {
    R1_CHECK(t.dtype() == DType::f64, "hf import: cannot convert ", t.describe(), " to f32");
    const double* src = t.data<double>();
    for (int64_t i = 0; i < n; ++i) dst[i] = float(src[i]);
  }
  return out;
}

// w[r, c] *= scale_inv[r / block_rows, c / block_cols] in float32 (w an f32 [rows, cols] tensor).
void dequantize_blocks(Tensor& w, const Tensor& scale_inv, int64_t block_rows, int64_t block_cols) {
  const int64_t rows = w.size(0), cols = w.size(1), scale_cols = scale_inv.size(1);
  float* v = w.data<float>();
  const float* s = scale_inv.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* srow = s + (r / block_rows) * scale_cols;
    float* row = v + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] = row[c] * srow[c / block_cols];
  }
}

// Lists up to 40 problems under a headline, as one InputError message.
std::string problem_list(const std::string& headline, const std::vector<std::string>& problems) {
  std::string msg = headline + " (" + std::to_string(problems.size()) + (problems.size() == 1 ? " problem):" : " problems):");
  for (size_t i = 0; i < problems.size() && i < 40; ++i) msg += "\n  " + problems[i];
  if (problems.size() > 40) msg += "\n  ... and " + std::to_string(problems.size() - 40) + " more";
  return msg;
}

// How many MTP layers the weights hold: consecutive layer indices L, L+1, ... present (at most
// `announced`).
int64_t mtp_layers_present(const std::vector<std::string>& names, int64_t layers, int64_t announced) {
  std::set<int64_t> beyond;
  for (const std::string& n : names)
    if (auto l = hf_layer_index(n); l && *l >= layers) beyond.insert(*l);
  int64_t present = 0;
  while (present < announced && beyond.count(layers + present)) ++present;
  return present;
}

}  // namespace

HfModelSource HfModelSource::open(const std::string& hf_dir) {
  HfModelSource s;
  s.folder_path_ = hf_dir;
  HfConfigImport imported = read_hf_config(hf_dir);
  s.config_ = imported.model;
  s.torch_dtype_ = imported.torch_dtype;
  s.ignored_config_keys_ = imported.ignored_keys;
  s.fp8_block_rows_ = imported.fp8_block_rows;
  s.fp8_block_cols_ = imported.fp8_block_cols;
  s.folder_ = SafetensorsFolder::open(hf_dir);
  const std::vector<std::string> names = s.folder_.names();
  const std::string where = hf_dir;

  // MTP layers: keep those the weights hold.
  const int64_t layers = s.config_.num_hidden_layers, announced = s.config_.num_nextn_predict_layers;
  if (announced > 0) {
    const int64_t present = mtp_layers_present(names, layers, announced);
    if (present < announced) {
      s.config_.num_nextn_predict_layers = present;
      s.notes_.push_back("config.json announces " + std::to_string(announced) +
                         " MTP layer(s) (num_nextn_predict_layers) but the weights hold " + std::to_string(present) +
                         ": imported with num_nextn_predict_layers = " + std::to_string(present));
    }
  }
  const int64_t mtp = s.config_.num_nextn_predict_layers;
  s.params_ = model_parameter_list(s.config_);

  std::vector<std::string> problems;
  std::set<std::string> used;
  auto check_float = [&](const std::string& tensor) {
    const SafetensorsEntry& e = s.folder_.entry(tensor);
    if (!is_float_type(e.dtype))
      problems.push_back(tensor + ": element type " + safetensors_dtype_name(e.dtype) + " is not a float type");
    else if (used.insert(tensor).second)
      ++s.stored_dtypes_[safetensors_dtype_name(e.dtype)];
  };

  // An F8_E4M3 weight and its block scales <name>_scale_inv.
  std::set<std::string> scales;
  int64_t fp8_tensors = 0;
  auto check_fp8 = [&](const HfParam& p, HfTensorSource& src) {
    const std::string scale = p.name + "_scale_inv";
    if (s.fp8_block_rows_ == 0) {
      problems.push_back(p.name + ": element type F8_E4M3, but config.json has no quantization_config (fp8 "
                         "weight_block_size) saying how it is scaled");
      return;
    }
    if (p.shape.size() != 2) {
      problems.push_back(p.name + ": F8_E4M3 is supported for 2-d weights only, r1 expects " + shape_str(p.shape));
      return;
    }
    if (!s.folder_.contains(scale)) {
      problems.push_back(p.name + ": F8_E4M3 weight without its block scales " + scale);
      return;
    }
    const SafetensorsEntry& e = s.folder_.entry(scale);
    const Shape want{(p.shape[0] + s.fp8_block_rows_ - 1) / s.fp8_block_rows_,
                     (p.shape[1] + s.fp8_block_cols_ - 1) / s.fp8_block_cols_};
    if (e.shape != want)
      problems.push_back(scale + ": shape " + shape_str(e.shape) + " in the file, r1 expects " + shape_str(want) + " (" +
                         std::to_string(s.fp8_block_rows_) + "x" + std::to_string(s.fp8_block_cols_) + " blocks of " +
                         shape_str(p.shape) + ")");
    if (e.dtype != SafetensorsDType::F32 && e.dtype != SafetensorsDType::BF16)
      problems.push_back(scale + ": element type " + std::string(safetensors_dtype_name(e.dtype)) +
                         " (block scales must be F32 or BF16)");
    scales.insert(scale);
    src.scale_inv = scale;
    ++s.stored_dtypes_["F8_E4M3"];
    ++fp8_tensors;
  };

  // Fused expert tensors by layer, checked once each against [E, 2I, d] / [E, d, I].
  std::set<std::string> fused_checked, both_layouts;
  std::set<int64_t> split_layers;
  for (const HfParam& p : s.params_) {
    auto expert = parse_expert_param_name(p.name);
    const FusedExpertKind kind =
        expert && expert->projection == "down_proj" ? FusedExpertKind::down : FusedExpertKind::gate_up;
    const std::string fused = expert ? fused_expert_name(expert->layer, kind) : std::string();
    if (s.folder_.contains(p.name)) {
      if (expert && s.folder_.contains(fused) && both_layouts.insert(fused).second)
        problems.push_back(fused + ": the folder holds layer " + std::to_string(expert->layer) +
                           "'s experts both fused and per expert");
      const SafetensorsEntry& e = s.folder_.entry(p.name);
      if (e.shape != p.shape)
        problems.push_back(p.name + ": shape " + shape_str(e.shape) + " in the file, r1 expects " + shape_str(p.shape));
      HfTensorSource src{p.name, -1, 0, 0, ""};
      if (e.dtype == SafetensorsDType::F8_E4M3) check_fp8(p, src);
      else check_float(p.name);
      s.sources_[p.name] = src;
      continue;
    }
    if (expert && s.folder_.contains(fused)) {
      const int64_t experts = s.config_.n_routed_experts, inner = s.config_.moe_intermediate_size,
                    hidden = s.config_.hidden_size;
      const Shape want = kind == FusedExpertKind::gate_up ? Shape{experts, 2 * inner, hidden} : Shape{experts, hidden, inner};
      if (fused_checked.insert(fused).second) {
        const SafetensorsEntry& e = s.folder_.entry(fused);
        if (e.shape != want)
          problems.push_back(fused + ": shape " + shape_str(e.shape) + " in the file, r1 expects " + shape_str(want) +
                             " (fused experts)");
        check_float(fused);
      }
      HfTensorSource src{fused, expert->expert, 0, kind == FusedExpertKind::down ? hidden : inner, ""};
      if (expert->projection == "up_proj") src.row_begin = inner;
      s.sources_[p.name] = src;
      split_layers.insert(expert->layer);
      continue;
    }
    problems.push_back(p.name + ": missing (r1 expects " + shape_str(p.shape) + ")");
  }

  // Every other tensor in the folder must be a known copy or buffer.
  const std::string embed = "model.embed_tokens.weight";
  const std::string head = s.config_.tie_word_embeddings ? embed : "lm_head.weight";
  int64_t rotary_buffers = 0;
  for (const std::string& n : names) {
    if (s.sources_.count(n) || fused_checked.count(n) || scales.count(n)) continue;
    if (is_rotary_buffer_name(n)) {
      ++rotary_buffers;
      continue;
    }
    const auto layer = hf_layer_index(n);
    const bool in_mtp = layer && *layer >= layers && *layer < layers + mtp;
    std::string copy_of;
    if (n == "lm_head.weight" && s.config_.tie_word_embeddings) copy_of = embed;
    else if (in_mtp && n == mtp_copy_name(*layer, MtpCopy::embedding)) copy_of = embed;
    else if (in_mtp && n == mtp_copy_name(*layer, MtpCopy::head)) copy_of = head;
    if (!copy_of.empty()) {
      const SafetensorsEntry& e = s.folder_.entry(n);
      const SafetensorsEntry& target = s.folder_.contains(copy_of) ? s.folder_.entry(copy_of) : e;
      if (e.shape != target.shape)
        problems.push_back(n + ": shape " + shape_str(e.shape) + " differs from " + copy_of + " " + shape_str(target.shape));
      check_float(n);
      s.copies_.push_back({n, copy_of});
      continue;
    }
    if (both_layouts.count(n)) continue;  // reported above
    if (layer && *layer >= layers)
      problems.push_back(n + ": unknown tensor (layer " + std::to_string(*layer) + " is beyond the " + std::to_string(layers) +
                         " decoder layers and the " + std::to_string(mtp) + " MTP layer(s) imported)");
    else
      problems.push_back(n + ": unknown tensor (not a parameter of a " + to_string(s.config_.architecture) + " model of this config)");
  }
  if (!problems.empty())
    throw InputError(problem_list(where + ": cannot import the weights", problems));

  if (!split_layers.empty())
    s.notes_.push_back("fused expert tensors (mlp.experts.gate_up_proj / down_proj) of " + std::to_string(split_layers.size()) +
                       " layer(s) split into per-expert parameters");
  if (rotary_buffers > 0)
    s.notes_.push_back("dropped " + std::to_string(rotary_buffers) + " rotary inv_freq buffer(s) (derived from config.json)");
  if (!s.copies_.empty()) {
    std::string list;
    for (const HfDroppedCopy& c : s.copies_) list += (list.empty() ? "" : ", ") + c.tensor;
    s.notes_.push_back("checked equal to the tensors r1 keeps and dropped: " + list);
  }
  if (fp8_tensors > 0)
    s.notes_.push_back(std::to_string(fp8_tensors) + " F8_E4M3 weight(s) dequantized to f32 with their " +
                       std::to_string(s.fp8_block_rows_) + "x" + std::to_string(s.fp8_block_cols_) +
                       " block scales (<name>_scale_inv)");
  if (s.stored_dtypes_.count("F64"))
    s.notes_.push_back(std::to_string(s.stored_dtypes_.at("F64")) + " F64 tensor(s) rounded to f32");
  return s;
}

const HfTensorSource& HfModelSource::source(const std::string& parameter) const {
  auto it = sources_.find(parameter);
  R1_CHECK(it != sources_.end(), "hf import: no source for parameter ", parameter);
  return it->second;
}

Tensor HfModelSource::read(const HfParam& p) const {
  const HfTensorSource& src = source(p.name);
  if (!src.scale_inv.empty()) {  // F8_E4M3 (read as exact f32) times its block scales, in place
    Tensor w = folder_.read(src.tensor);
    dequantize_blocks(w, to_f32(folder_.read(src.scale_inv)), fp8_block_rows_, fp8_block_cols_);
    return w.view(p.shape);
  }
  if (src.expert < 0) return to_f32(folder_.read(src.tensor)).view(p.shape);
  Tensor block = folder_.read_rows(src.tensor, src.expert, src.expert + 1);  // [1, rows, cols]
  const int64_t cols = block.size(-1);
  Tensor rows = block.view({-1, cols}).slice(src.row_begin, src.row_begin + src.row_count).clone();
  return to_f32(rows).view(p.shape);
}

std::string HfModelSource::check_copy(const HfDroppedCopy& c) const {
  auto it = std::find_if(params_.begin(), params_.end(), [&](const HfParam& p) { return p.name == c.parameter; });
  R1_CHECK(it != params_.end(), "hf import: copy target ", c.parameter, " is not a parameter");
  const SafetensorsEntry& copy_entry = folder_.entry(c.tensor);
  if (shape_numel(copy_entry.shape) != shape_numel(it->shape))
    return c.tensor + ": shape " + shape_str(copy_entry.shape) + " differs from " + c.parameter;
  // Row blocks of both (~16M elements at a time) when the parameter is a plain tensor of the folder,
  // so checking a [vocab, d] copy holds two blocks rather than two whole tensors.
  const HfTensorSource& src = source(it->name);
  const bool by_rows = src.expert < 0 && src.scale_inv.empty() && !copy_entry.shape.empty() &&
                       folder_.entry(src.tensor).shape == copy_entry.shape;
  const int64_t rows = by_rows ? copy_entry.shape[0] : 1;
  const int64_t row_elements = shape_numel(copy_entry.shape) / std::max<int64_t>(1, rows);
  const int64_t block = by_rows ? std::max<int64_t>(1, (int64_t(1) << 24) / std::max<int64_t>(1, row_elements)) : 1;
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    const int64_t r1 = std::min(rows, r0 + block);
    Tensor copy = to_f32(by_rows ? folder_.read_rows(c.tensor, r0, r1) : folder_.read(c.tensor));
    Tensor kept = by_rows ? to_f32(folder_.read_rows(src.tensor, r0, r1)) : read(*it);
    const float* a = copy.data<float>();
    const float* b = kept.data<float>();
    for (int64_t i = 0; i < copy.numel(); ++i)
      if (std::memcmp(a + i, b + i, sizeof(float)) != 0)
        return c.tensor + ": differs from " + c.parameter + " at element " + std::to_string(r0 * row_elements + i) + " (" +
               std::to_string(a[i]) + " vs " + std::to_string(b[i]) +
               "); r1 shares one tensor and cannot import different values";
  }
  return "";
}

}  // namespace r1
