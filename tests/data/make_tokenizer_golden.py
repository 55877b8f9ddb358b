#!/usr/bin/env python3
"""Golden data for tests/unit/test_tokenizer.cpp, made with Hugging Face `tokenizers` as the
outside reference implementation of byte-level BPE.

Run from the repository root (needs `pip install tokenizers`; `transformers` is not needed):

    python3 tests/data/make_tokenizer_golden.py

It writes
  1. tests/data/tokenizer_gpt2_golden.json: the ids HF produces for GPT-2 (loaded from
     tests/data/tokenizer-gpt2/vocab.json + merges.txt) for a varied set of texts, with
     <|endoftext|> parsed as a special token ("ids") and encoded as plain text ("ids_plain"), and
     with ByteLevel(add_prefix_space=True) ("ids_prefix_space");
  2. tests/data/tokenizer_small/tokenizer.json: a small ByteLevel BPE trained by HF on a fixed
     corpus, with a Llama-3 style Split regex before ByteLevel, ignore_merges, special tokens and
     non-special added tokens (<think>, </think>), and tests/data/tokenizer_small/golden.json with
     its ids for the same texts ("ids", and "ids_plain" with encode_special_tokens on).

The output is deterministic for a given `tokenizers` version (recorded in the golden files).

Optional check of our C++ writer: the C++ test writes the tokenizer it trains, saved as
tokenizer.json, plus its own encodings (cpp_ids.json) into $R1_TOKENIZER_EXPORT_DIR when that
variable is set. Then

    R1_TOKENIZER_EXPORT_DIR=/tmp/tok build/cpu/tests/r1_unit_tests --run_test=test_tokenizer
    python3 tests/data/make_tokenizer_golden.py --verify-cpp-export /tmp/tok

loads that tokenizer.json with HF and checks HF encodes every text to the C++ ids.
"""
import argparse
import json
import os
import sys

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

DATA_DIR = os.path.dirname(os.path.abspath(__file__))
GPT2_DIR = os.path.join(DATA_DIR, "tokenizer-gpt2")
SMALL_DIR = os.path.join(DATA_DIR, "tokenizer_small")

# The Llama-3 pre-tokenizer pattern (digits in groups of at most three, case-insensitive
# contractions, newlines kept with the preceding punctuation).
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

TEXTS = [
    "",
    " ",
    "\n",
    "\t",
    "Hello, world! This is a simple test of the tokenizer.",
    "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!",
    "def square(x):\n    return x ** 2  # comment\n\n\tif (a && b) { c[i] = d->e; }\n",
    "for (int i = 0; i < n; ++i) {\n  total += values[i] * 3.5f;\n}",
    "12345678901234567890 3.14159 1,000,000 and 0x1F, 2024-01-31, 10^9+7",
    "a    b     c      d",
    "   leading spaces",
    "trailing spaces   ",
    "  both sides  ",
    "\n\n\nnewlines before and after\n\n",
    "tabs\t\tand\t \tmixed \n \t whitespace\r\nwindows line",
    "I'm sure they're here; we've seen it, he'll come, she'd know, it's fine. I'M SURE THEY'RE",
    "don't can't won't shouldn't y'all o'clock rock'n'roll",
    "Café naïve résumé Ångström façade Žluťoučký kůň jalapeño",
    "Καλημέρα κόσμε, ΑΒΓΔ αβγδ ϴϵ",
    "你好，世界！日本語のテキスト。한국어 텍스트입니다。",
    "مرحبا بالعالم ١٢٣ שלום עולם",
    "I ❤️ 🍕! 👨‍👩‍👧‍👦 family, 👍🏽 thumbs, 🏳️‍🌈 flag, 🇯🇵 🧑🏿‍💻",
    "e\u0301 a\u0308 n\u0303 Z\u0351\u0358\u0362a\u0300\u0301\u0302 \u0915\u094d\u0937",
    "Hello<|endoftext|>World",
    "<|endoftext|>",
    "a <|endoftext|> b<|endoftext|><|endoftext|>c",
    "<|endoftext",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?\n"
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72",
    "The answer is \\boxed{42}. <think>Let me think: 6*7=42.</think> $x^2 + y_1 = \\frac{1}{2}$",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>2+2=4</think>4<|im_end|>",
    "supercalifragilisticexpialidocious antidisestablishmentarianism " * 3,
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbb",
    "!!!??? ... --- *** ### $$$ %%% ^^^ &&& ((( ))) ''' \"\"\" ``` ~~~",
    "a\u00a0b\u2003c\u3000d\u2009e \u200bf\u2028g\u0085h\ufeffi",
    "x\u000by\u000cz\u001fw \u007f",
    "mixed English和中文text123数字",
]

TRAIN_LINES = [
    "The quick brown fox jumps over the lazy dog.",
    "Natalia sold clips to her friends in April, and then she sold half as many clips in May.",
    "How many clips did Natalia sell altogether in April and May?",
    "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting.",
    "Betty is saving money for a new wallet which costs $100.",
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n\tprint(i * i)\n",
    "I'm sure they're right, we've checked, and it's done.",
    "Café, naïve, résumé: accents are common in French and Spanish (jalapeño).",
    "Καλημέρα κόσμε. Η γλώσσα είναι ελληνική.",
    "你好，世界。今天天气很好。我们学习数学。",
    "日本語のテキストです。ひらがなとカタカナ。",
    "مرحبا بالعالم، هذه جملة عربية.",
    "Emoji: 😀 😃 😄 👍 ❤️ 🍕 🎉",
    "<think>First, compute 6 * 7 = 42.</think> The answer is \\boxed{42}.",
]


def training_corpus():
    lines = []
    for repeat in range(3):
        lines.extend(TRAIN_LINES)
    for a in range(1, 40):
        b = (a * 7) % 23 + 1
        lines.append(f"Tom has {a} apples and buys {b} more, so he has {a + b} apples in total.")
        lines.append(f"#### {a * b}\n{a} * {b} = <<{a}*{b}={a * b}>>{a * b}")
    return lines


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")


def golden_cases(parse_tok, plain_tok, prefix_space_tok=None):
    cases = []
    for text in TEXTS:
        ids = parse_tok.encode(text, add_special_tokens=False).ids
        ids_plain = plain_tok.encode(text, add_special_tokens=False).ids
        assert parse_tok.decode(ids, skip_special_tokens=False) == text, repr(text)
        assert plain_tok.decode(ids_plain, skip_special_tokens=False) == text, repr(text)
        case = {"text": text, "ids": ids, "ids_plain": ids_plain}
        if prefix_space_tok is not None:
            case["ids_prefix_space"] = prefix_space_tok.encode(text, add_special_tokens=False).ids
        cases.append(case)
    return cases


def make_gpt2():
    def load(add_prefix_space=False):
        model = models.BPE.from_file(os.path.join(GPT2_DIR, "vocab.json"), os.path.join(GPT2_DIR, "merges.txt"))
        tok = Tokenizer(model)
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
        tok.decoder = decoders.ByteLevel()
        return tok

    parse_tok = load()
    parse_tok.add_special_tokens(["<|endoftext|>"])
    plain_tok = load()  # <|endoftext|> stays an ordinary vocabulary entry, so its text is BPE-encoded
    prefix_space_tok = load(add_prefix_space=True)
    prefix_space_tok.add_special_tokens(["<|endoftext|>"])
    assert parse_tok.token_to_id("<|endoftext|>") == 50256
    out = {
        "source": "Hugging Face tokenizers " + tokenizers.__version__ + ", GPT-2 vocab.json + merges.txt, "
        "ByteLevel(add_prefix_space=False); ids: <|endoftext|> registered as special; ids_plain: not registered; "
        "ids_prefix_space: registered, with ByteLevel(add_prefix_space=True)",
        "cases": golden_cases(parse_tok, plain_tok, prefix_space_tok),
    }
    path = os.path.join(DATA_DIR, "tokenizer_gpt2_golden.json")
    write_json(path, out)
    print("wrote", path)


def make_small():
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=700,
        min_frequency=2,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(training_corpus(), trainer)
    tok.add_tokens(["<think>", "</think>"])  # non-special added tokens, as in DeepSeek-R1 distills
    os.makedirs(SMALL_DIR, exist_ok=True)
    json_path = os.path.join(SMALL_DIR, "tokenizer.json")
    tok.save(json_path)
    saved = json.load(open(json_path, encoding="utf-8"))
    assert saved["model"].get("ignore_merges") is True, "ignore_merges was not kept by the trainer"

    parse_tok = Tokenizer.from_file(json_path)
    plain_tok = Tokenizer.from_file(json_path)
    plain_tok.encode_special_tokens = True
    out = {
        "source": "Hugging Face tokenizers " + tokenizers.__version__ + ", tokenizer_small/tokenizer.json "
        "(trained by make_tokenizer_golden.py); ids: special tokens parsed; ids_plain: encode_special_tokens=True",
        "cases": golden_cases(parse_tok, plain_tok),
    }
    golden_path = os.path.join(SMALL_DIR, "golden.json")
    write_json(golden_path, out)
    print("wrote", json_path, "and", golden_path, "vocab size", parse_tok.get_vocab_size())


def verify_cpp_export(folder):
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    export = json.load(open(os.path.join(folder, "cpp_ids.json"), encoding="utf-8"))
    mismatches = 0
    for case in export["cases"]:
        ids = tok.encode(case["text"], add_special_tokens=False).ids
        if ids != case["ids"]:
            mismatches += 1
            print("MISMATCH", repr(case["text"][:60]), "hf", ids[:20], "cpp", case["ids"][:20])
        elif tok.decode(ids, skip_special_tokens=False) != case["text"]:
            mismatches += 1
            print("DECODE MISMATCH", repr(case["text"][:60]))
    assert tok.get_vocab_size() == export["vocab_size"], (tok.get_vocab_size(), export["vocab_size"])
    print(f"verified {len(export['cases'])} texts against the C++ tokenizer in {folder}: {mismatches} mismatches")
    return mismatches == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verify-cpp-export", metavar="DIR", help="check a tokenizer.json written by the C++ test")
    args = parser.parse_args()
    if args.verify_cpp_export:
        sys.exit(0 if verify_cpp_export(args.verify_cpp_export) else 1)
    make_gpt2()
    make_small()


if __name__ == "__main__":
    main()
