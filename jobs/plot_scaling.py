#!/usr/bin/env python3
"""Plots the scaling.csv that jobs/scaling.sh writes: throughput against node count (with the ideal,
linear line) and parallel efficiency against node count (ideal 1.0), side by side in one PNG.

    python3 jobs/plot_scaling.py scaling.csv scaling.png weak|strong

Needs matplotlib (pip install matplotlib); exits with 3 when it is missing so the caller can fall
back to gnuplot.
"""
import csv
import sys


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[3] not in ("weak", "strong"):
        print(__doc__, file=sys.stderr)
        return 2
    csv_path, png_path, mode = sys.argv[1:4]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_scaling.py: matplotlib is not installed (pip install matplotlib)", file=sys.stderr)
        return 3

    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        print(f"plot_scaling.py: {csv_path} has no rows", file=sys.stderr)
        return 2
    nodes = [int(r["nodes"]) for r in rows]
    tokens_per_s = [float(r["tokens_per_s"]) for r in rows]
    efficiency = [float(r["efficiency"]) for r in rows]
    base_nodes, base_tokens = nodes[0], tokens_per_s[0]
    ideal = [base_tokens * n / base_nodes for n in nodes]

    fig, (ax_tp, ax_eff) = plt.subplots(1, 2, figsize=(11, 4.2))
    title = "weak scaling (fixed batch per rank)" if mode == "weak" else "strong scaling (fixed global batch)"
    fig.suptitle(f"r1 bench train: {title}")

    ax_tp.plot(nodes, tokens_per_s, "o-", label="measured")
    ax_tp.plot(nodes, ideal, "--", color="gray", label="ideal (linear)")
    ax_tp.set_xlabel("nodes")
    ax_tp.set_ylabel("tokens/s")
    ax_tp.set_title("throughput")
    ax_eff.plot(nodes, efficiency, "o-", color="tab:green", label="measured")
    ax_eff.axhline(1.0, linestyle="--", color="gray", label="ideal")
    ax_eff.set_xlabel("nodes")
    ax_eff.set_ylabel("parallel efficiency")
    ax_eff.set_ylim(0, max(1.1, max(efficiency) * 1.1))
    ax_eff.set_title("tokens/s per rank vs. smallest run" if mode == "weak" else "speed-up / node ratio")
    for ax in (ax_tp, ax_eff):
        if len(set(nodes)) > 1:
            ax.set_xscale("log", base=2)
            if ax is ax_tp:
                ax.set_yscale("log")  # ideal scaling is then a straight line
        ax.set_xticks(nodes)
        ax.set_xticklabels([str(n) for n in nodes])
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    print(f"plot: {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
