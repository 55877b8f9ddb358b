#!/usr/bin/env python3
"""The PyTorch/transformers reference for r1's GPU benchmarks (issue 6): the same shapes as
configs/bench/qwen2-1.5b.yaml and configs/bench/dsv3-moe-small.yaml, random weights, bf16, on one GPU.

  dense training  Qwen2ForCausalLM, sequences of 2048, micro-batch 8, AdamW (fused), eager and torch.compile
  MoE training    DeepseekV3ForCausalLM (transformers' implementation), same batch, eager
  decode          Qwen2 generate(): 128-token prompts, 256 new tokens, temperature 0.6, top-p 0.95, batch 1 and 64
  moe_decode      DeepseekV3 generate(), the same lengths and sampling, batch 1, 64 and 256

Prints one JSON object per measurement (tokens/s, peak memory, model FLOPs per token as r1 counts them),
each naming the card. A measurement that does not fit the card's memory prints {"bench": ..., "error":
"out of memory"} and the rest still run (an 80 GB H100 cannot hold every one).
usage: python3 bench/torch_reference.py [--only dense compile moe decode moe_decode ...] [--steps N]
"""
import argparse
import json
import time

import torch
import transformers


def flops_per_token_forward(cfg, seq):
    """The same analytic count as r1's model_flops.cpp (matrices x2, causal attention products, LM head)."""
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    pos = (seq + 1) / 2
    total = 0.0
    for layer in range(cfg["num_hidden_layers"]):
        if cfg["arch"] == "qwen2":
            hd = d // heads
            kv = cfg["num_key_value_heads"]
            attn = d * heads * hd + 2 * d * kv * hd + heads * hd * d
            qk = v = hd
            mlp = 3 * d * cfg["intermediate_size"]
        else:
            qk = cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
            v = cfg["v_head_dim"]
            lat, rope, ql = cfg["kv_lora_rank"], cfg["qk_rope_head_dim"], cfg["q_lora_rank"]
            attn = d * ql + ql * heads * qk + d * (lat + rope) + lat * heads * (cfg["qk_nope_head_dim"] + v) + heads * v * d
            if layer < cfg["first_k_dense_replace"]:
                mlp = 3 * d * cfg["intermediate_size"]
            else:
                mlp = (cfg["num_experts_per_tok"] + cfg["n_shared_experts"]) * 3 * d * cfg["moe_intermediate_size"] + d * cfg["n_routed_experts"]
        total += 2 * (attn + mlp) + 2 * heads * (qk + v) * pos
    return total + 2 * d * cfg["vocab_size"]


DENSE = dict(arch="qwen2", vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
             num_attention_heads=12, num_key_value_heads=2)
MOE = dict(arch="deepseek_v3", vocab_size=32000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=12,
           num_attention_heads=16, q_lora_rank=384, kv_lora_rank=256, qk_nope_head_dim=64, qk_rope_head_dim=32,
           v_head_dim=64, n_routed_experts=64, n_shared_experts=1, num_experts_per_tok=6, moe_intermediate_size=352,
           n_group=8, topk_group=4, first_k_dense_replace=1)


def dense_model():
    cfg = transformers.Qwen2Config(vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                                   num_attention_heads=12, num_key_value_heads=2, tie_word_embeddings=True,
                                   max_position_embeddings=4096, rope_theta=1e6, rms_norm_eps=1e-6)
    return transformers.Qwen2ForCausalLM(cfg).to(torch.bfloat16).cuda()


def moe_model():
    cfg = transformers.DeepseekV3Config(vocab_size=32000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=12,
                                        num_attention_heads=16, num_key_value_heads=16, q_lora_rank=384, kv_lora_rank=256,
                                        qk_nope_head_dim=64, qk_rope_head_dim=32, v_head_dim=64, n_routed_experts=64,
                                        n_shared_experts=1, num_experts_per_tok=6, moe_intermediate_size=352, n_group=8,
                                        topk_group=4, routed_scaling_factor=2.5, first_k_dense_replace=1,
                                        max_position_embeddings=4096)
    return transformers.DeepseekV3ForCausalLM(cfg).to(torch.bfloat16).cuda()


def train(name, model, cfg, steps, compile_model=False):
    batch, seq = 8, 2048
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1, fused=True)
    step_model = torch.compile(model) if compile_model else model
    gen = torch.Generator(device="cuda").manual_seed(0)
    ids = [torch.randint(0, cfg["vocab_size"], (batch, seq), device="cuda", generator=gen) for _ in range(4)]
    def one(i):
        out = step_model(input_ids=ids[i % 4], labels=ids[i % 4])
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
    for i in range(3 if not compile_model else 5):  # warm-up (and compilation)
        one(i)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for i in range(steps):
        one(i)
    torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / steps
    tps = batch * seq / dt
    print(json.dumps({"bench": name, "tokens_per_s": tps, "step_s": dt, "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
                      "model_tflops_per_s": 3 * flops_per_token_forward(cfg, seq) * tps / 1e12, "device": card()}), flush=True)
    del opt


def card():
    return torch.cuda.get_device_name()


def guarded(name, fn, *args, **kw):
    """Runs one measurement; out of device memory, reports it and frees what it can."""
    try:
        fn(*args, **kw)
    except torch.cuda.OutOfMemoryError:
        print(json.dumps({"bench": name, "error": "out of memory", "device": card(),
                          "device_memory_gib": torch.cuda.get_device_properties(0).total_memory / 2**30}), flush=True)
    finally:
        import gc
        gc.collect()
        torch.cuda.empty_cache()


def decode(model, batch, vocab=151936, name="decode"):
    prompt, new = 128, 256
    ids = torch.randint(0, vocab, (batch, prompt), device="cuda")
    kw = dict(max_new_tokens=new, min_new_tokens=new, do_sample=True, temperature=0.6, top_p=0.95, pad_token_id=0)
    model.generate(ids, **kw)  # warm-up
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    model.generate(ids, **kw)
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    print(json.dumps({"bench": f"{name}_batch{batch}", "tokens_per_s": batch * new / dt, "ms_per_step": 1e3 * dt / new,
                      "device": card()}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=["dense", "compile", "moe", "decode", "moe_decode"])
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = True
    print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__,
                      "device": card()}), flush=True)
    if "dense" in args.only or "compile" in args.only or "decode" in args.only:
        model = dense_model()
        if "dense" in args.only:
            guarded("dense_eager", train, "dense_eager", model, DENSE, args.steps)
            model.zero_grad(set_to_none=True)
        if "compile" in args.only:
            guarded("dense_compile", train, "dense_compile", model, DENSE, args.steps, compile_model=True)
            model.zero_grad(set_to_none=True)
        if "decode" in args.only:
            model.eval()
            with torch.no_grad():
                for b in (1, 64):
                    guarded(f"decode_batch{b}", decode, model, b)
        del model
        torch.cuda.empty_cache()
    if "moe" in args.only:
        guarded("moe_eager", lambda: train("moe_eager", moe_model(), MOE, args.steps))
    if "moe_decode" in args.only:
        model = moe_model().eval()
        with torch.no_grad():
            for b in (1, 64, 256):
                guarded(f"moe_decode_batch{b}", decode, model, b, vocab=MOE["vocab_size"], name="moe_decode")
        del model


if __name__ == "__main__":
    main()
