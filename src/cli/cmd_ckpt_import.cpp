// `r1 ckpt import HF_DIR --out CKPT.h5`: turns a Hugging Face model folder (config.json +
// safetensors) into an r1 checkpoint that `init.checkpoint` can start a recipe from. The work is
// io/hf/hf_checkpoint_import.cpp; this file parses the command line and reports.
#include <filesystem>
#include <iostream>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "io/hf/hf_checkpoint_import.hpp"

namespace r1::cli {

namespace {

int ckpt_import(const Args& a, const Comm& world) {
#if defined(__GLIBC__)
  // One tensor at a time passes through memory, most of them between 1 and 32 MB. glibc's adaptive
  // threshold would serve those from the heap, where HDF5's small long-lived allocations pin the
  // freed space: the resident size then grew with the bytes written (9.7 GB peak importing a 4.4 GB
  // folder). Fixed at 1 MB, large buffers are mapped and unmapped per tensor.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  const std::string& hf_dir = a.positionals[0];
  const std::string out = a.get("--out");
  R1_INPUT_CHECK(!out.empty(), "r1 ckpt import: --out CKPT.h5 is required");
  const std::filesystem::path parent = std::filesystem::absolute(out).parent_path();
  if (world.rank() == 0) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  world.barrier();
  R1_INPUT_CHECK(std::filesystem::is_directory(parent), out, ": cannot create the folder ", parent.string());
  HfImportSummary summary = import_hf_model(hf_dir, out, world);
  if (world.rank() != 0) return 0;
  for (const std::string& note : summary.notes) std::cerr << "r1 ckpt import: note: " << note << "\n";
  const ModelConfig& c = summary.config;
  std::cerr << "r1 ckpt import: wrote " << out << ": " << c.architecture << ", " << format_count(double(summary.parameters))
            << " parameters in " << summary.tensors << " tensors, " << c.num_hidden_layers << " layers"
            << (c.num_nextn_predict_layers > 0 ? " + " + std::to_string(c.num_nextn_predict_layers) + " MTP" : "")
            << ", vocab " << c.vocab_size << "\n";
  return 0;
}

Registrar reg(Command{
    "ckpt import", "convert a Hugging Face model folder (config.json + safetensors) into an r1 checkpoint",
    "Reads config.json (model_type deepseek_v3, qwen2, llama, qwen3 or qwen3_moe) and model.safetensors or\n"
    "the shards listed in model.safetensors.index.json, maps every tensor to the r1 parameter of the same\n"
    "name and writes CKPT.h5 with /model/* (f32), /state/model_config and /state/json. BF16/F16 weights\n"
    "are converted to f32 exactly; block-quantized FP8 weights (DeepSeek-V3/R1 as published: F8_E4M3 with\n"
    "<name>_scale_inv, quantization_config fp8) are dequantized to f32. Tensors are read, converted and\n"
    "written one at a time (memory: about the largest tensor and its f32 copy). Fused expert tensors\n"
    "(transformers 5) are split per expert; a tied lm_head.weight and the embed_tokens / shared_head.head\n"
    "copies of DeepSeek-V3 MTP layers must equal the tensors r1 keeps and are dropped; MTP layers\n"
    "announced by config.json but absent from the weights are left out (said on stderr). Unknown or\n"
    "missing tensors and shape mismatches are errors listing every tensor. The file is written as\n"
    "CKPT.h5.tmp and renamed when complete. Runs on any number of ranks.",
    {{"HF_DIR", "Hugging Face model folder"}},
    {{"--out", "CKPT.h5", "checkpoint file to write", ""}},
    false,
    true,
    ckpt_import});

}  // namespace

}  // namespace r1::cli
