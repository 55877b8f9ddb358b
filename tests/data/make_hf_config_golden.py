#!/usr/bin/env python3
"""Golden Hugging Face config.json files for tests/unit/test_hf_config.cpp, made with transformers'
own config classes, and the transformers-loadability check of the files r1 writes.

Outputs (tests/data/hf/):
  deepseek_v3_tiny.json    DeepseekV3Config(...).save_pretrained: MoE + MLA, q_lora_rank null, YaRN
  deepseek_v3_legacy.json  the original DeepSeek-V3 checkpoint layout (rope_theta + rope_scaling
                           {type: yarn}, topk_method, scoring_func, moe_layer_freq, MTP, ...), scaled down
  qwen2_tiny.json          Qwen2Config(...).save_pretrained: GQA, tied embeddings, rope_theta 1e6
  llama_tiny.json          LlamaConfig(...).save_pretrained: explicit head_dim, linear RoPE scaling
  expected.json            per file, the values transformers resolves when it loads the file (what
                           the C++ reader must produce)

Check mode: tests/unit/test_hf_config.cpp compares r1's writer output with the committed files
tests/data/hf/r1_written_*.json (r1 reads each golden file and writes it back). This script loads
those files with transformers and checks they resolve to the same values as the golden inputs, so
"transformers can load what r1 writes" is verified here, not in C++. Run it under transformers 4.x
too (the files carry both the legacy and the transformers-5 RoPE keys).

Run from the repository root: python3 tests/data/make_hf_config_golden.py [--check-only]
Needs: pip install transformers (no torch; generation and checks only)
"""
import glob
import json
import os
import sys
import tempfile

import transformers
from transformers import AutoConfig, DeepseekV3Config, LlamaConfig, Qwen2Config

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf")
MAJOR = int(transformers.__version__.split(".")[0])


def saved_json(config):
    with tempfile.TemporaryDirectory() as d:
        config.save_pretrained(d)
        with open(os.path.join(d, "config.json")) as f:
            return json.load(f)


def golden_configs():
    yarn = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 128, "beta_fast": 32.0,
            "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0, "rope_theta": 10000.0}
    deepseek = DeepseekV3Config(
        vocab_size=256, hidden_size=64, intermediate_size=128, moe_intermediate_size=32, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=4, n_shared_experts=1, n_routed_experts=8, num_experts_per_tok=2,
        n_group=2, topk_group=1, first_k_dense_replace=1, kv_lora_rank=32, q_lora_rank=None, qk_rope_head_dim=8,
        qk_nope_head_dim=16, v_head_dim=16, routed_scaling_factor=2.5, max_position_embeddings=512,
        rope_parameters=yarn, tie_word_embeddings=False, rms_norm_eps=1e-6, initializer_range=0.02)
    qwen2 = Qwen2Config(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, tie_word_embeddings=True,
                        rms_norm_eps=1e-5)
    llama = LlamaConfig(vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=1, head_dim=32, max_position_embeddings=256,
                        rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 500000.0},
                        rms_norm_eps=1e-5)
    legacy = {  # the shape of deepseek-ai/DeepSeek-V3's config.json, scaled down, without quantization_config
        "architectures": ["DeepseekV3ForCausalLM"],
        "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekV3Config",
                     "AutoModel": "modeling_deepseek.DeepseekV3Model",
                     "AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM"},
        "aux_loss_alpha": 0.001, "bos_token_id": 0, "eos_token_id": 1, "ep_size": 1, "first_k_dense_replace": 1,
        "hidden_act": "silu", "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 160,
        "kv_lora_rank": 32, "max_position_embeddings": 1024, "model_type": "deepseek_v3",
        "moe_intermediate_size": 24, "moe_layer_freq": 1, "n_group": 4, "n_routed_experts": 16,
        "n_shared_experts": 1, "norm_topk_prob": True, "num_attention_heads": 4, "num_experts_per_tok": 4,
        "num_hidden_layers": 4, "num_key_value_heads": 4, "num_nextn_predict_layers": 1, "q_lora_rank": 24,
        "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "rms_norm_eps": 1e-06,
        "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 8, "mscale": 1.0, "mscale_all_dim": 1.0,
                         "original_max_position_embeddings": 128, "type": "yarn"},
        "rope_theta": 10000, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "seq_aux": True,
        "tie_word_embeddings": False, "topk_group": 2, "topk_method": "noaux_tc", "torch_dtype": "bfloat16",
        "transformers_version": "4.33.1", "use_cache": True, "v_head_dim": 16, "vocab_size": 320}
    return {"deepseek_v3_tiny": saved_json(deepseek), "deepseek_v3_legacy": legacy, "qwen2_tiny": saved_json(qwen2),
            "llama_tiny": saved_json(llama)}


def resolved_rope(config):
    """(rope_type, rope_theta, scaling parameters) as the loaded config holds them."""
    if MAJOR >= 5:
        p = dict(config.rope_parameters)
        theta = p.pop("rope_theta")
    else:
        p = dict(config.rope_scaling or {})
        theta = config.rope_theta
    rope_type = p.pop("rope_type", p.pop("type", "default"))
    p.pop("type", None)
    p = {k: float(v) for k, v in p.items() if v is not None}
    if rope_type == "yarn":
        p.setdefault("original_max_position_embeddings", float(config.max_position_embeddings))
    return {"rope_type": rope_type, "rope_theta": float(theta), "parameters": p}


def resolved(config_json):
    """What transformers makes of a config.json: the values the r1 reader must reproduce."""
    config = AutoConfig.for_model(**config_json) if "auto_map" not in config_json else DeepseekV3Config(**{
        k: v for k, v in config_json.items() if k not in ("auto_map", "model_type")})
    keys = ["model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "rms_norm_eps", "max_position_embeddings", "tie_word_embeddings", "initializer_range"]
    if config.model_type == "deepseek_v3":
        keys += ["q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "n_routed_experts",
                 "n_shared_experts", "num_experts_per_tok", "moe_intermediate_size", "n_group", "topk_group",
                 "routed_scaling_factor", "norm_topk_prob", "first_k_dense_replace", "rope_interleave",
                 "attention_bias"]
    else:
        keys += ["head_dim"]
    out = {k: getattr(config, k, None) for k in keys}
    if config.model_type == "llama":
        out["attention_bias"] = config.attention_bias
        out["mlp_bias"] = config.mlp_bias
    if config.model_type == "qwen2":
        out["use_sliding_window"] = config.use_sliding_window
    if out.get("head_dim") is None and config.model_type != "deepseek_v3":
        out["head_dim"] = config.hidden_size // config.num_attention_heads
    out["rope"] = resolved_rope(config)
    return out


def check_r1_written(expected):
    files = sorted(glob.glob(os.path.join(OUT, "r1_written_*.json")))
    if not files:
        print("no r1_written_*.json yet: run the C++ test test_hf_config first")
        return False
    ok = True
    for path in files:
        stem = os.path.basename(path)[len("r1_written_"):-len(".json")]
        with open(path) as f:
            written = json.load(f)
        got = resolved(written)
        want = expected[stem]
        for key in sorted(set(want) | set(got)):
            if want.get(key) != got.get(key):
                ok = False
                print(f"{os.path.basename(path)}: {key}: transformers resolves {got.get(key)!r}, golden {want.get(key)!r}")
        print(f"{os.path.basename(path)}: loaded by transformers {transformers.__version__}: "
              f"{'same as' if ok else 'DIFFERENT from'} {stem}.json")
    return ok


def main():
    os.makedirs(OUT, exist_ok=True)
    if "--check-only" not in sys.argv:
        configs = golden_configs()
        for stem, config_json in configs.items():
            with open(os.path.join(OUT, stem + ".json"), "w") as f:
                json.dump(config_json, f, indent=2, sort_keys=True)
                f.write("\n")
        expected = {stem: resolved(c) for stem, c in configs.items()}
        expected["transformers_version"] = transformers.__version__
        with open(os.path.join(OUT, "expected.json"), "w") as f:
            json.dump(expected, f, indent=2, sort_keys=True)
            f.write("\n")
    with open(os.path.join(OUT, "expected.json")) as f:
        expected = json.load(f)
    sys.exit(0 if check_r1_written(expected) else 1)


if __name__ == "__main__":
    main()
