// `r1 ckpt export CKPT.h5 --out HF_DIR [--dtype f32|bf16] [--tokenizer PATH]`: writes an r1
// checkpoint's model as a Hugging Face folder that transformers' from_pretrained loads. The work
// is io/hf/hf_checkpoint_export.cpp; this file parses the command line and reports.
#include <cctype>
#include <iostream>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "io/hf/hf_checkpoint_export.hpp"

namespace r1::cli {

namespace {

// "5GB", "500MB", "64KB" (powers of 1000, as huggingface_hub) or a plain number of bytes.
uint64_t parse_byte_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  R1_INPUT_CHECK(digits > 0 && digits <= 15, "r1 ckpt export: --max-shard-size '", text,
                 "' is not a size (e.g. 5GB, 500MB, 1000000)");
  uint64_t value = std::stoull(text.substr(0, digits));
  std::string unit = text.substr(digits);
  for (char& ch : unit) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KB") scale = 1000;
  else if (unit == "MB") scale = 1000 * 1000;
  else if (unit == "GB") scale = 1000 * 1000 * 1000;
  R1_INPUT_CHECK(scale > 0 && value > 0, "r1 ckpt export: --max-shard-size '", text,
                 "' is not a positive size in B, KB, MB or GB");
  return value * scale;
}

int ckpt_export(const Args& a, const Comm& world) {
  R1_INPUT_CHECK(world.size() == 1, "r1 ckpt export runs as one process; start it without mpirun/srun");
  const std::string& checkpoint = a.positionals[0];
  const std::string out = a.get("--out");
  R1_INPUT_CHECK(!out.empty(), "r1 ckpt export: --out HF_DIR is required");
  HfExportOptions options;
  options.dtype = parse_hf_export_dtype(a.get("--dtype", "f32"), "r1 ckpt export --dtype");
  options.tokenizer = a.get("--tokenizer");
  options.max_shard_bytes = parse_byte_size(a.get("--max-shard-size", "5GB"));
  HfExportSummary summary = export_hf_model(checkpoint, out, options);
  std::cerr << "r1 ckpt export: wrote " << out << " (" << summary.tensors << " tensors, "
            << (options.dtype == HfExportDType::bf16 ? "bf16" : "f32") << "):\n";
  for (const std::string& f : summary.files) std::cerr << "  " << f << "\n";
  if (summary.tokenizer_from.empty())
    std::cerr << "r1 ckpt export: no tokenizer found next to the checkpoint's run folder; pass --tokenizer to include one\n";
  else
    std::cerr << "r1 ckpt export: tokenizer from " << summary.tokenizer_from << "\n";
  return 0;
}

Registrar reg(Command{
    "ckpt export", "write an r1 checkpoint's model as a Hugging Face folder (config.json + safetensors)",
    "Reads /state/model_config and /model/* and writes HF_DIR/config.json and model.safetensors, or shards\n"
    "model-0000i-of-0000n.safetensors + model.safetensors.index.json above --max-shard-size, with the\n"
    "experts one tensor each (the layout transformers' from_pretrained loads). With --dtype bf16 every\n"
    "tensor is rounded to nearest even except the router's e_score_correction_bias (kept f32). DeepSeek-V3\n"
    "MTP layers get their embed_tokens / shared_head.head copies. The tokenizer (--tokenizer, else the\n"
    "run's <checkpoint dir>/../tokenizer.json when present) is copied as tokenizer.json. Everything is\n"
    "written into HF_DIR.tmp and renamed at the end; HF_DIR must not exist or be empty.",
    {{"CKPT", "r1 checkpoint file (.h5)"}},
    {{"--out", "HF_DIR", "folder to create", ""},
     {"--dtype", "f32|bf16", "element type of the exported weights", "f32"},
     {"--tokenizer", "PATH", "tokenizer.json (or a folder holding one) to include", ""},
     {"--max-shard-size", "SIZE", "largest shard (e.g. 5GB, 500MB, bytes)", "5GB"}},
    false,
    false,
    ckpt_export});

}  // namespace

}  // namespace r1::cli
