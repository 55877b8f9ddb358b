#!/usr/bin/env python3
"""A tiny Hugging Face model folder shaped like a real Qwen2.5 release, for the end-to-end test of a
recipe that starts from a Hugging Face folder (tests/slow/test_hf_recipe.cpp), made with the outside
references themselves: `tokenizers` trains the tokenizer, transformers builds the model, renders the
chat template and computes the log-probs.

Outputs (tests/data/hf_e2e/):
  qwen2_tiny/        config.json + model.safetensors (Qwen2ForCausalLM: 2 layers, hidden 32, GQA 4/2
                     heads, q/k/v biases, tied embeddings, 1 024 embedding rows for a smaller vocabulary,
                     as Qwen's 151 936 rows cover 151 665 ids; F32 random weights, seed 7),
                     tokenizer.json (a byte-level BPE trained on the GSM8K excerpt with the Qwen2
                     pipeline: NFC normalizer, Split by Qwen2's regex, ByteLevel without its regex;
                     <|endoftext|>, <|im_start|>, <|im_end|> added after the merges, as in Qwen),
                     tokenizer_config.json (eos <|endoftext|>, the Qwen2.5 chat template with
                     Qwen2.5-Math's default system prompt), generation_config.json (two stop ids:
                     <|im_end|> and <|endoftext|>, as Qwen2.5 instruct models list them)
  golden.json        for the first GSM8K questions: the ids of
                       apply_chat_template([{"role": "user", "content": q}], add_generation_prompt=True)
                       tokenizer(r1_zero(q)) (the R1-Zero template of the DeepSeek-R1 paper)
                     and transformers' float32 log-probs of each next token of a few sequences.

Check mode (`--check-export DIR --scores FILE`): loads an r1 export DIR with transformers'
from_pretrained (no missing or unexpected keys) and AutoTokenizer, and compares transformers' log-probs
of the sequences in FILE (`r1 score` output lines: tokens, logprobs) with r1's: prints the largest
difference. The slow test leaves both in build/cpu/tests/scratch/hf_recipe/.

Run from the repository root:  python3 tests/data/make_hf_e2e_golden.py
Needs: pip install torch transformers tokenizers safetensors
"""
import argparse
import json
import os
import sys

import torch
import transformers
import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast, Qwen2Config

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "hf_e2e")
FOLDER = os.path.join(OUT, "qwen2_tiny")
GSM8K = os.path.join(ROOT, "gsm8k", "test.jsonl")

QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# The Qwen2.5 chat template (tokenizer_config.json of the Qwen2.5 instruct releases) with Qwen2.5-Math's
# default system prompt.
CHAT_TEMPLATE = (
    "{%- if tools %}\n"
    "    {{- '<|im_start|>system\\n' }}\n"
    "    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- messages[0]['content'] }}\n"
    "    {%- else %}\n"
    "        {{- 'Please reason step by step, and put your final answer within \\\\boxed{}.' }}\n"
    "    {%- endif %}\n"
    "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided "
    "with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
    "    {%- for tool in tools %}\n"
    "        {{- \"\\n\" }}\n"
    "        {{- tool | tojson }}\n"
    "    {%- endfor %}\n"
    "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments "
    "within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": "
    "<args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n"
    "{%- else %}\n"
    "    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "    {%- else %}\n"
    "        {{- '<|im_start|>system\\nPlease reason step by step, and put your final answer within "
    "\\\\boxed{}.<|im_end|>\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endif %}\n"
    "{%- for message in messages %}\n"
    "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or "
    "(message.role == \"assistant\" and not message.tool_calls) %}\n"
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
    "    {%- elif message.role == \"assistant\" %}\n"
    "        {{- '<|im_start|>' + message.role }}\n"
    "        {%- if message.content %}\n"
    "            {{- '\\n' + message.content }}\n"
    "        {%- endif %}\n"
    "        {%- for tool_call in message.tool_calls %}\n"
    "            {%- if tool_call.function is defined %}\n"
    "                {%- set tool_call = tool_call.function %}\n"
    "            {%- endif %}\n"
    "            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n"
    "            {{- tool_call.name }}\n"
    "            {{- '\", \"arguments\": ' }}\n"
    "            {{- tool_call.arguments | tojson }}\n"
    "            {{- '}\\n</tool_call>' }}\n"
    "        {%- endfor %}\n"
    "        {{- '<|im_end|>\\n' }}\n"
    "    {%- elif message.role == \"tool\" %}\n"
    "        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n"
    "            {{- '<|im_start|>user' }}\n"
    "        {%- endif %}\n"
    "        {{- '\\n<tool_response>\\n' }}\n"
    "        {{- message.content }}\n"
    "        {{- '\\n</tool_response>' }}\n"
    "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
    "            {{- '<|im_end|>\\n' }}\n"
    "        {%- endif %}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n' }}\n"
    "{%- endif %}\n"
)


def r1_zero(question):
    """The R1-Zero template of the DeepSeek-R1 paper (Table 1); r1's rl/prompt_template.cpp writes the same."""
    return (
        "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The "
        "assistant first thinks about the reasoning process in the mind and then provides the user with the answer. "
        "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
        "respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: "
        + question + ". Assistant:"
    )


def gsm8k_records(n=None):
    with open(GSM8K, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return rows if n is None else rows[:n]


def build_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    corpus = []
    for r in gsm8k_records():
        corpus.append(r["question"])
        corpus.append(r["answer"])
    corpus.append(r1_zero("x"))
    trainer = trainers.BpeTrainer(vocab_size=900, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer=trainer)
    tok.add_special_tokens(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    return tok


def make_folder():
    os.makedirs(FOLDER, exist_ok=True)
    raw = build_tokenizer()
    fast = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                   unk_token=None, bos_token=None)
    fast.chat_template = CHAT_TEMPLATE
    fast.model_max_length = 512
    fast.save_pretrained(FOLDER)
    # transformers >= 4.43 may write the template to chat_template.jinja; keep it in tokenizer_config.json
    # (the form of the Qwen2.5 releases) so both readers are exercised by the folders r1 sees.
    jinja = os.path.join(FOLDER, "chat_template.jinja")
    config_path = os.path.join(FOLDER, "tokenizer_config.json")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    if os.path.exists(jinja):
        os.remove(jinja)
    config["chat_template"] = CHAT_TEMPLATE
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for extra in ("special_tokens_map.json",):
        p = os.path.join(FOLDER, extra)
        if os.path.exists(p):
            os.remove(p)

    torch.manual_seed(7)
    config = Qwen2Config(vocab_size=1024, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
                         bos_token_id=None, eos_token_id=raw.token_to_id("<|endoftext|>"))
    model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.float32)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0.0, 1.0 / max(p.shape[1], 1) ** 0.5 if "embed" not in name else 1.0)
            elif "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.1)
    model.generation_config.eos_token_id = [raw.token_to_id("<|im_end|>"), raw.token_to_id("<|endoftext|>")]
    model.generation_config.bos_token_id = None
    model.save_pretrained(FOLDER, safe_serialization=True)


def logprobs(model, ids):
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float()
    lp = torch.log_softmax(logits, dim=-1)
    return [float(lp[i, ids[i + 1]]) for i in range(len(ids) - 1)]


def make_golden():
    tok = AutoTokenizer.from_pretrained(FOLDER)
    model = AutoModelForCausalLM.from_pretrained(FOLDER, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    cases = []
    for r in gsm8k_records(8):
        q = r["question"]
        chat = tok.apply_chat_template([{"role": "user", "content": q}], add_generation_prompt=True, tokenize=True)
        if isinstance(chat, dict) or hasattr(chat, "input_ids"):
            chat = chat["input_ids"]
        plain = tok(r1_zero(q), add_special_tokens=True)["input_ids"]
        cases.append({"question": q, "chat_prompt_ids": list(chat), "r1_zero_prompt_ids": list(plain)})
    sequences = []
    for c in cases[:3]:
        ids = c["chat_prompt_ids"] + tok("<think>2+2=4</think><answer>4</answer>", add_special_tokens=False)["input_ids"]
        ids.append(tok.convert_tokens_to_ids("<|im_end|>"))
        sequences.append({"tokens": ids, "logprobs_f32": logprobs(model, ids)})
    golden = {
        "made_by": "tests/data/make_hf_e2e_golden.py",
        "transformers": transformers.__version__, "tokenizers": tokenizers.__version__, "torch": torch.__version__,
        "stop_ids": [tok.convert_tokens_to_ids("<|im_end|>"), tok.convert_tokens_to_ids("<|endoftext|>")],
        "prompts": cases,
        "sequences": sequences,
    }
    with open(os.path.join(OUT, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")


def check_export(export_dir, scores_path):
    model, info = AutoModelForCausalLM.from_pretrained(export_dir, torch_dtype=torch.float32,
                                                       attn_implementation="eager", output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    if problems:
        sys.exit(f"{export_dir}: transformers reports {problems}")
    AutoTokenizer.from_pretrained(export_dir)
    worst = 0.0
    n = 0
    with open(scores_path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            ref = logprobs(model, rec["tokens"])
            worst = max(worst, max(abs(a - b) for a, b in zip(ref, rec["logprobs"])))
            n += len(ref)
    print(f"{export_dir}: transformers loads it (no missing/unexpected keys); {n} log-probs, "
          f"max |transformers - r1| = {worst:.3g}")
    if worst > 1e-4:
        sys.exit("log-probs differ by more than 1e-4")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check-export")
    ap.add_argument("--scores")
    args = ap.parse_args()
    if args.check_export:
        check_export(args.check_export, args.scores)
        return
    make_folder()
    make_golden()


if __name__ == "__main__":
    main()
