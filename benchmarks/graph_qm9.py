"""Graph-learning experiment: atom-feature sets x graph views x models, multi-view attention, PyG baselines.

Every model trains on the same QM9 rows (standard split seed 0, nested random subsets), on the
same targets, with the same loss (L1 on per-target normalised residuals after per-element
offsets), optimiser, batch size, wall-clock budget and early stopping, through the shared
Lightning loop.  Prints a table of test MAE (meV) with the ratio to PyG SchNet and to the
per-element linear baseline, and the throughput (training molecules per second).

    .venv/bin/python benchmarks/graph_qm9.py --table /tmp/qm9full.npz --out runs/graph_bench
    .venv/bin/python benchmarks/graph_qm9.py --json      # same numbers as JSON

Runs already finished in OUT are read back, not retrained (delete OUT/<run> to redo one).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from hohenberg.cli.output import print_json, print_table
from hohenberg.graph.models import GraphModelConfig
from hohenberg.graph.run import GraphRunConfig, split_rows, train_graph_model
from hohenberg.models.baseline import ElementCountRegressor
from hohenberg.models.metrics import error_summary, target_label
from hohenberg.molecules.table import MoleculeTable
from hohenberg.training.curves import learning_curves
from hohenberg.training.trainer import TrainConfig

TARGETS = ("homo_eV", "lumo_eV", "gap_eV", "U0_eV")

# name -> (model, features, views, extra config)
RUNS = {
    "pyg-schnet": ("pyg-schnet", "element", ("radius",), {}),
    "schnet/gasteiger/radius": ("schnet", "gasteiger", ("radius",), {}),
    "attention-soft/gasteiger/bond+radius+complete": ("attention", "gasteiger", ("bond", "radius", "complete"), {}),
    "schnet/element/radius": ("schnet", "element", ("radius",), {}),
    "schnet/gilmer/radius": ("schnet", "gilmer", ("radius",), {}),
    "mpnn/gasteiger/bond": ("mpnn", "gasteiger", ("bond",), {}),
    "gin/gasteiger/bond": ("gin", "gasteiger", ("bond",), {}),
    "pyg-dimenet++": ("pyg-dimenet++", "element", ("radius",), {}),
    # GIN encoders train ~20x faster than continuous filters here: the view comparison and the
    # attention models with GIN encoders reach the epoch budget well inside the time cap
    "gin/element/bond": ("gin", "element", ("bond",), {}),
    "gin/gasteiger/radius": ("gin", "gasteiger", ("radius",), {}),
    "gin/gasteiger/complete": ("gin", "gasteiger", ("complete",), {}),
    "attention-soft/gin/gasteiger/bond+radius+complete": ("attention", "gasteiger", ("bond", "radius", "complete"),
                                                          {"encoder": "gin"}),
    "attention-hard/gin/gasteiger/bond+radius+complete": ("attention", "gasteiger", ("bond", "radius", "complete"),
                                                          {"encoder": "gin", "selection": "hard"}),
    # the same wall-clock cap as every other model, without the epoch cap
    "gin/gasteiger/bond/300s": ("gin", "gasteiger", ("bond",), {"_epochs": 1000}),
    "pyg-schnet/300s": ("pyg-schnet", "element", ("radius",), {"_epochs": 1000}),
    # PyG SchNet at the width and depth of our best model (PyG's default width is 128)
    "pyg-schnet128x4/300s": ("pyg-schnet", "element", ("radius",), {"hidden": 128, "layers": 4, "_epochs": 1000}),
    # the bond graph with its bond lengths, and extensive targets read out atom by atom
    "gin/gasteiger/bond+lengths/300s": ("gin", "gasteiger", ("bond",), {"bond_lengths": True, "_epochs": 1000}),
    "gin/gasteiger/bond+lengths/atomwise/300s": ("gin", "gasteiger", ("bond",),
                                                 {"bond_lengths": True, "extensive_readout": "atomwise", "_epochs": 1000}),
    "gin/gasteiger/bond/atomwise/300s": ("gin", "gasteiger", ("bond",), {"extensive_readout": "atomwise", "_epochs": 1000}),
    # GIN trains ~20x faster than SchNet: spend some of that on width and depth
    "gin64x4/gasteiger/bond+lengths/atomwise/300s": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "hidden": 64, "layers": 4, "_epochs": 1000}),
    "gin128x4/gasteiger/bond+lengths/atomwise/300s": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "hidden": 128, "layers": 4, "_epochs": 1000}),
    "gin128x6/gasteiger/bond+lengths/atomwise/300s": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "hidden": 128, "layers": 6, "_epochs": 1000}),
    # three members of 100 s each: the same 300 s of training as one model
    "gin128x4/gasteiger/bond+lengths/atomwise/3x100s": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "hidden": 128, "layers": 4, "_epochs": 1000,
        "_ensemble": 3, "_budget_s": 100.0}),
    "gin128x4/gasteiger+env/bond+lengths/atomwise/300s": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "environment": True, "hidden": 128, "layers": 4,
        "_epochs": 1000}),
    "gin128x4/gasteiger/bond+lengths/atomwise/300s/U0-only": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "hidden": 128, "layers": 4, "_epochs": 1000,
        "targets": ("U0_eV",)}),
    "gin256x4/gasteiger/bond+lengths/atomwise/300s": ("gin", "gasteiger", ("bond",), {
        "bond_lengths": True, "extensive_readout": "atomwise", "hidden": 256, "layers": 4, "_epochs": 1000}),
}


# --grid: the full product of single-view encoders x feature sets x views (25 epochs or 300 s each),
# named like the runs above so finished ones are shared
GRID = {f"{m}/{f}/{v}": (m, f, (v,), {}) for m in ("gin", "mpnn", "schnet")
        for f in ("element", "basic", "gasteiger", "gilmer") for v in ("bond", "radius", "complete")}


def _mae(errors: dict, target: str) -> float:
    """Test MAE (meV) of ``target``; NaN for a run that did not train on it."""
    return errors[target]["mae_meV"] if target in errors else float("nan")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", default="/tmp/qm9full.npz")
    p.add_argument("--out", default="runs/graph_bench")
    p.add_argument("--n-train", type=int, default=2000)
    p.add_argument("--n-val", type=int, default=500)
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--budget-s", type=float, default=300.0, help="wall-clock cap per model")
    p.add_argument("--epochs", type=int, default=25, help="epoch budget per model (the same work for every model)")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0, help="training seed (initialisation, batch order); split fixed")
    p.add_argument("--cache", default=None, help="graph cache folder (default OUT/graph_cache)")
    p.add_argument("--only", default="", help="comma-separated run names (default: all)")
    p.add_argument("--grid", action="store_true", help="also the encoder x feature set x view product (GRID)")
    p.add_argument("--reference", default="pyg-schnet/300s",
                   help="run the ratios are taken against (falls back to pyg-schnet when absent)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not Path(args.table).is_file():
        print(f"skip: no QM9 table at {args.table} (hohenberg data qm9 --out {args.table})")
        return 0
    table = MoleculeTable.load(args.table)
    out = Path(args.out)
    runs = RUNS | GRID if args.grid else RUNS
    names = [n for n in runs if not args.only or n in args.only.split(",")]
    results = {}

    # per-element linear baseline on exactly the same rows
    rows = split_rows(table, GraphRunConfig(n_train=args.n_train, n_val=args.n_val, n_test=args.n_test))
    Y = np.column_stack([table.properties[t] for t in TARGETS])
    base = ElementCountRegressor().fit(table.take(rows["train"]), Y[rows["train"]])
    pb = base.predict(table.take(rows["test"]))
    results["per-element linear"] = {"test_errors": {t: error_summary(t, Y[rows["test"], j], pb[:, j])
                                                     for j, t in enumerate(TARGETS)}}

    for name in names:
        model, feats, views, extra = runs[name]
        run_dir = out / name.replace("/", "_").replace("+", "-")
        if (run_dir / "model.json").exists():
            results[name] = json.loads((run_dir / "model.json").read_text())
            continue
        epochs = extra.get("_epochs", args.epochs)
        mcfg = GraphModelConfig(**{"model": model, "features": feats, "views": views, "targets": TARGETS,
                                   "hidden": args.hidden, "layers": args.layers}
                                | {k: v for k, v in extra.items() if not k.startswith("_")})
        tcfg = TrainConfig(max_epochs=epochs, max_time_s=extra.get("_budget_s", args.budget_s), patience=15,
                           batch_size=32, lr=1e-3, seed=args.seed, accelerator="auto")
        run = GraphRunConfig(mcfg, tcfg, args.n_train, args.n_val, args.n_test, split_seed=0,
                             ensemble=extra.get("_ensemble", 1))
        t0 = time.perf_counter()
        results[name] = train_graph_model(table, run, run_dir, cache_dir=args.cache or out / "graph_cache", resume=True,
                                          log=lambda s: print(f"[{name}] {s}", file=sys.stderr))
        print(f"[{name}] done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    ref_name = args.reference if args.reference in results else "pyg-schnet"
    ref = results.get(ref_name, {}).get("test_errors")
    base_err = results["per-element linear"]["test_errors"]
    summary = {"setup": {"table": args.table, "n_train": args.n_train, "n_val": args.n_val, "n_test": args.n_test,
                         "budget_s_per_model": args.budget_s, "epochs_per_model": args.epochs, "hidden": args.hidden, "layers": args.layers,
                         "threads": args.threads, "seed": args.seed, "targets": list(TARGETS),
                         "reference": ref_name}, "runs": {}}
    for name, r in results.items():
        e = r["test_errors"]
        entry = {f"mae_{target_label(t)}_meV": _mae(e, t) for t in TARGETS}
        if ref:
            entry |= {f"ratio_to_pyg_schnet_{target_label(t)}": _mae(e, t) / ref[t]["mae_meV"] for t in TARGETS}
        entry |= {f"ratio_to_baseline_{target_label(t)}": _mae(e, t) / base_err[t]["mae_meV"] for t in TARGETS}
        if "fits" in r:
            entry["train_molecules_per_s"] = r["train_molecules_per_s"]
            entry["epochs"] = r["fits"][0]["epochs"]
            entry["seconds_per_epoch_full_qm9_110k"] = 110_000 / r["train_molecules_per_s"]
        if "attention" in r:
            entry["attention"] = r["attention"]
        summary["runs"][name] = entry
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    curves = {n: out / n.replace("/", "_").replace("+", "-") / "member_0" / "metrics.csv" for n in names}
    curves = {n: p for n, p in curves.items() if p.exists()}
    if curves:
        learning_curves(out / "learning_curves.png", curves, ["val_mae_homo_meV", "val_mae_U0_meV"],
                        title=f"QM9, {args.n_train} training molecules, {args.epochs} epochs or {args.budget_s:.0f} s per model (300s runs: no epoch cap)")
    if args.json:
        print_json(summary)
        return 0
    cols = ["run"] + [f"{target_label(t)} MAE meV" for t in TARGETS] + [f"worst ratio vs {ref_name}", "mol/s", "epochs"]
    rows_out = []
    for name, e in summary["runs"].items():
        worst = max((e[f"ratio_to_pyg_schnet_{target_label(t)}"] for t in TARGETS), default=float("nan")) if ref else float("nan")
        rows_out.append([name] + [e[f"mae_{target_label(t)}_meV"] for t in TARGETS]
                        + [worst, e.get("train_molecules_per_s", float("nan")), e.get("epochs", "-")])
    print_table(f"QM9 test MAE ({args.n_test} molecules), {args.n_train} training, {args.epochs} epochs or {args.budget_s:.0f} s/model",
                cols, rows_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
