#!/usr/bin/env python3
"""Plot a run's metrics.jsonl: GRPO reward, accuracy and response length over steps, with the eval
stages' pass@1 marked. Used for the README figure of the tiny R1 recipe.

usage: python3 bench/plot_metrics.py RUN_DIR/metrics.jsonl -o docs/images/tiny-r1.png
needs: matplotlib (pip install matplotlib)
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("metrics")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--title", default="tiny-r1: GRPO stages")
    ap.add_argument("--smooth", type=int, default=10, help="moving-average window in steps (1 = raw only)")
    args = ap.parse_args()

    grpo, evals = {}, []
    with open(args.metrics) as f:
        for line in f:
            r = json.loads(line)
            if r.get("kind") == "grpo":
                grpo.setdefault(r["stage"], []).append(r)
            elif r.get("kind") == "eval":
                evals.append(r)

    fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    series = [("reward/mean", "mean reward"), ("accuracy", "accuracy (rollouts)"), ("response_length/mean", "response length (tokens)")]
    for ax, (key, label) in zip(axes, series):
        for stage, rows in grpo.items():
            xs = [r["global_step"] for r in rows]
            ys = [r[key] for r in rows]
            line, = ax.plot(xs, ys, linewidth=0.8, alpha=0.35)
            w = max(1, args.smooth)
            avg = [sum(ys[max(0, i - w + 1):i + 1]) / len(ys[max(0, i - w + 1):i + 1]) for i in range(len(ys))]
            ax.plot(xs, avg, color=line.get_color(), linewidth=1.8, label=f"{stage} ({w}-step mean)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for e in evals:
        axes[1].scatter([e["step"]], [e["eval/pass@1"]], marker="*", s=120, color="black", zorder=5)
        axes[1].annotate(f'{e["stage"]}\npass@1 {e["eval/pass@1"]:.2f}', (e["step"], e["eval/pass@1"]),
                         textcoords="offset points", xytext=(4, 6), fontsize=7)
    axes[0].legend(fontsize=8)
    axes[-1].set_xlabel("global optimizer step")
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
