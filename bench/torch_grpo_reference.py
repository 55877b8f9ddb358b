#!/usr/bin/env python3
"""The TRL reference for r1's GRPO benchmark (`r1 bench grpo`): whole GRPO optimizer steps of TRL's GRPOTrainer on
one GPU, with transformers generate() for the rollouts (no vLLM), on the shapes of bench/torch_reference.py.

  model       random weights, bf16 on cuda: dense = Qwen2-1.5B shape, moe = the small DeepseekV3 (torch_reference.py)
  tokenizer   a WordLevel tokenizer built in code ("t0" .. "t{V-4}" plus <unk>, <pad>, <eos>), so nothing is downloaded
  one step    --prompts prompts x --group completions (64 x 8 = 512), each prompt --prompt-tokens random tokens,
              each completion exactly --new-tokens tokens (min_new_tokens = max_new_tokens, so EOS is never sampled),
              temperature 1.0, top-p 1.0; beta 0.001 (a reference model), mu = 1 (num_iterations), AdamW, lr 1e-6
  batching    TRL generates the whole step's 512 completions in ONE generate() call (generation_batch_size =
              per_device_train_batch_size x gradient_accumulation_steps, steps_per_generation = accumulation), then
              scores them (reference-model log-probs in chunks of the micro-batch, rewards, group advantages) and
              runs --micro-batch sequences per forward/backward, accumulated over 512 / micro-batch micro-steps
  timing      a TrainerCallback with torch.cuda.synchronize(); the first step is a warm-up and not counted.
              step_s: wall time between consecutive optimizer-step ends (data loading included);
              generate_s: GRPOTrainer._generate_single_turn (left-padding + model.generate + EOS masking);
              rollout_s: GRPOTrainer._generate_and_score_completions (generate_s + reference log-probs + rewards);
              train_s = step_s - rollout_s (policy forward/backward over all micro-batches + optimizer step)

Prints one JSON object per shape: {"ref": "trl_grpo", "shape": ..., "step_s": ..., "generate_s": ...,
"generated_tokens_per_s": ..., "peak_gib": ..., ...}; out of memory prints {"ref": "trl_grpo", "error": "out of memory"}
and exits 0. --tiny runs a tiny model in float32 on the CPU (a smoke test). Needs trl (1.16.0), datasets, dill and
multiprocess; where they are missing, install them from wheels kept in .whl/ (git-ignored):
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
usage: python3 bench/torch_grpo_reference.py --shape dense|moe [--steps N] [--prompts 64] [--group 8]
       [--new-tokens 1024] [--prompt-tokens 128] [--micro-batch M] [--max-seconds S] [--tiny]
"""
import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time

import torch
import transformers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MICRO_BATCH = {"dense": 8, "moe": 16}  # sequences of prompt + completion per forward/backward; fits 80 GB without checkpointing


def tiny_model(shape):
    if shape == "dense":
        cfg = transformers.Qwen2Config(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                                       max_position_embeddings=256, rope_theta=1e6, rms_norm_eps=1e-6)
        return transformers.Qwen2ForCausalLM(cfg)
    cfg = transformers.DeepseekV3Config(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                        num_attention_heads=4, num_key_value_heads=4, q_lora_rank=32, kv_lora_rank=16,
                                        qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=8,
                                        n_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=32, n_group=2,
                                        topk_group=1, routed_scaling_factor=2.5, first_k_dense_replace=1,
                                        max_position_embeddings=256)
    return transformers.DeepseekV3ForCausalLM(cfg)


def build_model(shape, tiny):
    if tiny:
        return tiny_model(shape)
    from torch_reference import dense_model, moe_model  # same folder: the shapes r1 benchmarks
    return dense_model() if shape == "dense" else moe_model()


def make_tokenizer(vocab_size):
    """A WordLevel tokenizer over the model's whole vocabulary: id i < V-3 is the word "t{i}"; the last three ids are
    <unk>, <pad> and <eos>. Words are split on spaces, so a prompt decoded from k ids encodes back to the same k ids."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    n = vocab_size - 3
    vocab = {f"t{i}": i for i in range(n)}
    vocab.update({"<unk>": n, "<pad>": n + 1, "<eos>": n + 2})
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>",
                                                eos_token="<eos>"), n


def run_shape(args, shape, trl, t_start):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    cuda = not args.tiny
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    completions = args.prompts * args.group
    micro = args.micro_batch or (4 if args.tiny else MICRO_BATCH[shape])
    if completions % micro:
        raise SystemExit(f"--micro-batch {micro} must divide prompts x group = {completions}")
    accum = completions // micro
    total_steps = 1 + args.steps  # one warm-up step
    info = {"ref": "trl_grpo", "shape": shape + ("_tiny" if args.tiny else ""), "trl": trl.__version__,
            "prompts": args.prompts, "group": args.group, "new_tokens": args.new_tokens,
            "prompt_tokens": args.prompt_tokens, "micro_batch": micro, "grad_accum": accum,
            "gradient_checkpointing": args.gradient_checkpointing, "beta": 0.001, "num_iterations": 1}

    tmp = tempfile.mkdtemp(prefix="trl_grpo_ref_")
    steps, stats = [], {"step_begin": None, "last_end": None, "gen_calls": 0, "gen_batch": [], "gen_s": 0.0,
                        "rollout_s": 0.0, "lens": []}
    trainer = model = None
    try:
        torch.manual_seed(0)
        model = build_model(shape, args.tiny)
        vocab = model.config.vocab_size
        # GRPOTrainer builds the reference model with from_pretrained(model.config._name_or_path): save the random
        # weights so the reference starts equal to the policy.
        model.save_pretrained(tmp)
        model.config._name_or_path = tmp
        tokenizer, n_words = make_tokenizer(vocab)

        g = torch.Generator().manual_seed(1)
        ids = torch.randint(0, n_words, (args.prompts * total_steps, args.prompt_tokens), generator=g)
        prompts = [" ".join(f"t{i}" for i in row) for row in ids.tolist()]
        assert len(tokenizer(prompts[0])["input_ids"]) == args.prompt_tokens
        dataset = Dataset.from_dict({"prompt": prompts})

        def reward_cheap(prompts, completions, completion_ids, **kwargs):
            """Rule-based and nearly free: a value in [0, 1) from the first completion tokens' ids."""
            stats["lens"].extend(len(c) for c in completion_ids)
            return [float(sum(c[:8]) % 97) / 97.0 for c in completion_ids]

        config = GRPOConfig(
            output_dir=os.path.join(tmp, "out"),
            per_device_train_batch_size=micro,
            gradient_accumulation_steps=accum,  # steps_per_generation defaults to this: one generation per step
            num_generations=args.group,
            num_iterations=1,
            beta=0.001,
            max_completion_length=args.new_tokens,
            temperature=1.0,
            top_p=1.0,
            top_k=0,
            generation_kwargs={"min_new_tokens": args.new_tokens},  # EOS is masked until new_tokens are out
            use_vllm=False,
            learning_rate=1e-6,
            lr_scheduler_type="constant",
            optim="adamw_torch_fused" if cuda else "adamw_torch",
            bf16=cuda,
            use_cpu=not cuda,
            gradient_checkpointing=args.gradient_checkpointing,  # TRL defaults to True: off unless asked
            max_steps=total_steps,
            report_to="none",
            logging_strategy="no",
            save_strategy="no",
            disable_tqdm=True,
            log_completions=False,
            shuffle_dataset=False,
            dataloader_num_workers=0,
            seed=0,
        )
        assert config.generation_batch_size == completions and config.steps_per_generation == accum

        from transformers import TrainerCallback

        class StepTimer(TrainerCallback):
            def on_train_begin(self, a, state, control, **kw):
                sync()
                stats["last_end"] = time.perf_counter()

            def on_step_begin(self, a, state, control, **kw):
                sync()
                stats["step_begin"] = time.perf_counter()
                stats.update(gen_calls=0, gen_batch=[], gen_s=0.0, rollout_s=0.0, lens=[])
                if cuda:
                    torch.cuda.reset_peak_memory_stats()

            def on_step_end(self, a, state, control, **kw):
                sync()
                now = time.perf_counter()
                lens = stats["lens"]
                steps.append({"step_s": now - stats["last_end"], "inner_s": now - stats["step_begin"],
                              "generate_s": stats["gen_s"], "rollout_s": stats["rollout_s"],
                              "gen_calls": stats["gen_calls"], "gen_batch": stats["gen_batch"],
                              "completions": len(lens), "generated_tokens": sum(lens),
                              "min_len": min(lens, default=0), "max_len": max(lens, default=0),
                              "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0})
                stats["last_end"] = now
                print(json.dumps({"progress": info["shape"], "step": len(steps) - 1,
                                  **{k: v for k, v in steps[-1].items() if k != "gen_batch"}}), file=sys.stderr,
                      flush=True)
                # stop before a step that would end past --max-seconds
                if args.max_seconds and now - t_start + steps[-1]["step_s"] > args.max_seconds:
                    control.should_training_stop = True

        trainer = GRPOTrainer(model=model, reward_funcs=reward_cheap, args=config, train_dataset=dataset,
                              processing_class=tokenizer, callbacks=[StepTimer()])
        assert trainer.ref_model is not None
        trainer.remove_callback(transformers.trainer_callback.PrinterCallback)  # keep stdout to our JSON lines

        def timed(fn, key):
            def wrapper(*a, **kw):
                sync()
                t0 = time.perf_counter()
                out = fn(*a, **kw)
                sync()
                stats[key] += time.perf_counter() - t0
                return out
            return wrapper

        trainer._generate_single_turn = timed(trainer._generate_single_turn, "gen_s")
        trainer._generate_and_score_completions = timed(trainer._generate_and_score_completions, "rollout_s")
        policy = trainer.accelerator.unwrap_model(trainer.model)
        inner_generate = policy.generate

        def counting_generate(*a, **kw):
            stats["gen_calls"] += 1
            stats["gen_batch"].append(int(kw["input_ids"].shape[0]) if "input_ids" in kw else int(a[0].shape[0]))
            return inner_generate(*a, **kw)

        policy.generate = counting_generate

        trainer.train()
        error = None
    except torch.OutOfMemoryError:
        error = "out of memory"
    except RuntimeError as e:  # an allocation failing outside the caching allocator (cuBLAS, Triton)
        if "out of memory" not in str(e).lower() and "ALLOC_FAILED" not in str(e):
            raise
        error = "out of memory"
    finally:
        del trainer, model
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
        shutil.rmtree(tmp, ignore_errors=True)

    out = dict(info)
    if error:
        out["error"] = error
    timed_steps = steps[1:] if len(steps) > 1 else steps
    out["steps_timed"] = len(steps) - 1 if len(steps) > 1 else 0
    if not steps:
        print(json.dumps(out), flush=True)
        return
    if len(steps) == 1:
        out["warmup_only"] = True  # no step after the warm-up fitted in --max-seconds: these are the warm-up's
    n = len(timed_steps)
    mean = lambda k: sum(s[k] for s in timed_steps) / n
    gen_tokens = mean("generated_tokens")
    out.update(step_s=mean("step_s"), generate_s=mean("generate_s"), rollout_s=mean("rollout_s"),
               train_s=mean("step_s") - mean("rollout_s"),
               generated_tokens_per_s=gen_tokens / mean("generate_s") if mean("generate_s") else None,
               step_tokens_per_s=(mean("completions") * args.prompt_tokens + gen_tokens) / mean("step_s"),
               completions_per_step=mean("completions"), mean_completion_len=gen_tokens / max(1, mean("completions")),
               min_completion_len=min(s["min_len"] for s in timed_steps),
               gen_calls_per_step=mean("gen_calls"), gen_batch=timed_steps[-1]["gen_batch"],
               peak_gib=max(s["peak_gib"] for s in steps), warmup_step_s=steps[0]["step_s"],
               per_step_s=[round(s["step_s"], 3) for s in timed_steps])
    if not error:
        assert out["min_completion_len"] == args.new_tokens, "completions were not forced to full length"
    print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", nargs="+", choices=["dense", "moe"], default=["dense"])
    ap.add_argument("--steps", type=int, default=2, help="timed optimizer steps, after one warm-up step")
    ap.add_argument("--prompts", type=int, default=None, help="prompts per step (64; tiny: 4)")
    ap.add_argument("--group", type=int, default=None, help="completions per prompt (8; tiny: 2)")
    ap.add_argument("--new-tokens", type=int, default=None, help="tokens per completion (1024; tiny: 16)")
    ap.add_argument("--prompt-tokens", type=int, default=None, help="tokens per prompt (128; tiny: 8)")
    ap.add_argument("--micro-batch", type=int, default=None,
                    help=f"per_device_train_batch_size (default {MICRO_BATCH}; tiny: 4)")
    ap.add_argument("--gradient-checkpointing", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=480.0,
                    help="per shape: stop before a step would end later than this after the shape started (0: no limit)")
    ap.add_argument("--tiny", action="store_true", help="tiny model, float32 on the CPU: a smoke test")
    args = ap.parse_args()
    for k, full, tiny in (("prompts", 64, 4), ("group", 8, 2), ("new_tokens", 1024, 16), ("prompt_tokens", 128, 8)):
        if getattr(args, k) is None:
            setattr(args, k, tiny if args.tiny else full)
    import trl
    transformers.utils.logging.disable_progress_bar()
    if not args.tiny:
        torch.backends.cuda.matmul.allow_tf32 = True
    print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__,
                      "device": torch.cuda.get_device_name() if not args.tiny else "cpu"}), flush=True)
    for shape in args.shape:
        run_shape(args, shape, trl, time.perf_counter())


if __name__ == "__main__":
    main()
