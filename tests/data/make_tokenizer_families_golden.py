#!/usr/bin/env python3
"""Builds small tokenizers shaped like real model families with Hugging Face `tokenizers` and records
the ids and decodes it gives, as goldens for tests/unit/test_tokenizer_families.cpp.

For each family it trains a BPE on tests/data/tokenizer_families/corpus.txt with tokenizers' own
trainer, gives it the family's normalizer / pre-tokenizer / model options / added tokens / decoder,
and writes tests/data/tokenizer_families/<family>/:
  tokenizer.json         the tokenizer as `tokenizers` saves it
  tokenizer_config.json  eos/bos tokens, as a model folder has them
  golden.json            tokenizers version, and per text: ids (special tokens parsed), ids_plain
                         (encode_special_tokens = True), decode of each (skip_special_tokens = False),
                         and whether decode(encode(text)) == text. Texts: a fixed varied set, the
                         family's own tokens inside text, and 25 seeded random mixes.
Families: qwen2 (Qwen2.5), qwen3, llama3, deepseek_v3, llama2_sp (SentencePiece-converted: Prepend +
Replace normalizer, byte_fallback), mistral_sp (Metaspace prepend_scheme "first", byte_fallback),
features (NFKC + Lowercase + Strip + Replace, Digits, every Split behaviour, Metaspace split,
added-token lstrip / rstrip / single_word / normalized), suffixes (NFD, continuing_subword_prefix,
end_of_word_suffix, unk without byte fallback, BPEDecoder), wordpiece_fused (NFKD, fuse_unk, WordPiece
and Regex Replace decoders).

Run from the repository root:  python3 tests/data/make_tokenizer_families_golden.py
(needs `pip install tokenizers`). The trainer breaks frequency ties through hash maps, so a rerun may
change a vocabulary; each family's tokenizer.json and golden.json are always written together.
"""
import json
import os
import random

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tokenizer_families")

QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                 r"\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                  r"\s*[\r\n]+|\s+(?!\S)|\s+")
DEEPSEEK_DIGITS = r"\p{N}{1,3}"
DEEPSEEK_CJK = "[一-龥\u3040-ゟ゠-ヿ]+"
DEEPSEEK_MAIN = ("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
                 " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")

BASE_TEXTS = [
    "Hello world",
    "I'M here, don't worry, WE'LL see. They'RE sure it's OK; You've, she'd, I'll.",
    "Digits: 1 12 123 1234 12345 1234567890 3.14159 -42 1,000,000 2024-06-01",
    "  leading spaces, trailing spaces   ",
    "tabs\tinside\t\tand\ttrailing\t",
    "line one\nline two\r\nline three\r\n\r\n\n\nafter blank lines\n",
    "    indented code\n        deeper\n",
    "caf\u00e9 vs cafe\u0301, na\u00efve vs nai\u0308ve, \u00c5ngstr\u00f6m vs A\u030angstro\u0308m",
    "你好，世界！今天天气很好。人工智能",
    "こんにちは、カタカナとひらがな。東京",
    "Привет, мир! Съешь же ещё этих мягких французских булок. ЁЛКА",
    "مرحبا بالعالم! القاهرة",
    "Emoji 😀👍🏽👋🏿 family 👨‍👩‍👧‍👦 flag 🏳️‍🌈 🇺🇸 ❤️🔥",
    "Full-width ＡＢＣ １２３ ！？ Ｈｅｌｌｏ　ｗｏｒｌｄ。",
    "Ligatures: ﬁle ﬂow oﬀice ﬃ, superscripts x² ½ ™ Ⅻ ℃",
    "LaTeX: \\frac{1}{2} + \\sqrt{x^2+y^2} = $\\alpha$ \\boxed{42}",
    "def f(x):\n    return {'a': [1, 2, 3]}  # comment\n",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
    "Σίσυφος ΣΊΣΥΦΟΣ İstanbul ǅemal ß ẞ",
    "unseen: ꙮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ᚠᛇᚻ \u0000\u0007 \u00a0nbsp \u2028sep",
    "",
    " ",
    "a",
    "\n",
    "mixed-CASE getHTTPResponse snake_case kebab-case ---- ==== ....",
    "URL https://example.com/a?b=1&c=2#d e-mail x@y.org",
]

CORPUS_PATH = os.path.join(OUT, "corpus.txt")


def corpus_lines():
    with open(CORPUS_PATH, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    # CRLF and tab variants so the trainer sees them too.
    return lines + [l + "\r\n" for l in lines[:10]] + ["\t".join(lines[:3])]


def texts_with_specials(specials):
    texts = list(BASE_TEXTS)
    for s in specials:
        texts.append(s)
        texts.append(f"{s}Hello{s}")
        texts.append(f"before {s} after")
        texts.append(f"  {s}  spaced  {s}\n")
        texts.append(f"x{s}{s}y")
    texts.append("".join(specials) + " all together " + " ".join(specials))
    return texts


def train_bpe(normalizer, pre_tokenizer, vocab_size, byte_level, **trainer_options):
    model_options = {k: v for k, v in trainer_options.items() if k in ("continuing_subword_prefix", "end_of_word_suffix")}
    tok = Tokenizer(models.BPE(**model_options))
    if normalizer is not None:
        tok.normalizer = normalizer
    if pre_tokenizer is not None:
        tok.pre_tokenizer = pre_tokenizer
    alphabet = pre_tokenizers.ByteLevel.alphabet() if byte_level else []
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=alphabet, show_progress=False,
                                  **trainer_options)
    tok.train_from_iterator(corpus_lines(), trainer=trainer)
    return json.loads(tok.to_str())


def added(content, id_, special=True, lstrip=False, rstrip=False, single_word=False, normalized=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def append_added(spec, tokens):
    """tokens: list of (content, flags dict); ids follow the model vocabulary."""
    next_id = max(spec["model"]["vocab"].values()) + 1
    for content, flags in tokens:
        spec["added_tokens"].append(added(content, next_id, **flags))
        next_id += 1


def random_texts(name, specials, count=25):
    """Seeded random mixes of corpus characters, white space, combining marks and the family's tokens."""
    rng = random.Random(name)
    with open(CORPUS_PATH, encoding="utf-8") as f:
        chars = sorted(set(f.read()))
    pool = chars + [" ", "  ", "\n", "\r\n", "\t", "\u0301", "\u0308", "'s", "'LL", "123", "ﬁ", "é", "👍🏽", "\u200d"]
    texts = []
    for _ in range(count):
        parts = [rng.choice(pool) for _ in range(rng.randint(1, 40))]
        for _ in range(rng.randint(0, 2)):
            if specials:
                parts.insert(rng.randint(0, len(parts)), rng.choice(specials))
        texts.append("".join(parts))
    return texts


def write_family(name, spec, config, texts, lossless):
    specials = [t["content"] for t in spec["added_tokens"]]
    texts = texts + random_texts(name, specials)
    tok = Tokenizer.from_str(json.dumps(spec))
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    tok.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
        f.write("\n")
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))  # what the C++ test loads
    cases = []
    for text in texts:
        tok.encode_special_tokens = False
        ids = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = True
        ids_plain = tok.encode(text, add_special_tokens=False).ids
        decoded = tok.decode(ids, skip_special_tokens=False)
        decoded_plain = tok.decode(ids_plain, skip_special_tokens=False)
        cases.append({"text": text, "ids": ids, "ids_plain": ids_plain, "decoded": decoded,
                      "decoded_plain": decoded_plain, "round_trips": decoded == text and decoded_plain == text})
    golden = {"family": name, "tokenizers_version": tokenizers.__version__, "vocab_size": tok.get_vocab_size(),
              "lossless": lossless, "cases": cases}
    with open(os.path.join(folder, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    size = os.path.getsize(os.path.join(folder, "tokenizer.json"))
    print(f"{name}: vocab {tok.get_vocab_size()}, tokenizer.json {size} bytes, {len(cases)} cases")


def byte_level_family(name, normalizer_json, splits, specials, eos, bos=None, ignore_merges=False, vocab=1500):
    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(p), behavior="isolated") for p in splits] +
                                  [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    norm = normalizers.NFC() if normalizer_json is not None else None
    spec = train_bpe(norm, pre, vocab, byte_level=True)
    spec["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    spec["model"]["ignore_merges"] = ignore_merges
    append_added(spec, specials)
    contents = [c for c, _ in specials]
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": eos, "bos_token": bos,
              "model_max_length": 4096}
    return spec, config, texts_with_specials(contents)


def sentencepiece_vocab(spec, specials):
    """Renumbers a trained vocabulary SentencePiece style: <unk>, <s>, </s>, <0x00>..<0xFF>, then the rest."""
    trained = sorted(spec["model"]["vocab"].items(), key=lambda kv: kv[1])
    vocab = {}
    for s in specials:
        vocab[s] = len(vocab)
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token, _ in trained:
        if token not in vocab:
            vocab[token] = len(vocab)
    spec["model"]["vocab"] = vocab
    spec["model"]["byte_fallback"] = True
    spec["model"]["fuse_unk"] = True
    spec["model"]["unk_token"] = "<unk>"
    spec["added_tokens"] = [added(s, vocab[s]) for s in specials]


def main():
    # 1. Qwen2.5 and Qwen3: NFC, Split(Qwen2 regex) + ByteLevel(use_regex false).
    qwen_specials = [("<|endoftext|>", {}), ("<|im_start|>", {}), ("<|im_end|>", {})]
    spec, config, texts = byte_level_family("qwen2", "NFC", [QWEN2_PATTERN], qwen_specials, "<|im_end|>")
    write_family("qwen2", spec, config, texts, lossless="nfc")
    qwen3_specials = qwen_specials + [("<think>", {"special": False}), ("</think>", {"special": False})]
    spec, config, texts = byte_level_family("qwen3", "NFC", [QWEN2_PATTERN], qwen3_specials, "<|im_end|>")
    texts.append("<|im_start|>assistant\n<think>\nLet me think.\n</think>\n\nThe answer is 42.<|im_end|>")
    write_family("qwen3", spec, config, texts, lossless="nfc")

    # 2. Llama-3: the digit-triplet regex, ignore_merges.
    llama3_specials = [(s, {}) for s in ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                         "<|end_header_id|>", "<|eot_id|>", "<|reserved_special_token_0|>"]]
    spec, config, texts = byte_level_family("llama3", None, [LLAMA3_PATTERN], llama3_specials, "<|eot_id|>",
                                            bos="<|begin_of_text|>", ignore_merges=True)
    texts.append("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>")
    write_family("llama3", spec, config, texts, lossless="all")

    # 3. DeepSeek-V3 / R1: three Splits then ByteLevel; <think> tokens added as non-special, normalized.
    ds_specials = [("<｜begin▁of▁sentence｜>", {"normalized": True}), ("<｜end▁of▁sentence｜>", {"normalized": True}),
                   ("<｜▁pad▁｜>", {"normalized": True}), ("<｜User｜>", {"special": False}),
                   ("<｜Assistant｜>", {"special": False}), ("<think>", {"special": False, "normalized": True}),
                   ("</think>", {"special": False, "normalized": True})]
    spec, config, texts = byte_level_family("deepseek_v3", None, [DEEPSEEK_DIGITS, DEEPSEEK_CJK, DEEPSEEK_MAIN],
                                            ds_specials, "<｜end▁of▁sentence｜>", bos="<｜begin▁of▁sentence｜>")
    texts.append("<｜begin▁of▁sentence｜><｜User｜>1+1?<｜Assistant｜><think>\n1+1=2\n</think>\n\n2<｜end▁of▁sentence｜>")
    write_family("deepseek_v3", spec, config, texts, lossless="all")

    # 4a. Llama-2 (SentencePiece converted): normalizer Prepend + Replace, no pre-tokenizer, byte fallback.
    sp_specials = ["<unk>", "<s>", "</s>"]
    spec = train_bpe(normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
                     pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True), 1200,
                     byte_level=False)
    sentencepiece_vocab(spec, sp_specials)
    spec["pre_tokenizer"] = None
    spec["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
        {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    config = {"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    texts = texts_with_specials(sp_specials)
    write_family("llama2_sp", spec, config, texts, lossless="none")

    # 4b. Mistral / newer conversions: Metaspace pre-tokenizer with prepend_scheme "first".
    spec = train_bpe(None, pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False), 1200,
                     byte_level=False)
    sentencepiece_vocab(spec, sp_specials)
    spec["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    write_family("mistral_sp", spec, config, texts, lossless="none")

    # 5. Other features: NFKC + Lowercase + Strip + Replace(Regex), Digits, every Split behaviour,
    #    Metaspace with split, added tokens with lstrip / rstrip / single_word / normalized.
    norm = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(), normalizers.Strip(left=True, right=True),
                                 normalizers.Replace(Regex(r" {2,}"), " ")])
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.Split("-", behavior="merged_with_previous"),
        pre_tokenizers.Split(Regex(r"[(\[{]"), behavior="merged_with_next"),
        pre_tokenizers.Split(Regex(r"[.,;:!?]"), behavior="contiguous"),
        pre_tokenizers.Split(Regex(r"[#*]"), behavior="removed"),
        pre_tokenizers.Split(Regex(r"[^@]+"), behavior="isolated", invert=True),
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
    ])
    spec = train_bpe(norm, pre, 900, byte_level=False, special_tokens=["[UNK]"], unk_token="[UNK]")
    spec["model"]["unk_token"] = "[UNK]"
    spec["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    feature_tokens = [("[MASK]", {"lstrip": True}), ("<sep>", {"rstrip": True}),
                      ("<both>", {"lstrip": True, "rstrip": True}),
                      ("hello", {"special": False, "single_word": True, "normalized": True}),
                      ("Wörld", {"special": False, "normalized": True}), ("ﬁx", {"special": False, "normalized": True}),
                      ("[RAW]", {"special": False}), ("Abc", {"special": False, "single_word": True})]
    append_added(spec, feature_tokens)
    contents = [c for c, _ in feature_tokens]
    texts = texts_with_specials(contents) + [
        "hello world, HELLO there, sayhello, hello_world, hello!", "WÖRLD wörld Wörld ﬁx FIX fix ﬁxed",
        "a [MASK] b   [MASK]c <sep>   d <both>  e", "Abc abc xAbc Abc. _Abc", "[raw] [RAW] [ RAW ]",
        "mail: x@y.z and a-b-c and f(x) [y] {z}; ok... yes!! #tag **bold**"]
    write_family("features", spec, {"eos_token": "<sep>"}, texts, lossless="none")

    # 6. Suffix and prefix models: NFD, WhitespaceSplit-like Split (Removed, inverted), continuing_subword_prefix,
    #    end_of_word_suffix, unk without byte fallback, BPEDecoder.
    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(r"\S+"), behavior="removed", invert=True),
                                   pre_tokenizers.Digits(individual_digits=False)])
    spec = train_bpe(normalizers.NFD(), pre, 1200, byte_level=False, special_tokens=["<unk>"], unk_token="<unk>",
                     continuing_subword_prefix="##", end_of_word_suffix="</w>")
    spec["model"]["unk_token"] = "<unk>"
    spec["model"]["fuse_unk"] = False
    spec["decoder"] = {"type": "BPEDecoder", "suffix": "</w>"}
    append_added(spec, [("<eos>", {})])
    write_family("suffixes", spec, {"eos_token": "<eos>"}, texts_with_specials(["<eos>"]), lossless="none")

    # 7. NFKD, fuse_unk without byte fallback, WordPiece decoder (with cleanup) and a Regex Replace decoder.
    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(r"\w+|[^\w\s]+"), behavior="removed", invert=True)])
    spec = train_bpe(normalizers.NFKD(), pre, 700, byte_level=False, special_tokens=["[UNK]"],
                     continuing_subword_prefix="##")
    spec["model"]["unk_token"] = "[UNK]"
    spec["model"]["fuse_unk"] = True
    spec["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "WordPiece", "prefix": "##", "cleanup": True},
        {"type": "Replace", "pattern": {"Regex": "[0-9]+"}, "content": "<n>"}]}
    append_added(spec, [("[SEP]", {})])
    texts = texts_with_specials(["[SEP]"]) + ["I do not know , he said . Isn ' t it ? ok !"]
    write_family("wordpiece_fused", spec, {"eos_token": "[SEP]"}, texts, lossless="none")


if __name__ == "__main__":
    main()
