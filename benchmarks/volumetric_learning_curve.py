"""How well can a 3D CNN approximate density -> property?  Learning curves on QM9.

    python benchmarks/volumetric_learning_curve.py --store runs/vol/store --table qm9.npz \
        [--sizes 500,1000,2000,4000] [--inputs density,promolecule,graph] [--max-time 600] \
        [--split runs/vol20k/split.json] [--graph-cache runs/qm9/qm9.npz.graphs] [--out runs/vol/lc]

For each training size and input: ``hohenberg.volumetric.run.train_volumetric`` (the same code as
``hohenberg train volumetric``) with one architecture and budget for all (residual + SE, views
``--size``^3 at ``--spacing`` A with a random rotation and translation per sample and epoch, all
13 targets, Adam, early stopping on the validation molecules, at most ``--epochs`` epochs, or
``--samples`` / N epochs (the same number of training views per cell, hence the same compute),
and at most ``--max-time`` seconds each), tested on the same held-out molecules, next to (a) the
per-element linear baseline fitted on the same training molecules.  Inputs:

* ``density``: the stored SCF density;
* ``promolecule``: superposed free-atom densities (the geometry without the SCF);
* ``hkmap``: the density a Hohenberg-Kohn map (``--hkmap DIR``) predicts from the promolecule,
  the pipeline without SCF;
* ``graph``: the graph model that ships (GIN on bonds with bond lengths and radial environments,
  atom-wise extensive readout; ``hohenberg.graph.run.train_graph_model``) on the same molecules,
  for the CPU time of the slowest 3D CNN cell of that size: the geometry-only model without a grid.

Training sets are nested (500 in 1,000 in ...).  With ``--split FILE`` (the ordered id lists of
``tools/make_volumetric_subset.py``) every cell trains on the first N training ids, validates on
the first ``--n-val`` and tests on the first ``--n-test`` ids of that file, so cells of a store
still being computed compare like with like.  A finished cell (its model.json) is reused, so the
script resumes.  Writes ``OUT/learning_curve.{json,csv,png}`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np


def run(args) -> dict:
    import torch

    from hohenberg.datasets.qm9 import TARGETS
    from hohenberg.molecules.table import MoleculeTable
    from hohenberg.training.trainer import TrainConfig
    from hohenberg.volumetric.data import ViewConfig
    from hohenberg.volumetric.models import VolumetricModelConfig
    from hohenberg.volumetric.networks import EncoderConfig
    from hohenberg.families.volumetric import train as train_volumetric
    from hohenberg.volumetric.run import VolumetricRunConfig

    torch.set_num_threads(args.threads)
    table = MoleculeTable.load(args.table)
    results = {}
    ids, left_out = usable_ids(args.split, stored_failures(args.store)) if args.split else ({}, {})
    for n in cell_sizes(args.sizes, ids):
        split = prefix_split(ids, left_out, args.split, n, args.n_val, args.n_test, args.out / "splits") if args.split else "auto"
        if args.split and not args.tabulate and any(i != "graph" for i in args.inputs.split(",")):
            require_stored(args.store, split)
        sizes = (None, None, None) if args.split else (n, args.n_val, args.n_test)
        for inp in args.inputs.split(","):
            out = args.out / f"{inp}-{n}"
            if (out / "model.json").exists():
                summary = json.loads((out / "model.json").read_text())
            elif args.tabulate:  # a cell not trained yet stays a gap in the table and the plot
                continue
            elif inp == "graph":  # the same CPU time as the slowest 3D CNN cell of this size
                walls = [fit_of(results[k])["wall_s"] for k in results if k.endswith(f"-{n}") and "graph" not in k]
                budget = min(args.max_time, max(walls)) if walls else args.max_time
                summary = train_graph_cell(table, split, sizes, args, budget, out,
                                           log=lambda s: print(f"[{inp} {n}] {s}", flush=True))
            else:
                channel = "density" if inp == "hkmap" else inp  # hkmap: the density the map predicts
                mcfg = VolumetricModelConfig(encoder=EncoderConfig(arch=args.arch),
                                             view=ViewConfig(channels=(channel,), size=args.size, spacing=args.spacing,
                                                             orientation=args.orientation),
                                             targets=TARGETS, channels_last=True)
                epochs = max(1, round(args.samples / n)) if args.samples else args.epochs
                tcfg = TrainConfig(max_epochs=epochs, max_time_s=args.max_time, patience=10,
                                   batch_size=16, lr=1e-3, accelerator="cpu", seed=args.seed)
                cfg = VolumetricRunConfig(model=mcfg, train=tcfg, n_train=sizes[0], n_val=sizes[1], n_test=sizes[2],
                                          split=str(split),
                                          density_from=f"hkmap:{args.hkmap}" if inp == "hkmap" else "store")
                summary = train_volumetric(args.store, table, cfg, out, log=lambda s: print(f"[{inp} {n}] {s}", flush=True))
            results[f"{inp}-{n}"] = summary
            print(f"[{inp} {n}] done: {fit_of(summary)['epochs']} epochs", flush=True)
    return results


def usable_ids(split: Path, failed: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The split's ordered id lists less the molecules the store failed (every cell, graph included,
    sees the same molecules), and those left out with their reasons."""
    source = json.loads(Path(split).read_text())
    parts = {p: [i for i in source[p] if i not in failed] for p in ("train", "val", "test")}
    listed = {i for p in ("train", "val", "test") for i in source[p]}
    return parts, {i: r for i, r in failed.items() if i in listed}


def cell_sizes(sizes: str, ids: dict[str, list[str]]) -> list[int]:
    """``--sizes``: training-set sizes; ``all`` is the whole usable training part."""
    if "all" in sizes.split(",") and not ids:
        raise SystemExit("--sizes all needs --split")
    return [len(ids["train"]) if s == "all" else int(s) for s in sizes.split(",")]


def stored_failures(store: Path) -> dict[str, str]:
    """Molecules the store's batch recorded as failed (e.g. too large for its box): id -> reason."""
    from hohenberg.store.to_table import store_failures

    return store_failures(store) if Path(store).is_dir() else {}


def prefix_split(ids: dict[str, list[str]], left_out: dict[str, str], path: Path, n_train: int, n_val: int,
                 n_test: int, out_dir: Path) -> Path:
    """A split file with the first ``n_train`` / ``n_val`` / ``n_test`` of the usable ids of each part
    of ``path`` (:func:`usable_ids`), naming the molecules left out."""
    parts = {"train": n_train, "val": n_val, "test": n_test}
    for part, n in parts.items():
        if len(ids[part]) < n:
            raise SystemExit(f"{path}: {part} lists {len(ids[part])} ids"
                             f"{f' ({len(left_out)} failed in the store left out)' if left_out else ''}, fewer than {n}")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"split-{n_train}.json"
    out.write_text(json.dumps({"kind": f"prefix of {path}", **{p: ids[p][:n] for p, n in parts.items()},
                               "left_out": left_out}))
    return out


def require_stored(store: Path, split: Path) -> None:
    """Every id of the cell's split is in the store (a store still being computed would otherwise
    give a smaller training set than the cell's name says)."""
    from hohenberg.store.reader import StoreReader

    reader = StoreReader(store)
    ids = json.loads(Path(split).read_text())
    missing = [i for part in ("train", "val", "test") for i in ids[part] if i not in reader]
    if missing:
        raise SystemExit(f"{store} does not hold {len(missing)} molecules of {split} yet (e.g. {missing[0]}); "
                         "let `hohenberg qc batch` reach them first")


def train_graph_cell(table, split, sizes, args, max_time: float, out: Path, log) -> dict:
    """The shipped graph model's architecture on the cell's molecules, budget and targets."""
    from hohenberg.datasets.qm9 import TARGETS
    from hohenberg.graph.models import GraphModelConfig
    from hohenberg.graph.run import GraphRunConfig, train_graph_model
    from hohenberg.training.trainer import TrainConfig

    mcfg = GraphModelConfig(model="gin", features="gasteiger", views=("bond",), targets=TARGETS, hidden=128, layers=4,
                            bond_lengths=True, extensive_readout="atomwise", environment=True)
    tcfg = TrainConfig(max_epochs=args.graph_epochs, max_time_s=max_time, patience=20, batch_size=32, lr=1e-3,
                       accelerator="cpu", seed=args.seed)
    cfg = GraphRunConfig(model=mcfg, train=tcfg, n_train=sizes[0], n_val=sizes[1], n_test=sizes[2], split=str(split))
    return train_graph_model(table, cfg, out, cache_dir=args.graph_cache, log=log)


def fit_of(summary: dict) -> dict:
    """Epochs, training time (the clock summed over resumed runs where recorded) and throughput of a
    cell (a graph model directory keeps one per member)."""
    fit = summary["fit"] if "fit" in summary else summary["fits"][0]
    clock = fit.get("clock_s")  # NaN when the fit had no time budget; absent in older model folders
    wall = clock if clock is not None and np.isfinite(clock) and clock > 0 else fit["wall_s"]
    return {"epochs": fit["epochs"], "wall_s": wall, "train_molecules_per_s": fit["train_molecules_per_s"]}


def tabulate(results: dict, out: Path) -> dict:
    from hohenberg.models.metrics import report_unit, target_label

    sizes = sorted({int(k.rsplit("-", 1)[1]) for k in results})
    order = ("density", "promolecule", "hkmap", "graph")
    inputs = sorted({k.rsplit("-", 1)[0] for k in results}, key=lambda s: order.index(s) if s in order else len(order))
    targets = list(next(iter(results.values()))["test_errors"])
    rows = []
    for n in sizes:
        base = next((results[f"{i}-{n}"]["baseline_test_errors"] for i in inputs
                     if "baseline_test_errors" in results.get(f"{i}-{n}", {})), None)
        for t in targets:
            unit = report_unit(t)[0]
            row = {"n_train": n, "target": target_label(t), "unit": unit,
                   "baseline_mae": base[t][f"mae_{unit}"] if base else float("nan")}
            for i in inputs:
                r = results.get(f"{i}-{n}")
                row[f"{i}_mae"] = r["test_errors"][t][f"mae_{unit}"] if r else float("nan")
            rows.append(row)
    fits = {k: {**fit_of(v), "n_test": v.get("n_test", v.get("provenance", {}).get("split_sizes", {}).get("test"))}
            for k, v in results.items()}
    payload = {"rows": rows, "fits": fits}
    out.mkdir(parents=True, exist_ok=True)
    (out / "learning_curve.json").write_text(json.dumps(payload, indent=2))
    with open(out / "learning_curve.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    _plot(rows, inputs, out / "learning_curve.png")
    return payload


def _plot(rows, inputs, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hohenberg.reports.figures import save_figure

    targets = list(dict.fromkeys(r["target"] for r in rows))
    ncol = 4
    fig, axes = plt.subplots(int(np.ceil(len(targets) / ncol)), ncol, figsize=(3.2 * ncol, 2.6 * np.ceil(len(targets) / ncol)))
    for ax, t in zip(axes.flat, targets):
        rs = [r for r in rows if r["target"] == t]
        n = [r["n_train"] for r in rs]
        ax.loglog(n, [r["baseline_mae"] for r in rs], "k--o", ms=3, label="per-element baseline")
        for i, c in zip(inputs, ("C0", "C1", "C2", "C3")):
            label = {"graph": "graph model (GIN)", "hkmap": "3D CNN on the HK map's density (no SCF)"}.get(
                i, f"3D CNN on {i}")
            ax.loglog(n, [r[f"{i}_mae"] for r in rs], "-o", color=c, ms=3, label=label)
        ax.set_title(f"{t} ({rs[0]['unit']})", fontsize=9)
        ax.set_xticks(n, [f"{k // 1000}k" if k % 1000 == 0 else str(k) for k in n], minor=False)
        ax.set_xticks([], minor=True)  # log-axis minor labels would crowd the cell sizes
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(targets):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.supxlabel("training molecules")
    fig.supylabel("test MAE")
    save_figure(fig, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=Path("runs/vol/store"))
    ap.add_argument("--table", type=Path, required=True)
    ap.add_argument("--sizes", default="500,1000,2000", help="training molecules per cell; 'all': the split's whole training part")
    ap.add_argument("--inputs", default="density,promolecule")
    ap.add_argument("--arch", default="resse")
    ap.add_argument("--size", type=int, default=24)
    ap.add_argument("--spacing", type=float, default=0.6)
    ap.add_argument("--orientation", default="random", help="random (SO(3) augmentation) | principal")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--max-time", type=float, default=600)
    ap.add_argument("--samples", type=int, default=None,
                    help="equal compute per 3D CNN cell: epochs = samples / training molecules (overrides --epochs)")
    ap.add_argument("--n-val", type=int, default=300)
    ap.add_argument("--n-test", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0, help="weights, batch order and views of every cell (another seed: another --out)")
    ap.add_argument("--split", type=Path, default=None, help="ordered id lists; cells take prefixes of them")
    ap.add_argument("--graph-cache", type=Path, default=None, help="graph cache folder of the table")
    ap.add_argument("--graph-epochs", type=int, default=300)
    ap.add_argument("--hkmap", type=Path, default=None, help="Hohenberg-Kohn map directory for the 'hkmap' input")
    ap.add_argument("--out", type=Path, default=Path("runs/vol/lc"))
    ap.add_argument("--tabulate", action="store_true", help="train nothing: table and plot of the cells already finished")
    args = ap.parse_args()
    results = run(args)
    if not results:  # --tabulate before any cell finished
        raise SystemExit(f"{args.out}: no finished cell of --sizes {args.sizes} x --inputs {args.inputs}")
    payload = tabulate(results, args.out)
    inputs = [k[:-4] for k in payload["rows"][0] if k.endswith("_mae") and k != "baseline_mae"]
    print("\n| n_train | target | unit | baseline | " + " | ".join("graph" if i == "graph" else f"CNN {i}" for i in inputs)
          + " |")
    print("|---|---|---|---|" + "---|" * len(inputs))
    for r in payload["rows"]:
        print(f"| {r['n_train']} | {r['target']} | {r['unit']} | {r['baseline_mae']:.3g} | "
              + " | ".join(f"{r[f'{i}_mae']:.3g}" for i in inputs) + " |")
    print(json.dumps(payload["fits"], indent=1))


if __name__ == "__main__":
    main()
