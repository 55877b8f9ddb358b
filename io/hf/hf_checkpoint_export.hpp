// Exporting r1 weights as a Hugging Face model folder that transformers' from_pretrained loads:
// config.json (write_hf_config), the weights as model.safetensors or, above a size limit, shards
// model-0000i-of-0000n.safetensors plus model.safetensors.index.json, in the per-expert layout
// (model.layers.<l>.mlp.experts.<e>.{gate,up,down}_proj.weight), f32 or bf16, and the tokenizer.
//
// Layout rules (docs/formats.md, "Hugging Face import/export"): tensors keep r1's names (which are
// the Hugging Face names), in r1's declaration order; tied embeddings write no lm_head.weight; each
// DeepSeek-V3 MTP layer model.layers.{L+k} also gets the embed_tokens / shared_head.head copies the
// DeepSeek checkpoints carry (equal to the main embedding / LM head). With bf16 every tensor is
// rounded to nearest even except the router's e_score_correction_bias, which stays F32 as in
// DeepSeek's releases (transformers keeps it in f32). Importing an f32 export gives back the same
// bits.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/hf/hf_checkpoint_layout.hpp"
#include "io/formats/safetensors_folder.hpp"
#include "model/model_config.hpp"

namespace r1 {

enum class HfExportDType { f32, bf16 };

struct HfExportOptions {
  HfExportDType dtype = HfExportDType::f32;
  uint64_t max_shard_bytes = kDefaultMaxShardBytes;  // shard above this many bytes of tensor data
  // A tokenizer.json file, or a folder holding one, to copy into the export; empty: the run's
  // <checkpoint dir>/../tokenizer.json when it exists (a run keeps checkpoints in <run_dir>/checkpoints).
  std::string tokenizer;
};

struct HfExportSummary {
  std::vector<std::string> files;  // final paths, in the order written
  int64_t tensors = 0;             // safetensors entries (MTP copies included)
  int64_t parameters = 0;          // elements of the r1 parameters
  std::string tokenizer_from;      // the tokenizer.json copied ("" when none)
};

// Parses "f32" / "bf16" (InputError naming `where` otherwise).
HfExportDType parse_hf_export_dtype(const std::string& text, const std::string& where);

// Writes config.json and the safetensors of `config`'s parameters into the existing folder `folder`;
// `read_param` returns each parameter's values as an f32 host tensor of its shape; it is called while
// the shards are written, once per tensor (the MTP layers' embedding / head copies read theirs again),
// so memory holds one tensor at a time. Returns the files written.
std::vector<std::string> write_hf_model_folder(const ModelConfig& config, const std::function<Tensor(const HfParam&)>& read_param,
                                               const std::string& folder, const HfExportOptions& options);

// Reads /state/model_config and /model/* of the r1 checkpoint and writes the Hugging Face folder
// `out_dir`, which must not exist or be empty: everything is written into <out_dir>.tmp, renamed to
// out_dir at the end, and removed on failure. InputError when the checkpoint has no model config,
// its /model does not match the config, or out_dir is in the way.
HfExportSummary export_hf_model(const std::string& checkpoint_path, const std::string& out_dir,
                                const HfExportOptions& options = {});

}  // namespace r1
