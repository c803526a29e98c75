"""Learning curve on QM9: test MAE against training size (1k, 10k, 110k), ours and PyG SchNet,
from the runs of ``benchmarks/qm9_full.py`` (log-log PNG beside a CSV).

The 110k point of ours is one member of the shipped ensemble alone (``member_test_mae`` of its
card), so every point is a single model; the 1k and 10k runs are the ``curve/*`` runs.

    .venv/bin/python benchmarks/qm9_learning_curve.py --runs runs/qm9-full \
        --card src/hohenberg/data/models/qm9/card.json --out docs/notes/qm9-learning-curve [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

PANELS = ("homo_eV", "lumo_eV", "gap_eV", "U0_eV")


def points(runs: Path, card: dict) -> list[dict]:
    rows = []
    for model, prefix, full in (("ours", "curve/ours", None), ("pyg-schnet", "curve/pyg-schnet", "pyg-schnet")):
        for tag in ("1k", "10k"):
            path = runs / f"{prefix}-{tag}" / "model.json"
            if path.is_file():
                s = json.loads(path.read_text())
                rows.append({"model": model, "n_train": s["provenance"]["split_sizes"]["train"],
                             "epochs": max(f["epochs"] for f in s["fits"]), "wall_s": max(f["wall_s"] for f in s["fits"]),
                             **{f"{t}_mae_meV": s["test_errors"][t]["mae_meV"] for t in PANELS}})
        if full is None:
            m = card["member_test_mae"][0]
            rows.append({"model": model, "n_train": card["split"]["sizes"]["train"],
                         "epochs": card["budget"]["epochs_per_member"][0], "wall_s": card["budget"]["wall_s_per_member"][0],
                         **{f"{t}_mae_meV": m[t]["mae_meV"] for t in PANELS}})
        elif (runs / full / "model.json").is_file():
            s = json.loads((runs / full / "model.json").read_text())
            rows.append({"model": model, "n_train": s["provenance"]["split_sizes"]["train"],
                         "epochs": max(f["epochs"] for f in s["fits"]), "wall_s": max(f["wall_s"] for f in s["fits"]),
                         **{f"{t}_mae_meV": s["test_errors"][t]["mae_meV"] for t in PANELS}})
    return rows


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(4 * len(PANELS), 3.6))
    for ax, t in zip(axes, PANELS):
        for model, style in (("ours", "o-"), ("pyg-schnet", "s--")):
            pts = sorted((r["n_train"], r[f"{t}_mae_meV"]) for r in rows if r["model"] == model)
            if pts:
                ax.loglog(*zip(*pts), style, label=model)
        ax.set_title(t.split("_")[0])
        ax.set_xlabel("training molecules")
        ax.set_ylabel("test MAE (meV)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.suptitle("QM9 test MAE vs training size (standard split, CPU budgets in the CSV)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=Path, default=Path("runs/qm9-full"))
    p.add_argument("--card", type=Path, default=Path("src/hohenberg/data/models/qm9/card.json"))
    p.add_argument("--out", type=Path, default=Path("docs/notes/qm9-learning-curve"))
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    rows = points(args.runs, json.loads(args.card.read_text()))
    with open(args.out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    plot(rows, args.out.with_suffix(".png"))
    print(json.dumps(rows, indent=2) if args.json else "\n".join(str(r) for r in rows))


if __name__ == "__main__":
    main()
