#!/usr/bin/env python3
"""Golden safetensors files for tests/unit/test_safetensors.cpp, written by the reference
implementation (the `safetensors` package) and, for the sharded folder, split by huggingface_hub's
split_state_dict_into_shards_factory exactly as save_torch_state_dict does.

Outputs (tests/data/safetensors/):
  tiny.safetensors        every dtype r1 reads (F32, F64, F16, BF16, I32, I64), a scalar, an empty
                          tensor, metadata {"format": "pt"}
  sharded/                model-0000i-of-0000n.safetensors + model.safetensors.index.json
                          (max shard size 64 bytes, one tensor larger than that)
  expected.json           per tensor: dtype, shape and the exact values as bit patterns (F32/F16 ->
                          float32 bits of the value, BF16 -> bfloat16 bits, F64 -> float64 bits,
                          integers as integers); plus float32 -> float16 conversions by numpy
                          (round to nearest even) for the writer's F16 path

Run from the repository root: python3 tests/data/make_safetensors_golden.py
Needs: pip install safetensors numpy huggingface_hub  (generation only; the C++ tests never run Python)
"""
import json
import os

import numpy as np
import safetensors
from safetensors import _safetensors_rust as st_rust
from huggingface_hub import split_state_dict_into_shards_factory

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors")
DTYPE_NAMES = {"F32": "float32", "F64": "float64", "F16": "float16", "BF16": "bfloat16", "I32": "int32", "I64": "int64"}


def bf16_bits(values_f32):
    """float32 -> bfloat16 bit patterns, round to nearest even (what torch does)."""
    u = np.asarray(values_f32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


class T:
    """A tensor as the reference implementation sees it: dtype name, shape and raw bytes."""

    def __init__(self, dtype, shape, array):
        self.dtype, self.shape = dtype, list(shape)
        self.array = np.array(array, order="C")  # C-contiguous copy (0-d stays 0-d), kept alive while serialising

    def spec(self):
        return st_rust.TensorSpec(dtype=DTYPE_NAMES[self.dtype], shape=self.shape, data_ptr=self.array.ctypes.data,
                                  data_len=self.array.nbytes)

    def expected(self):
        a = self.array.reshape(-1)
        if self.dtype == "F32":
            values = a.view(np.uint32).tolist()
        elif self.dtype == "F16":
            values = a.astype(np.float32).view(np.uint32).tolist()
        elif self.dtype == "BF16":
            values = a.view(np.uint16).tolist()
        elif self.dtype == "F64":
            values = a.view(np.uint64).tolist()
        else:
            values = a.tolist()
        return {"dtype": self.dtype, "shape": self.shape, "values": [int(v) for v in values]}


def save(tensors, path, metadata):
    specs = {name: t.spec() for name, t in tensors.items()}
    st_rust.serialize_file(specs, path, metadata)


def tiny_tensors():
    half = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 2.0 ** -14, 2.0 ** -24, np.inf, 0.333], dtype=np.float16)
    return {
        "embed.weight": T("F32", [3, 4], (np.arange(12, dtype=np.float32) * 0.25 - 1.0).reshape(3, 4)),
        "norm.scale": T("F64", [4], np.array([1.0, 0.5, -2.25, 1e-300], dtype=np.float64)),
        "half": T("F16", [9], half),
        "brain": T("BF16", [2, 3], bf16_bits(np.array([1.0, -3.140625, 1e-3, 65504.0, 3.0e38, -0.0], np.float32)).reshape(2, 3)),
        "ids": T("I32", [5], np.array([0, 1, -7, 2147483647, -2147483648], dtype=np.int32)),
        "positions": T("I64", [2, 2], np.array([[0, 1 << 40], [-(1 << 40), 9]], dtype=np.int64)),
        "scalar": T("F32", [], np.array(3.5, dtype=np.float32)),
        "empty": T("F32", [0, 3], np.zeros((0, 3), dtype=np.float32)),
    }


def sharded_tensors():
    rng = np.random.default_rng(7)
    return {  # dict order is the sharding order
        "model.embed_tokens.weight": T("F32", [4, 4], rng.standard_normal((4, 4)).astype(np.float32)),
        "model.layers.0.mlp.weight": T("F32", [2, 4], rng.standard_normal((2, 4)).astype(np.float32)),
        "model.layers.0.norm.weight": T("BF16", [4], bf16_bits(rng.standard_normal(4).astype(np.float32))),
        "model.layers.1.big.weight": T("F32", [5, 4], rng.standard_normal((5, 4)).astype(np.float32)),
        "model.norm.weight": T("F32", [4], rng.standard_normal(4).astype(np.float32)),
        "lm_head.weight": T("F16", [2, 2], rng.standard_normal((2, 2)).astype(np.float16)),
    }


def f16_conversions():
    rng = np.random.default_rng(11)
    exponents = rng.uniform(-27.0, 17.0, 1000)
    values = (np.sign(rng.standard_normal(1000)) * np.exp2(exponents)).astype(np.float32)
    edges = np.array([0.0, -0.0, 65504.0, 65519.996, 65520.0, 1e30, -1e30, np.inf, -np.inf, 2.0 ** -24, 2.0 ** -25,
                      1.5 * 2.0 ** -25, 2.0 ** -26, 6.1e-5, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 2049.0, 2051.0,
                      2.0 ** -14 - 2.0 ** -25], dtype=np.float32)
    values = np.concatenate([edges, values])
    with np.errstate(over="ignore"):  # 1e30 -> inf is one of the cases
        halves = values.astype(np.float16)
    return {"input_bits": values.view(np.uint32).tolist(), "half_bits": halves.view(np.uint16).tolist()}


def main():
    os.makedirs(os.path.join(OUT, "sharded"), exist_ok=True)
    tiny = tiny_tensors()
    save(tiny, os.path.join(OUT, "tiny.safetensors"), {"format": "pt"})

    shards = sharded_tensors()
    split = split_state_dict_into_shards_factory(shards, get_storage_size=lambda t: t.array.nbytes,
                                                 filename_pattern="model{suffix}.safetensors", max_shard_size=64)
    assert split.is_sharded
    for filename, names in split.filename_to_tensors.items():
        save({n: shards[n] for n in names}, os.path.join(OUT, "sharded", filename), {"format": "pt"})
    index = {"metadata": dict(split.metadata), "weight_map": split.tensor_to_filename}
    with open(os.path.join(OUT, "sharded", "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)

    # Read everything back through the reference reader as a check of the files themselves.
    for name, t in tiny.items():
        with safetensors.safe_open(os.path.join(OUT, "tiny.safetensors"), framework="numpy") as f:
            if t.dtype != "BF16":
                assert np.array_equal(f.get_tensor(name), t.array, equal_nan=True), name

    expected = {
        "safetensors_version": safetensors.__version__,
        "tiny": {name: t.expected() for name, t in tiny.items()},
        "tiny_order": list(tiny.keys()),
        "sharded": {name: t.expected() for name, t in shards.items()},
        "sharded_order": list(shards.keys()),
        "sharded_max_shard_bytes": 64,
        "sharded_files": list(split.filename_to_tensors.keys()),
        "f32_to_f16": f16_conversions(),
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
