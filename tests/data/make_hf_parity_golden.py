#!/usr/bin/env python3
"""Hugging Face parity data for tests/unit/test_hf_parity.cpp, made with transformers itself (the
outside reference), and the check that r1's import/export round-trips and that transformers loads
what `r1 ckpt export` writes.

Outputs (tests/data/hf_parity/):
  deepseek_v3/       DeepseekV3: MLA with q_lora_rank, first_k_dense_replace=1, MoE (8 routed experts
                     in 4 groups, topk_group 2, 2 per token, 1 shared, routed_scaling_factor 2.5,
                     norm_topk_prob), rms_norm_eps 1e-5 (the MLA latent norms keep transformers' fixed
                     1e-6), interleaved RoPE (the class default); F32 weights, experts one tensor each
                     (save_pretrained's default layout)
  deepseek_v3_yarn/  DeepseekV3 without q_lora_rank, with YaRN (factor 4, original 512 positions,
                     mscale 1, mscale_all_dim 0.707: both the cos/sin attention factor and the softmax
                     mscale^2 term); BF16 weights saved with save_original_format=False, i.e. the fused
                     transformers-5 expert tensors mlp.experts.gate_up_proj [E, 2I, d] / down_proj [E, d, I]
  qwen2/             Qwen2: GQA (4 heads, 2 kv heads), q/k/v biases, tied embeddings; F32
  llama/             Llama: GQA, explicit head_dim 16 != hidden/heads, untied, no biases; F32
  llama3_rope/       Llama with Llama-3.1 RoPE scaling (rope_type llama3: factor 8, low_freq_factor 1,
                     high_freq_factor 8, 1024 original positions, rope_theta 500000, so head_dim 16
                     has kept, smoothed and divided frequencies); F32
  qwen3/             Qwen3: GQA, per-head q_norm / k_norm before RoPE, head_dim 16, tied, no biases; F32
  qwen3_moe/         Qwen3-MoE: Qwen3 attention (head_dim 8), MoE on every layer (8 experts, 2 per
                     token, softmax then top-k, norm_topk_prob), per-expert tensors as save_pretrained
                     writes them; F32
  deepseek_v3_fp8/   DeepseekV3 laid out as the published DeepSeek-V3/R1 checkpoints: every linear weight
                     of attention, MLPs and experts (not embeddings, norms, router or LM head) stored as
                     F8_E4M3 with <name>_scale_inv F32 block scales [ceil(rows/128), ceil(cols/128)]
                     (the dense MLP width 200 gives partial blocks), the rest BF16 (router bias F32),
                     config.json quantization_config
                     {quant_method fp8, fmt e4m3, weight_block_size [128, 128], activation_scheme dynamic}.
                     The quantization is made here: scale = amax(|block|) / 448, fp8 = to_e4m3(w / scale).
                     The goldens come from the dequantized weights (fp8 * scale_inv per 128x128 block,
                     in float32, as DeepSeek's reference weight_dequant) loaded into a plain DeepseekV3:
                     transformers' FP8 kernels need a GPU, and on CPU (FineGrainedFP8Config(dequantize=
                     True)) transformers 5.25 derives the block size from the scale grid (rows //
                     scale_rows), which differs from the fixed 128x128 blocks when a dimension is not a
                     multiple of 128. The check mode shows its dequantization equals this one bit for bit
                     on every tensor of whole blocks.
  golden.json        per model: token sequences with the position of their first token (three start
                     at 0; one starts at 1900, beyond YaRN's original range, where the rotary angles
                     magnify any difference in the float32 inverse frequencies) and transformers'
                     log-probability of each next token: logp_f64 (float64 reference, see below) and
                     logp_f32 (the model as shipped, float32, eager attention, default experts kernel)

Weights are random with fixed seeds and scaled so the log-probs spread (std 1/sqrt(fan_in) for
projections, 1 for embeddings, 1 + 0.2 N(0,1) for norm weights, 0.1 N(0,1) for biases); every
DeepSeek router bias (e_score_correction_bias) is a small nonzero value (uniform in [-0.1, 0.1]) so
the bias-corrected choice is exercised. The goldens are computed from the folders as saved (reloaded
with from_pretrained), so BF16 weights are the rounded ones.

Float64 reference. transformers accepts model.double(), but some modules compute in float32 whatever
the model dtype: RMSNorm (hidden_states.to(torch.float32)), the DeepSeek router
(hidden_states.type(torch.float32)), eager attention's softmax (dtype=torch.float32) and the rotary
embedding (angles and cos/sin in float32). For logp_f64 the script makes those modules compute in
float64 by giving each modeling module a `torch` whose float32/float name float64, and computes the
rotary cos/sin in float64 of transformers' own float32 angles (position x float32 inv_freq, rounded to
float32, exactly as transformers forms them; r1 does the same). The functions are otherwise
transformers' own code. golden.json records, per model, how far the plain model.double() result is
from logp_f64 (max_abs_unpatched_double_minus_f64) to show these casts only round.

Check mode (needs the r1 binary, default build/hf/r1; `--r1 PATH` to choose):
  for each folder: r1 ckpt import -> r1 ckpt export (f32) -> transformers from_pretrained of the
  export: no missing/unexpected keys, every tensor equals the original's state_dict bit for bit
  (experts compared in transformers' fused in-memory form) and the log-probs are identical; r1 ckpt
  import of the export -> r1 ckpt export again: model.safetensors is byte-identical (import(export(x))
  == x in f32), and a sharded export loads; a bf16 export holds exactly the bf16-rounded weights (the
  router bias kept F32). A DeepSeek folder given an MTP layer round-trips and transformers reports only
  the MTP tensors as unexpected. An exported tokenizer loads in AutoTokenizer. r1 ckpt verify passes,
  and fails with exit code 1 on a corrupted copy.

The first four models' folders and goldens were made with transformers 5.24.0; `--add NAME,...` makes
only the named models and merges them into golden.json, leaving the others' files untouched (how the
last four were added, with transformers 5.25.0).

Run from the repository root: python3 tests/data/make_hf_parity_golden.py [--check-only] [--add NAMES] [--r1 PATH]
Needs: pip install torch transformers safetensors (CPU is enough); accelerate for the check of
transformers' own FP8 dequantization (skipped, and said, without it)
"""
import argparse
import filecmp
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import types

import torch
import transformers
from safetensors import safe_open
from transformers import AutoModelForCausalLM, DeepseekV3Config, LlamaConfig, Qwen2Config, Qwen3Config, Qwen3MoeConfig
from transformers.models.deepseek_v3 import modeling_deepseek_v3
from transformers.models.llama import modeling_llama
from transformers.models.qwen2 import modeling_qwen2
from transformers.models.qwen3 import modeling_qwen3
from transformers.models.qwen3_moe import modeling_qwen3_moe

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "hf_parity")
VOCAB = 96
# (length, first position): the last sequence sits far out, beyond YaRN's original 512 positions, where
# the rotary angles magnify any difference in the float32 inverse frequencies.
SEQUENCES = [(5, 0), (16, 0), (40, 0), (24, 1900)]
MAX_POSITIONS = 2048


def deepseek_config(**overrides):
    args = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, moe_intermediate_size=8,
                num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=4, n_shared_experts=1,
                n_routed_experts=8, num_experts_per_tok=2, n_group=4, topk_group=2, first_k_dense_replace=1,
                kv_lora_rank=16, q_lora_rank=24, qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=8,
                routed_scaling_factor=2.5, norm_topk_prob=True, max_position_embeddings=MAX_POSITIONS, rms_norm_eps=1e-5,
                tie_word_embeddings=False)
    args.update(overrides)
    return DeepseekV3Config(**args)


def model_specs():
    yarn = {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": MAX_POSITIONS // 4,
            "beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 0.707}
    llama3 = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
              "high_freq_factor": 8.0, "original_max_position_embeddings": 1024}
    return [
        # name, config, seed, saved dtype ("fp8": block-quantized as published), save_original_format
        ("deepseek_v3", deepseek_config(rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), 11,
         torch.float32, True),
        ("deepseek_v3_yarn", deepseek_config(q_lora_rank=None, rope_parameters=yarn), 12, torch.bfloat16, False),
        ("qwen2", Qwen2Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                              max_position_embeddings=MAX_POSITIONS, rms_norm_eps=1e-6,
                              rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), 13, torch.float32, True),
        ("llama", LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2, head_dim=16, tie_word_embeddings=False,
                              max_position_embeddings=MAX_POSITIONS, rms_norm_eps=1e-5, attention_bias=False, mlp_bias=False,
                              rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), 14, torch.float32, True),
        ("llama3_rope", LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                    num_attention_heads=4, num_key_value_heads=2, head_dim=16, tie_word_embeddings=False,
                                    max_position_embeddings=MAX_POSITIONS, rms_norm_eps=1e-5, attention_bias=False,
                                    mlp_bias=False, rope_parameters=llama3), 15, torch.float32, True),
        ("qwen3", Qwen3Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2, head_dim=16, tie_word_embeddings=True,
                              max_position_embeddings=MAX_POSITIONS, rms_norm_eps=1e-6, attention_bias=False,
                              rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), 16, torch.float32, True),
        ("qwen3_moe", Qwen3MoeConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, moe_intermediate_size=16,
                                     num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                                     num_experts=8, num_experts_per_tok=2, norm_topk_prob=True, decoder_sparse_step=1,
                                     mlp_only_layers=[], tie_word_embeddings=False, max_position_embeddings=MAX_POSITIONS,
                                     rms_norm_eps=1e-6,
                                     rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), 17, torch.float32,
         True),
        ("deepseek_v3_fp8", deepseek_config(intermediate_size=200, rope_parameters={"rope_type": "default",
                                                                                    "rope_theta": 10000.0}), 18,
         "fp8", True),
    ]


def randomize(model, seed):
    """Random weights that make the log-probs spread; router biases small and nonzero."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            shape = p.shape
            if "norm" in name and p.ndim == 1:
                v = 1.0 + 0.2 * torch.randn(shape, generator=g)
            elif name.endswith("bias"):
                v = 0.1 * torch.randn(shape, generator=g)
            elif "embed_tokens" in name or name == "lm_head.weight":
                v = torch.randn(shape, generator=g)
            else:  # [out, in] or fused experts [E, out, in]
                v = torch.randn(shape, generator=g) / math.sqrt(shape[-1])
            p.copy_(v.to(p.dtype))
        for name, b in sorted(model.named_buffers()):
            if name.endswith("e_score_correction_bias"):
                b.copy_((torch.rand(b.shape, generator=g) * 0.2 - 0.1).to(b.dtype))


def sequences(seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, VOCAB, (n,), generator=g).tolist() for n, _ in SEQUENCES]


def first_positions():
    return [start for _, start in SEQUENCES]


class Float64Torch(types.ModuleType):
    """`torch` as a modeling module sees it, with float32 / float naming float64."""

    def __init__(self):
        super().__init__("torch")

    def __getattr__(self, name):
        if name in ("float32", "float"):
            return torch.float64
        return getattr(torch, name)


def rotary_forward_f64(self, x, position_ids):
    # transformers' angles (float32 position x float32 inv_freq, rounded to float32), cos/sin in float64.
    freqs = position_ids[..., None].float() * self.inv_freq.to(device=x.device, dtype=torch.float32)
    emb = torch.cat((freqs, freqs), dim=-1).to(torch.float64)
    return (emb.cos() * self.attention_scaling).to(x.dtype), (emb.sin() * self.attention_scaling).to(x.dtype)


MODELING = [(modeling_deepseek_v3, "DeepseekV3RotaryEmbedding"), (modeling_qwen2, "Qwen2RotaryEmbedding"),
            (modeling_llama, "LlamaRotaryEmbedding"), (modeling_qwen3, "Qwen3RotaryEmbedding"),
            (modeling_qwen3_moe, "Qwen3MoeRotaryEmbedding")]


class Float64Modules:
    """Within the block, the modeling modules compute in float64 where they force float32."""

    def __enter__(self):
        self.saved = []
        for module, rotary in MODELING:
            cls = getattr(module, rotary)
            self.saved.append((module, module.torch, cls, cls.forward))
            module.torch = Float64Torch()
            cls.forward = rotary_forward_f64
        return self

    def __exit__(self, *exc):
        for module, torch_module, cls, forward in self.saved:
            module.torch = torch_module
            cls.forward = forward


def next_token_logp(model, seqs):
    out = []
    with torch.no_grad():
        for s, start in zip(seqs, first_positions()):
            ids = torch.tensor([s])
            logits = model(input_ids=ids, position_ids=torch.arange(start, start + len(s))[None]).logits[0]
            logp = torch.log_softmax(logits.to(torch.float64) if logits.dtype == torch.float64 else logits, dim=-1)
            out.append([float(logp[i, s[i + 1]]) for i in range(len(s) - 1)])
    return out


def load(folder, dtype=torch.float32, eager_experts=False):
    moe = "deepseek" in folder or "moe" in folder
    kwargs = {"experts_implementation": "eager"} if eager_experts and moe else {}
    return AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, attn_implementation="eager", **kwargs).eval()


def max_abs_diff(a, b):
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def safetensors_keys(folder):
    keys = []
    for f in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        with safe_open(f, "pt") as st:
            keys += list(st.keys())
    return keys


FP8_BLOCK = 128
FP8_MAX = 448.0  # largest finite float8_e4m3fn


def is_fp8_weight(name, t):
    # As DeepSeek publishes: the linear weights of attention, dense MLPs, shared and routed experts.
    return (t.ndim == 2 and name.startswith("model.layers.") and name.endswith("_proj.weight")
            and ".mlp.gate." not in name)


def quantize_fp8(w):
    """Block-wise e4m3 with a float32 scale per 128x128 block: (fp8 [rows, cols], scale_inv [rb, cb])."""
    rows, cols = w.shape
    rb, cb = -(-rows // FP8_BLOCK), -(-cols // FP8_BLOCK)
    padded = torch.zeros(rb * FP8_BLOCK, cb * FP8_BLOCK, dtype=torch.float32)
    padded[:rows, :cols] = w.float()
    blocks = padded.view(rb, FP8_BLOCK, cb, FP8_BLOCK)
    amax = blocks.abs().amax(dim=(1, 3)).clamp(min=1e-12)
    scale = (amax / FP8_MAX).to(torch.float32)
    q = (blocks / scale[:, None, :, None]).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)
    return q.view(rb * FP8_BLOCK, cb * FP8_BLOCK)[:rows, :cols].contiguous(), scale


def dequantize_fp8(q, scale):
    rows, cols = q.shape
    s = scale.repeat_interleave(FP8_BLOCK, 0)[:rows].repeat_interleave(FP8_BLOCK, 1)[:, :cols]
    return q.to(torch.float32) * s


def write_fp8_folder(folder, dequantized_folder):
    """Rewrites the F32 folder `folder` in the published FP8 layout; `dequantized_folder` gets the same
    config without quantization and the dequantized F32 weights (what the goldens are computed from)."""
    from safetensors.torch import load_file, save_file
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    fp8, plain = {}, {}
    for name in sorted(tensors):
        t = tensors[name]
        if is_fp8_weight(name, t):
            q, scale = quantize_fp8(t)
            fp8[name] = q
            fp8[name + "_scale_inv"] = scale
            plain[name] = dequantize_fp8(q, scale)
        elif name.endswith("e_score_correction_bias"):
            fp8[name] = t  # F32, as published
            plain[name] = t
        else:
            fp8[name] = t.to(torch.bfloat16)  # the published checkpoints keep the rest in BF16
            plain[name] = fp8[name].to(torch.float32)
    save_file(fp8, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    os.makedirs(dequantized_folder, exist_ok=True)
    shutil.copy(os.path.join(folder, "config.json"), dequantized_folder)
    save_file(plain, os.path.join(dequantized_folder, "model.safetensors"), metadata={"format": "pt"})
    config = json.load(open(os.path.join(folder, "config.json")))
    config["quantization_config"] = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                     "weight_block_size": [FP8_BLOCK, FP8_BLOCK]}
    config["torch_dtype"] = "bfloat16"
    config.pop("dtype", None)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


def dequantized_reference(folder, out):
    """The FP8 folder `folder` dequantized into an F32 folder `out` without quantization_config."""
    from safetensors.torch import load_file, save_file
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    plain = {}
    for name, t in tensors.items():
        if name.endswith("_scale_inv"):
            continue
        scale = tensors.get(name + "_scale_inv")
        plain[name] = dequantize_fp8(t, scale) if scale is not None else t.to(torch.float32)
    os.makedirs(out, exist_ok=True)
    config = json.load(open(os.path.join(folder, "config.json")))
    config.pop("quantization_config")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save_file(plain, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    return out


def check_fp8_against_transformers_dequantize(folder, reference):
    """transformers' CPU dequantization vs this script's, on the tensors made of whole blocks."""
    from transformers import FineGrainedFP8Config
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, quantization_config=FineGrainedFP8Config(
            weight_block_size=(FP8_BLOCK, FP8_BLOCK), dequantize=True))
    except Exception as e:  # e.g. accelerate missing
        print(f"transformers cannot dequantize {folder} here ({type(e).__name__}: {e}); skipped")
        return True
    ours = load(reference).state_dict()
    theirs = model.state_dict()
    whole = lambda t: all(n % FP8_BLOCK == 0 or n <= FP8_BLOCK for n in t.shape[-2:])
    partial_rows = lambda t: any(n > FP8_BLOCK and n % FP8_BLOCK for n in t.shape[-2:])
    same = [k for k in ours if not partial_rows(ours[k]) and torch.equal(ours[k], theirs[k])]
    differ = [k for k in ours if not partial_rows(ours[k]) and not torch.equal(ours[k], theirs[k])]
    partial = [k for k in ours if partial_rows(ours[k])]
    print(f"FP8: transformers' CPU dequantization equals the golden's on all {len(same)} tensors without partial "
          f"128x128 blocks (FP8 and unquantized)"
          f" (differs on {len(differ)}); {len(partial)} tensor(s) with partial blocks skipped: {partial}")
    return not differ and bool(same) and all(whole(ours[k]) for k in same)


def generate(only=None):
    """All models (a fresh hf_parity/), or only the names in `only`, merged into the existing golden.json."""
    if only is None:
        if os.path.isdir(OUT):
            shutil.rmtree(OUT)
        os.makedirs(OUT)
    golden = {
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "reference": "logp_f64: transformers in float64 (model.double(); the modules that force float32 made to "
                     "compute in float64, rotary angles kept as transformers' float32 values, see "
                     "make_hf_parity_golden.py); logp_f32: transformers in float32 as shipped",
        "models": {},
    }
    if only is not None:
        golden = json.load(open(os.path.join(OUT, "golden.json")))
        golden.setdefault("added_with", {})
    tmp = tempfile.TemporaryDirectory()
    for name, config, seed, dtype, original_format in model_specs():
        if only is not None and name not in only:
            continue
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        randomize(model, seed)
        folder = os.path.join(OUT, name)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        model.to(torch.float32 if dtype == "fp8" else dtype).save_pretrained(folder, save_original_format=original_format)
        for extra in ("generation_config.json",):
            if os.path.exists(os.path.join(folder, extra)):
                os.remove(os.path.join(folder, extra))
        reference = folder
        if dtype == "fp8":
            reference = os.path.join(tmp.name, name + "_dequantized")
            write_fp8_folder(folder, reference)
        seqs = sequences(seed + 100)
        f32 = load(reference)
        logp_f32 = next_token_logp(f32, seqs)
        f64 = load(reference, eager_experts=True).double()  # the grouped-GEMM experts take no float64
        logp_unpatched = next_token_logp(f64, seqs)
        with Float64Modules():
            logp_f64 = next_token_logp(f64, seqs)
        keys = safetensors_keys(folder)
        if only is not None:
            golden["added_with"][name] = {"transformers_version": transformers.__version__,
                                          "torch_version": torch.__version__}
        golden["models"][name] = {
            "folder": name,
            "saved_dtype": "float8_e4m3fn blocks" if dtype == "fp8" else str(dtype).replace("torch.", ""),
            "expert_layout": ("fused" if any(k.endswith("mlp.experts.gate_up_proj") for k in keys)
                              else "per-expert" if any(".mlp.experts.0." in k for k in keys) else "none"),
            "sequences": seqs,
            "first_positions": first_positions(),
            "logp_f64": logp_f64,
            "logp_f32": logp_f32,
            "max_abs_f32_minus_f64": max_abs_diff(logp_f32, logp_f64),
            "max_abs_unpatched_double_minus_f64": max_abs_diff(logp_unpatched, logp_f64),
        }
        print(f"{name}: {len(keys)} tensors ({golden['models'][name]['expert_layout']} experts), "
              f"|f32 - f64| <= {golden['models'][name]['max_abs_f32_minus_f64']:.2e}, "
              f"|plain double - f64| <= {golden['models'][name]['max_abs_unpatched_double_minus_f64']:.2e}")
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(OUT, "**"), recursive=True) if os.path.isfile(p))
    print(f"wrote {OUT} ({total} bytes)")


def run(cmd, expect=0):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != expect:
        sys.exit(f"FAILED ({res.returncode}, expected {expect}): {' '.join(cmd)}\n{res.stdout}{res.stderr}")
    return res


def check_mtp_round_trip(r1, tmp):
    src = os.path.join(OUT, "deepseek_v3")
    folder = os.path.join(tmp, "deepseek_v3_mtp")
    shutil.copytree(src, folder)
    config = json.load(open(os.path.join(folder, "config.json")))
    layers = config["num_hidden_layers"]
    from safetensors.torch import load_file, save_file
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    g = torch.Generator().manual_seed(7)
    mtp = f"model.layers.{layers}."
    for k, v in list(tensors.items()):
        if k.startswith(f"model.layers.{layers - 1}."):
            tensors[mtp + k[len(f"model.layers.{layers - 1}."):]] = v.clone()
    d = config["hidden_size"]
    for n, shape in (("enorm.weight", [d]), ("hnorm.weight", [d]), ("shared_head.norm.weight", [d]),
                     ("eh_proj.weight", [d, 2 * d])):
        tensors[mtp + n] = torch.randn(shape, generator=g)
    tensors[mtp + "embed_tokens.weight"] = tensors["model.embed_tokens.weight"].clone()
    tensors[mtp + "shared_head.head.weight"] = tensors["lm_head.weight"].clone()
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    ck, exp = os.path.join(tmp, "mtp.h5"), os.path.join(tmp, "mtp_exp")
    res = run([r1, "ckpt", "import", folder, "--out", ck])
    noted = "announces" in res.stderr
    run([r1, "ckpt", "export", ck, "--out", exp])
    exported = load_file(os.path.join(exp, "model.safetensors"))
    same = sorted(exported) == sorted(tensors) and all(torch.equal(exported[k], tensors[k]) for k in tensors)
    model, loading = AutoModelForCausalLM.from_pretrained(exp, dtype=torch.float32, output_loading_info=True)
    unexpected = loading.get("unexpected_keys") or []
    only_mtp_unexpected = bool(unexpected) and all(k.startswith(mtp) for k in unexpected) and not loading.get("missing_keys")
    ok = same and only_mtp_unexpected and not noted
    print(f"MTP layer: r1 import -> export gives the same {len(tensors)} tensors: {same}; transformers loads the export "
          f"and reports only the {len(unexpected)} MTP tensors as unexpected (its DeepseekV3 has no MTP): "
          f"{only_mtp_unexpected}")
    return ok


def check_with_r1(r1):
    golden = json.load(open(os.path.join(OUT, "golden.json")))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, g in golden["models"].items():
            folder = os.path.join(OUT, g["folder"])
            ck1, ck2 = os.path.join(tmp, name + "_1.h5"), os.path.join(tmp, name + "_2.h5")
            exp1, exp2, exp_bf16 = (os.path.join(tmp, name + s) for s in ("_exp1", "_exp2", "_bf16"))
            run([r1, "ckpt", "import", folder, "--out", ck1])
            run([r1, "ckpt", "verify", ck1])
            run([r1, "ckpt", "export", ck1, "--out", exp1])
            run([r1, "ckpt", "import", exp1, "--out", ck2])
            run([r1, "ckpt", "export", ck2, "--out", exp2, "--max-shard-size", "40KB"])
            run([r1, "ckpt", "export", ck1, "--out", exp_bf16, "--dtype", "bf16"])
            # transformers loads the export: same tensors, same logits as the original folder (FP8:
            # as its dequantized weights).
            reference = folder
            if g["saved_dtype"].startswith("float8"):
                reference = dequantized_reference(folder, os.path.join(tmp, name + "_dequantized"))
                failures += not check_fp8_against_transformers_dequantize(folder, reference)
            original = load(reference)
            exported, loading = AutoModelForCausalLM.from_pretrained(exp1, dtype=torch.float32, attn_implementation="eager",
                                                                     output_loading_info=True)
            exported.eval()
            clean_load = not any(loading.get(k) for k in ("missing_keys", "unexpected_keys", "mismatched_keys",
                                                          "error_msgs"))
            sd_a, sd_b = original.state_dict(), exported.state_dict()
            same_keys = sorted(sd_a) == sorted(sd_b)
            same_values = same_keys and all(torch.equal(sd_a[k], sd_b[k]) for k in sd_a)
            seqs = g["sequences"]
            logp_a, logp_b = next_token_logp(original, seqs), next_token_logp(exported, seqs)
            same_logits = logp_a == logp_b
            # import(export(x)) == x: exporting the re-import gives byte-identical weights.
            resharded = load(exp2)
            reshard_equal = all(torch.equal(sd_a[k], resharded.state_dict()[k]) for k in sd_a)
            second = os.path.join(tmp, name + "_exp3")
            run([r1, "ckpt", "export", ck2, "--out", second])
            bytes_equal = filecmp.cmp(os.path.join(exp1, "model.safetensors"), os.path.join(second, "model.safetensors"),
                                      shallow=False)
            shards = len(glob.glob(os.path.join(exp2, "model-*-of-*.safetensors")))
            # bf16 export = every weight rounded to nearest even bf16 except the router bias (F32).
            with safe_open(os.path.join(exp_bf16, "model.safetensors"), "pt") as st:
                bf16_dtypes = {k: st.get_slice(k).get_dtype() for k in st.keys()}
            f32_kept = sorted({k.split(".")[-1] for k, v in bf16_dtypes.items() if v != "BF16"})
            bf16 = load(exp_bf16)
            rounded = load(reference)
            with torch.no_grad():
                for k, v in rounded.state_dict().items():
                    if not k.endswith("e_score_correction_bias"):
                        v.copy_(v.to(torch.bfloat16).to(v.dtype))
            bf16_exact = all(torch.equal(v, rounded.state_dict()[k]) for k, v in bf16.state_dict().items())
            bf16_diff = max_abs_diff(next_token_logp(bf16, seqs), logp_a)
            ok = clean_load and same_values and same_logits and bytes_equal and reshard_equal and shards > 1 and bf16_exact
            failures += not ok
            print(f"{name}: export loads in transformers without missing/unexpected keys: {clean_load}, with identical "
                  f"tensors: {same_values}, identical log-probs: "
                  f"{same_logits}; import(export) re-exported byte-identical: {bytes_equal}; {shards} shards load: "
                  f"{reshard_equal}; bf16 export = the rounded weights: {bf16_exact} (kept F32: {f32_kept or 'none'}; "
                  f"|logp - f32 logp| <= {bf16_diff:.3f})")
        # A DeepSeek-V3 folder with an MTP layer (model.layers.3: layer 2's block plus enorm, hnorm, eh_proj,
        # shared_head.norm and the embed_tokens / shared_head.head copies, as DeepSeek ships it).
        mtp_ok = check_mtp_round_trip(r1, tmp)
        failures += not mtp_ok
        # The tokenizer goes along (given explicitly here; a run's is found next to its checkpoints).
        name = next(iter(golden["models"]))
        with_tok = os.path.join(tmp, "with_tokenizer")
        run([r1, "ckpt", "export", os.path.join(tmp, name + "_1.h5"), "--out", with_tok, "--tokenizer",
             os.path.join(ROOT, "tokenizer_small", "tokenizer.json")])
        tok = transformers.AutoTokenizer.from_pretrained(with_tok)
        text = "r1 exports 12 tokens"
        tok_ok = tok.decode(tok(text)["input_ids"]) == text
        failures += not tok_ok
        print(f"tokenizer exported with the model loads in AutoTokenizer ({type(tok).__name__}) and round-trips text: "
              f"{tok_ok}")
        # verify fails (exit 1) on a corrupted copy.
        name = next(iter(golden["models"]))
        good = os.path.join(tmp, name + "_1.h5")
        bad = os.path.join(tmp, "corrupt.h5")
        shutil.copy(good, bad)
        info = run([r1, "ckpt", "info", good]).stdout
        print(info.splitlines()[0], "... info:", len(info.splitlines()), "lines")
        data = bytearray(open(bad, "rb").read())
        # Flip a bit inside the embedding: find its first row's f32 bytes in the file.
        with safe_open(os.path.join(OUT, golden["models"][name]["folder"], "model.safetensors"), "pt") as st:
            row = st.get_tensor("model.embed_tokens.weight")[0].float().numpy().tobytes()
        at = data.find(row)
        if at < 0:
            sys.exit("could not locate the embedding in the checkpoint file")
        data[at + 1] ^= 0x40
        open(bad, "wb").write(bytes(data))
        res = run([r1, "ckpt", "verify", bad], expect=1)
        print("verify on a corrupted copy: exit 1;", res.stderr.strip().splitlines()[-1])
    if failures:
        sys.exit(f"{failures} model(s) failed the round trip")
    print("all round trips ok")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-only", action="store_true")
    parser.add_argument("--add", default=None, help="comma-separated model names to (re)make, keeping the others")
    parser.add_argument("--r1", default=os.path.join(os.path.dirname(os.path.dirname(ROOT)), "build", "hf", "r1"))
    args = parser.parse_args()
    if args.add:
        generate(set(args.add.split(",")))
    elif not args.check_only:
        generate()
    if os.path.exists(args.r1):
        check_with_r1(args.r1)
    else:
        print(f"{args.r1} not found: skipping the r1 round-trip checks")


if __name__ == "__main__":
    main()
