"""Inverse design on QM9 with the table oracle: oracle calls to find 5 of the top-100 molecules.

One command:

    .venv/bin/python benchmarks/design_qm9.py --json > runs/design/qm9.json

Pool: a fixed random subset of QM9 (``--pool-size``, default 10,000, drawn with seed 0; the top-100
are the pool's own).  Tasks: gap max, gap min, HOMO max, dipole max.  Every search starts from the
same 50 random labelled molecules per seed (not counted as calls) and stops when 5 of the top-100
have been measured (those among the 50 count) or after ``--cap`` calls.  Strategies:

* ``random``: uniform picks (run uncapped, it costs nothing);
* ``greedy``: the GP-Tanimoto mean, no uncertainty;
* ``gp-ei``: GP-Tanimoto + expected improvement;
* ``gin-ei``: graph-network ensemble + expected improvement (slow on a CPU: ``--graph-seeds``);
* ``gp-ucb``, ``gp-ts``: GP-Tanimoto + UCB (beta 4) or Thompson sampling (not in the default set);
* ``gp3d-ei``: GP-Tanimoto-3D (fingerprint + force-field polarity descriptors on the table's own
  B3LYP geometry) + EI; ``gp3d-mmff-ei``: the same with ETKDG + MMFF94 geometries from the SMILES,
  what a pool without geometries gets (not in the default set; the descriptors are cached in
  ``--out``, the MMFF ones take minutes).

Reported per task and strategy: median, quartiles, min and max of the calls over seeds, how many
seeds found all 5 within the cap (a censored seed counts as the cap, so a median is then a lower
bound), and the ratio random median / strategy median measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
TASKS = {"gap-max": ("gap_eV", "max"), "gap-min": ("gap_eV", "min"), "homo-max": ("homo_eV", "max"),
         "dipole-max": ("mu_D", "max")}
# name: (surrogate, acquisition, features); features name the geometry the 3D surrogate sees
STRATEGIES = {"random": ("gp-tanimoto", "random", "gp-tanimoto"), "greedy": ("gp-tanimoto", "greedy", "gp-tanimoto"),
              "gp-ei": ("gp-tanimoto", "ei", "gp-tanimoto"), "gin-ei": ("gin", "ei", "gin"),
              "gp-ucb": ("gp-tanimoto", "ucb", "gp-tanimoto"), "gp-ts": ("gp-tanimoto", "thompson", "gp-tanimoto"),
              "gp3d-ei": ("gp-tanimoto-3d", "ei", "3d-table"), "gp3d-mmff-ei": ("gp-tanimoto-3d", "ei", "3d-mmff")}


def search(pool, y, task, strategy, seed, features, args) -> dict:
    from hohenberg.design.acquisition import Goal
    from hohenberg.design.loop import DesignConfig, DesignRun
    from hohenberg.design.oracle import TableOracle
    from hohenberg.design.surrogates import GPTanimoto3D, GraphEnsemble

    target, goal = TASKS[task]
    top = set(np.argsort(-Goal(goal).score(y), kind="stable")[:args.top].tolist())
    surrogate, acquisition, _ = STRATEGIES[strategy]
    cap = len(pool) if strategy == "random" else args.n_initial + args.cap
    batch = args.graph_batch if surrogate == "gin" else args.batch
    cfg = DesignConfig(target, goal, "qm9-subset", surrogate=surrogate, acquisition=acquisition, batch=batch,
                       budget=cap, n_initial=args.n_initial, seed=seed)
    run = DesignRun(cfg, pool, TableOracle(y), features=features)
    if surrogate == "gin":
        run.surrogate = GraphEnsemble(n_members=args.graph_members, hidden=32, epochs=args.graph_epochs,
                                      warm_epochs=args.graph_warm_epochs, seed=seed)
    if surrogate == "gp-tanimoto-3d" and args.gp3d_kernel != "sum-linear":
        run.surrogate = GPTanimoto3D(combine=args.gp3d_kernel.split("-")[0], linear=False)
    t = time.perf_counter()
    run.run(stop=lambda r: sum(c["index"] in top for c in r.calls) >= args.find)
    hits = np.cumsum([c["index"] in top for c in run.calls])
    found = bool(hits[-1] >= args.find)
    at = int(np.argmax(hits >= args.find)) + 1 if found else len(run.calls)
    return {"task": task, "strategy": strategy, "seed": seed, "found": found,
            "calls": max(at - args.n_initial, 0), "hits_in_start": int(hits[args.n_initial - 1]),
            "wall_s": round(time.perf_counter() - t, 2)}


def summarise(rows, args) -> dict:
    out = {}
    for task in TASKS:
        per = {}
        for strategy in STRATEGIES:
            r = [x for x in rows if x["task"] == task and x["strategy"] == strategy]
            if not r:
                continue
            c = np.array([x["calls"] for x in r], float)
            per[strategy] = {"seeds": len(r), "found": int(sum(x["found"] for x in r)),
                             "median": float(np.median(c)), "q25": float(np.quantile(c, 0.25)),
                             "q75": float(np.quantile(c, 0.75)), "min": float(c.min()), "max": float(c.max()),
                             "wall_s": round(sum(x["wall_s"] for x in r), 1)}
        rnd = per.get("random", {}).get("median")
        for s, v in per.items():
            v["ratio_vs_random"] = None if not rnd or not v["median"] else round(rnd / v["median"], 2)
        out[task] = per
    return out


def plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(TASKS), figsize=(3.2 * len(TASKS), 3.4), sharey=True)
    for ax, task in zip(axes, TASKS):
        names = [s for s in STRATEGIES if any(x["task"] == task and x["strategy"] == s for x in rows)]
        data = [[max(x["calls"], 1) for x in rows if x["task"] == task and x["strategy"] == s] for s in names]
        ax.boxplot(data, showfliers=False)
        for i, d in enumerate(data, start=1):
            cens = [x["found"] for x in rows if x["task"] == task and x["strategy"] == names[i - 1]]
            jitter = np.random.default_rng(i).uniform(-0.15, 0.15, len(d))
            ax.scatter(i + jitter, d, s=9, c=["C0" if f else "C3" for f in cens], zorder=3)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=30, fontsize=8)
        ax.set_yscale("log")
        ax.set_title(task, fontsize=9)
    axes[0].set_ylabel("oracle calls to find 5 of the top-100\n(after 50 labelled; red: not within cap)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default=str(ROOT / "runs/qm9/qm9.npz"))
    ap.add_argument("--pool-size", type=int, default=10000)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    ap.add_argument("--graph-seeds", type=int, default=3)
    ap.add_argument("--strategies", default="random,greedy,gp-ei,gin-ei")
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--n-initial", type=int, default=50)
    ap.add_argument("--top", type=int, default=100)
    ap.add_argument("--find", type=int, default=5)
    ap.add_argument("--cap", type=int, default=500, help="calls after the start, model-based strategies")
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--graph-batch", type=int, default=25)
    ap.add_argument("--graph-members", type=int, default=3)
    ap.add_argument("--graph-epochs", type=int, default=60)
    ap.add_argument("--graph-warm-epochs", type=int, default=15)
    ap.add_argument("--gp3d-kernel", default="sum-linear", choices=("sum-linear", "sum", "product"),
                    help="gp3d strategies: Tanimoto + RBF + linear on the descriptors, Tanimoto + RBF, Tanimoto x RBF")
    ap.add_argument("--out", default=str(ROOT / "runs/design"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    import warnings

    warnings.filterwarnings("ignore")  # BoTorch's optimiser warnings on a few fits
    from hohenberg.design.pool import Pool
    from hohenberg.design.polarity import polarity_matrix
    from hohenberg.design.surrogates import featurize, morgan_fingerprints
    from hohenberg.molecules.table import MoleculeTable

    t0 = time.perf_counter()
    table = MoleculeTable.load(args.table)
    rows_idx = np.sort(np.random.default_rng(0).choice(len(table), min(args.pool_size, len(table)), replace=False))
    smiles = [str(s) for s in table.text["smiles"][rows_idx]]
    pool = Pool([str(i) for i in table.ids[rows_idx]], smiles)
    strategies = args.strategies.split(",")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    features = {"gp-tanimoto": morgan_fingerprints(smiles)}
    if "gin-ei" in strategies:
        features["gin"] = featurize("gin", smiles)
    for geometry in ("table", "mmff"):
        if f"3d-{geometry}" not in {STRATEGIES[s][2] for s in strategies}:
            continue
        cache = out / f"polarity-{geometry}-{len(pool)}.npy"  # the pool is fixed by its size (seed 0)
        if cache.is_file():
            desc = np.load(cache)
        else:
            desc = polarity_matrix(smiles, table.take(rows_idx) if geometry == "table" else None)
            np.save(cache, desc)
        features[f"3d-{geometry}"] = np.hstack([features["gp-tanimoto"], desc.astype(np.float32)])
    prep_s = time.perf_counter() - t0
    rows = []
    for task in args.tasks.split(","):
        y = np.asarray(table.properties[TASKS[task][0]][rows_idx], float)
        for strategy in strategies:
            seeds = args.graph_seeds if strategy == "gin-ei" else args.seeds
            for seed in range(args.first_seed, args.first_seed + seeds):
                r = search(pool, y, task, strategy, seed, features[STRATEGIES[strategy][2]], args)
                rows.append(r)
                print(json.dumps(r), file=sys.stderr, flush=True)
                with open(out / "design-qm9.csv", "w", newline="") as fh:  # rewritten as it grows
                    w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                    w.writeheader()
                    w.writerows(rows)
    plot(rows, out / "design-qm9.png")
    result = {"pool_size": len(pool), "pool_seed": 0, "n_initial": args.n_initial, "top": args.top, "find": args.find,
              "cap": args.cap, "batch": args.batch, "graph_batch": args.graph_batch, "seeds": args.seeds,
              "graph_seeds": args.graph_seeds, "first_seed": args.first_seed,
              "gp3d_kernel": args.gp3d_kernel, "prep_s": round(prep_s, 1),
              "wall_s": round(time.perf_counter() - t0, 1), "tasks": summarise(rows, args),
              "files": {"csv": str(out / "design-qm9.csv"), "png": str(out / "design-qm9.png")}}
    (out / "design-qm9.json").write_text(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for task, per in result["tasks"].items():
            for s, v in per.items():
                print(f"{task:11s} {s:7s} median {v['median']:7.1f} [{v['q25']:.0f}, {v['q75']:.0f}] "
                      f"found {v['found']}/{v['seeds']} x{v['ratio_vs_random']}")


if __name__ == "__main__":
    main()
