#!/usr/bin/env python3
"""Golden verdicts for tests/unit/test_math500_judge.cpp, made with Hugging Face `math-verify`
(the answer verifier used by open-r1 / lighteval) as the outside reference implementation.

Run from the repository root (needs `pip install math-verify==0.9.0`, which brings sympy and
latex2sympy2_extended):

    python3 tests/data/math500/make_judge_golden.py

For every MATH-500 reference answer it builds candidate predictions:
  - "sympy":   sympy's own LaTeX for math-verify's parse of the answer (same value, new spelling);
  - "expand", "factor", "dot": sympy's LaTeX of the expanded / factored expression, and with
               \cdot for products (same value, when the answer is an expression);
  - "decimal": the value to 12 significant digits, when the answer is a real number;
  - "double", "plus_one": sympy's LaTeX of 2*value and value + 1 (a different value);
  - "bump":    the first integer literal of the answer plus one (usually a different value);
  - "swap":    the first two top-level comma-separated items exchanged (tuples change, sets not);
  - "bracket": the first "(" turned into "[" (intervals change; plain groups do not);
and records math-verify's verdict verify(parse(gold), parse(prediction)) for each pair in
tests/data/math500/judge_golden.jsonl: {"index", "kind", "gold", "prediction", "math_verify"}.
Pairs where math-verify cannot parse one side are skipped. The output is deterministic for a
given math-verify version (recorded in the first line as {"math_verify_version": ...}).
"""
import json
import re
from importlib.metadata import version

import sympy
from math_verify import parse, verify

SOURCE = "tests/data/math500/test.jsonl"
OUTPUT = "tests/data/math500/judge_golden.jsonl"


def parsed(text):
    return parse("$" + text + "$")


def candidates(gold, gold_parsed):
    out = []
    value = gold_parsed[0] if gold_parsed else None
    if isinstance(value, sympy.Basic):
        try:
            out.append(("sympy", sympy.latex(value)))
        except Exception:
            pass
        if isinstance(value, sympy.Expr):
            for kind, make in (("expand", lambda v: sympy.latex(sympy.expand(v))),
                               ("factor", lambda v: sympy.latex(sympy.factor(v))),
                               ("dot", lambda v: sympy.latex(v, mul_symbol="dot")),
                               ("double", lambda v: sympy.latex(2 * v)),
                               ("plus_one", lambda v: sympy.latex(v + 1))):
                try:
                    out.append((kind, make(value)))
                except Exception:
                    pass
        try:
            if value.is_number and value.is_real and value.is_finite:
                out.append(("decimal", "%.12g" % float(value)))
        except Exception:
            pass
    m = re.search(r"\d+", gold)
    if m:
        out.append(("bump", gold[: m.start()] + str(int(m.group()) + 1) + gold[m.end():]))
    if gold[:1] in "([" and gold.count(",") >= 1:
        depth, first_comma, second_end = 0, None, None
        for i, c in enumerate(gold):
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth == 0 and first_comma is not None and second_end is None:
                    second_end = i
            elif c == "," and depth == 1:
                if first_comma is None:
                    first_comma = i
                elif second_end is None:
                    second_end = i
        if first_comma is not None and second_end is not None:
            a, b = gold[1:first_comma], gold[first_comma + 1:second_end]
            out.append(("swap", gold[0] + b + "," + a + gold[second_end:]))
    if "(" in gold:
        i = gold.index("(")
        out.append(("bracket", gold[:i] + "[" + gold[i + 1:]))
    return out


def main():
    rows = [{"math_verify_version": version("math-verify")}]
    with open(SOURCE) as f:
        records = [json.loads(line) for line in f]
    for index, record in enumerate(records):
        gold = record["answer"]
        gold_parsed = parsed(gold)
        if not gold_parsed:
            continue
        seen = {gold}
        for kind, prediction in candidates(gold, gold_parsed):
            if prediction in seen:
                continue
            seen.add(prediction)
            prediction_parsed = parsed(prediction)
            if not prediction_parsed:
                continue
            verdict = bool(verify(gold_parsed, prediction_parsed))
            rows.append({"index": index, "kind": kind, "gold": gold, "prediction": prediction, "math_verify": verdict})
    with open(OUTPUT, "w") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows) - 1} pairs to {OUTPUT}")


if __name__ == "__main__":
    main()
