// Importing a Hugging Face model folder (config.json + safetensors, single file or sharded) as r1
// weights. HfModelSource resolves the folder against the parameter set an r1::Model of its config
// declares (the names are the same): it reads config.json and every safetensors header, maps each
// tensor to an r1 parameter and checks names, shapes and element types up front, so a folder that
// cannot be imported fails before anything is written, with every problem listed.
//
// Mapping rules (docs/formats.md, "Hugging Face import/export"):
//   - same names; BF16 / F16 / F32 converted to f32 exactly, F64 rounded to f32;
//   - block-quantized FP8 weights (DeepSeek-V3/R1 as published, config.json quantization_config
//     {quant_method fp8, fmt e4m3, weight_block_size [br, bc]}): an F8_E4M3 <name> with its F32 (or
//     BF16) <name>_scale_inv [ceil(rows/br), ceil(cols/bc)] is dequantized to f32,
//     w = float(fp8) * scale_inv of its block (one float32 product, as torch computes it);
//   - transformers 5's fused experts (mlp.experts.gate_up_proj [E, 2I, d] = per expert [gate; up],
//     mlp.experts.down_proj [E, d, I]) are split into the per-expert parameters;
//   - tied embeddings: r1 has no lm_head.weight; one present in the file must equal the embedding;
//   - DeepSeek-V3 MTP layers model.layers.{L+k}: when config.json announces more MTP layers than the
//     weights hold, the import keeps the ones present (num_nextn_predict_layers lowered, noted);
//     their embed_tokens / shared_head.head copies must equal the main embedding / LM head and are
//     dropped (r1 shares them);
//   - the router's e_score_correction_bias buffers are parameters (non-trainable) of the same name;
//   - rotary inv_freq buffers some older checkpoints carry are dropped (derived from the config).
// Unknown or missing tensors, shape mismatches and non-float tensors throw InputError.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "io/hf/hf_checkpoint_layout.hpp"
#include "io/formats/safetensors_folder.hpp"
#include "model/model.hpp"
#include "parallel/comm.hpp"

namespace r1 {

// Where one r1 parameter's values are in the Hugging Face folder.
struct HfTensorSource {
  std::string tensor;     // the safetensors tensor
  int64_t expert = -1;    // fused expert tensors: the expert (row of dim 0); -1 = the whole tensor
  int64_t row_begin = 0;  // fused gate_up: rows of the expert's [2I, d] block (gate [0, I), up [I, 2I))
  int64_t row_count = 0;
  std::string scale_inv;  // FP8 weights: the block-scale tensor ("" = not quantized)
};

// A dropped Hugging Face tensor that must equal an r1 parameter.
struct HfDroppedCopy {
  std::string tensor;     // "model.layers.61.embed_tokens.weight", or "lm_head.weight" when tied
  std::string parameter;  // "model.embed_tokens.weight"
};

class HfModelSource {
 public:
  // `hf_dir` holds config.json and model.safetensors or model.safetensors.index.json + shards.
  static HfModelSource open(const std::string& hf_dir);

  const std::string& folder() const { return folder_path_; }
  const ModelConfig& config() const { return config_; }  // num_nextn_predict_layers as imported
  const std::string& torch_dtype() const { return torch_dtype_; }
  const std::vector<std::string>& ignored_config_keys() const { return ignored_config_keys_; }
  // What the import changed, split or dropped, one sentence each.
  const std::vector<std::string>& notes() const { return notes_; }
  const std::vector<HfParam>& parameters() const { return params_; }  // r1 declaration order
  const HfTensorSource& source(const std::string& parameter) const;
  const std::vector<HfDroppedCopy>& dropped_copies() const { return copies_; }
  // Stored element types of the tensors read, e.g. {"BF16": 412, "F32": 58}.
  const std::map<std::string, int64_t>& stored_dtypes() const { return stored_dtypes_; }

  // The values of parameter `p` as an f32 host tensor of p.shape.
  Tensor read(const HfParam& p) const;
  // Checks that dropped copy `c` holds exactly the values of its parameter (bitwise, after the
  // conversion to f32); returns "" or the reason it does not.
  std::string check_copy(const HfDroppedCopy& c) const;

 private:
  std::string folder_path_;
  SafetensorsFolder folder_;
  ModelConfig config_;
  std::string torch_dtype_;
  std::vector<std::string> ignored_config_keys_, notes_;
  std::vector<HfParam> params_;
  std::map<std::string, HfTensorSource> sources_;
  std::vector<HfDroppedCopy> copies_;
  std::map<std::string, int64_t> stored_dtypes_;
  int64_t fp8_block_rows_ = 0, fp8_block_cols_ = 0;  // config.json's weight_block_size (0: not quantized)
};

// Copies every parameter of `source` into `model` (a whole model on this process, any float dtype
// and device), after checking the dropped copies. The model must have been built from
// source.config(); InputError naming the tensors otherwise.
void load_hf_weights(const HfModelSource& source, Model& model);

struct HfImportSummary {
  ModelConfig config;
  std::vector<std::string> notes;
  int64_t tensors = 0;     // r1 parameters written
  int64_t parameters = 0;  // elements
};

// Collective over `comm`: writes the r1 checkpoint `out_checkpoint_path` (through <path>.tmp, renamed
// on commit) with /model/<name> (f32, global shapes), /state/model_config (the YAML of the imported
// ModelConfig) and /state/json {"imported_from", "torch_dtype", "stored_dtypes", "notes", ...}.
// Parameters are read and written by rank (index mod ranks); the dropped copies are checked first.
HfImportSummary import_hf_model(const std::string& hf_dir, const std::string& out_checkpoint_path, const Comm& comm);

}  // namespace r1
