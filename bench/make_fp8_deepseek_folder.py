#!/usr/bin/env python3
"""A DeepSeek-V3-shaped Hugging Face folder of random weights laid out as the published FP8 checkpoints
(F8_E4M3 linear weights with <name>_scale_inv F32 128x128 block scales, BF16 embedding / norms / router /
LM head, F32 router bias, an MTP layer with its embed_tokens / shared_head.head copies, shards of at most
1 GB with model.safetensors.index.json, quantization_config fp8), for measuring `r1 ckpt import` memory:

  python3 bench/make_fp8_deepseek_folder.py /tmp/ds_fp8            # 4.4 GB, 6 shards, 3.08 G parameters
  /usr/bin/time -v build/cpu/r1 ckpt import /tmp/ds_fp8 --out /tmp/ds.h5   # "Maximum resident set size"

Shapes: hidden 2048, vocab 129280 (the largest tensors: embedding and LM head [129280, 2048] BF16, 530 MB,
1.06 GB in f32), 6 layers (1 dense, intermediate 8192; 5 MoE with 64 experts of width 1024, 1 shared) + 1
MTP layer, MLA with q_lora_rank 768, kv_lora_rank 256 (kv_a_proj_with_mqa [288, 2048]: partial blocks).
The values are random (FP8 codes uniform without NaN, scales uniform in [0, 1e-3)); nothing is committed.
Needs torch and safetensors.
"""
import json, math, os, sys, torch
from safetensors.torch import save_file
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
cfg = dict(architectures=["DeepseekV3ForCausalLM"], model_type="deepseek_v3", vocab_size=129280, hidden_size=2048,
           intermediate_size=8192, moe_intermediate_size=1024, num_hidden_layers=6, num_nextn_predict_layers=1,
           num_attention_heads=16, num_key_value_heads=16, n_shared_experts=1, n_routed_experts=64, num_experts_per_tok=8,
           n_group=8, topk_group=4, first_k_dense_replace=1, kv_lora_rank=256, q_lora_rank=768, qk_rope_head_dim=32,
           qk_nope_head_dim=64, v_head_dim=64, routed_scaling_factor=2.5, norm_topk_prob=True, topk_method="noaux_tc",
           scoring_func="sigmoid", max_position_embeddings=4096, rms_norm_eps=1e-6, rope_theta=10000.0,
           tie_word_embeddings=False, hidden_act="silu", torch_dtype="bfloat16",
           quantization_config={"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                "weight_block_size": [128, 128]})
json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)
d, V, L = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
H, qr, kr, rope, nope, vd = 16, 768, 256, 32, 64, 64
def layer_shapes(l):
    p = f"model.layers.{l}."
    s = {p + "input_layernorm.weight": ("bf16", [d]), p + "post_attention_layernorm.weight": ("bf16", [d]),
         p + "self_attn.q_a_proj.weight": ("fp8", [qr, d]), p + "self_attn.q_a_layernorm.weight": ("bf16", [qr]),
         p + "self_attn.q_b_proj.weight": ("fp8", [H * (nope + rope), qr]),
         p + "self_attn.kv_a_proj_with_mqa.weight": ("fp8", [kr + rope, d]),
         p + "self_attn.kv_a_layernorm.weight": ("bf16", [kr]),
         p + "self_attn.kv_b_proj.weight": ("fp8", [H * (nope + vd), kr]), p + "self_attn.o_proj.weight": ("fp8", [d, H * vd])}
    if l < cfg["first_k_dense_replace"]:
        I = cfg["intermediate_size"]
        s.update({p + "mlp.gate_proj.weight": ("fp8", [I, d]), p + "mlp.up_proj.weight": ("fp8", [I, d]),
                  p + "mlp.down_proj.weight": ("fp8", [d, I])})
    else:
        I, E = cfg["moe_intermediate_size"], cfg["n_routed_experts"]
        s[p + "mlp.gate.weight"] = ("bf16", [E, d])
        s[p + "mlp.gate.e_score_correction_bias"] = ("f32", [E])
        for e in range(E):
            s.update({p + f"mlp.experts.{e}.gate_proj.weight": ("fp8", [I, d]), p + f"mlp.experts.{e}.up_proj.weight": ("fp8", [I, d]),
                      p + f"mlp.experts.{e}.down_proj.weight": ("fp8", [d, I])})
        s.update({p + "mlp.shared_experts.gate_proj.weight": ("fp8", [I, d]), p + "mlp.shared_experts.up_proj.weight": ("fp8", [I, d]),
                  p + "mlp.shared_experts.down_proj.weight": ("fp8", [d, I])})
    return s
shapes = {"model.embed_tokens.weight": ("bf16", [V, d])}
for l in range(L + 1):
    shapes.update(layer_shapes(l))
mtp = f"model.layers.{L}."
shapes.update({mtp + "enorm.weight": ("bf16", [d]), mtp + "hnorm.weight": ("bf16", [d]), mtp + "eh_proj.weight": ("bf16", [d, 2 * d]),
               mtp + "shared_head.norm.weight": ("bf16", [d]), mtp + "embed_tokens.weight": ("copy_embed", [V, d]),
               mtp + "shared_head.head.weight": ("copy_head", [V, d]), "model.norm.weight": ("bf16", [d]),
               "lm_head.weight": ("bf16", [V, d])})
g = torch.Generator().manual_seed(0)
def make(kind, shape):
    if kind == "fp8":
        b = torch.randint(0, 256, shape, dtype=torch.uint8, generator=g)
        b[(b & 0x7F) == 0x7F] = 0x38  # no NaN codes
        return b.view(torch.float8_e4m3fn)
    if kind == "f32":
        return torch.rand(shape, generator=g) * 0.1
    return (torch.randn(shape, generator=g) * 0.02).to(torch.bfloat16)
# Shards of at most ~1 GB in name order, as the published ones.
names = sorted(shapes)
shards, cur, size, cache = [], [], 0, {}
def nbytes(n):
    k, s = shapes[n]
    return math.prod(s) * (1 if k == "fp8" else 4 if k == "f32" else 2) + (math.prod([-(-x // 128) for x in s]) * 4 if k == "fp8" else 0)
for n in names:
    if cur and size + nbytes(n) > 1_000_000_000:
        shards.append(cur); cur, size = [], 0
    cur.append(n); size += nbytes(n)
shards.append(cur)
weight_map, total = {}, 0
for i, part in enumerate(shards):
    fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
    t = {}
    for n in part:
        k, s = shapes[n]
        if k == "copy_embed": v = cache["model.embed_tokens.weight"]
        elif k == "copy_head": v = cache["lm_head.weight"]
        else: v = make(k, s)
        if n in ("model.embed_tokens.weight", "lm_head.weight"): cache[n] = v
        t[n] = v
        weight_map[n] = fname
        if k == "fp8":
            t[n + "_scale_inv"] = torch.rand([-(-x // 128) for x in s], generator=g) * 1e-3
            weight_map[n + "_scale_inv"] = fname
    save_file(t, os.path.join(out, fname), metadata={"format": "pt"})
    total += sum(v.numel() * v.element_size() for v in t.values())
    print(fname, len(t), "tensors")
json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, open(os.path.join(out, "model.safetensors.index.json"), "w"), indent=2)
big = max(shapes, key=lambda n: nbytes(n))
print("total bytes", total, "largest", big, shapes[big])
