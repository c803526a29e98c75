"""Every model on a table that is not QM9: test MAE against the per-element baseline, two splits.

    .venv/bin/python benchmarks/own_data.py --table runs/nci/nci.npz --out runs/nci/bench [--json]

The table comes from the worked example of the README (``examples/nci-small.smi`` -> ``qc batch
--level gfn2-xtb`` -> ``data from-store``).  For each split (random, scaffold) the graph model
is trained first; its ``split.json`` (the ids of train/validation/test) is then given to every
other model, so all of them are measured on the same test molecules:

* per-element linear baseline (element counts, fit on train);
* graph model (``train graph``: GIN on bonds with bond lengths and radial environments);
* sparse subgraph regression and subgraph boosting (``train subgraph``, fit on train);
* LightGBM on Morgan count fingerprints (radius 2, 2048 bits; early stopping on validation).

Prints MAE (meV) and the ratio to the baseline on the same molecules; writes ``results.csv``
and ``results.json`` in OUT.  Finished models are reused (rerun to resume).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from hohenberg.cli.main import main; main()"]


def run_json(args: list[str]) -> dict:
    proc = subprocess.run(CLI + [str(a) for a in args] + ["--json"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def graph_model(table: Path, out: Path, split: str, targets: list[str], epochs: int, max_time: float) -> tuple[dict, float]:
    if (out / "model.json").is_file():
        summary = json.loads((out / "model.json").read_text())
        return summary, sum(f["wall_s"] for f in summary["fits"])
    t0 = time.perf_counter()
    summary = run_json(["train", "graph", table, "--out", out, "--targets", ",".join(targets), "--split", split,
                        "--epochs", epochs, "--max-time", max_time, "--patience", 30])
    return summary, time.perf_counter() - t0


def subgraph_model(table: Path, out: Path, split_file: Path, target: str, model: str) -> tuple[float, float]:
    """(test MAE in meV, fit seconds) of ``train subgraph`` on an eV target."""
    metrics = out / "metrics.json"
    if metrics.is_file():
        result = json.loads(metrics.read_text())
    else:
        extra = ["--n-estimators", 300, "--max-depth", 4] if model == "boost" else []
        result = run_json(["train", "subgraph", table, "--target", target, "--model", model, "--out", out,
                           "--split", split_file, "--max-size", 8, *extra])
    test = result["test"]
    # a metrics.json with a bare "mae" holds eV
    return (test["mae_meV"] if "mae_meV" in test else 1000.0 * test["mae"]), result["fit_seconds"]


def morgan_counts(smiles: list[str], radius: int = 2, bits: int = 2048) -> np.ndarray:
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=bits)
    return np.stack([gen.GetCountFingerprintAsNumPy(Chem.MolFromSmiles(s)).astype(np.float32) for s in smiles])


def lightgbm_model(X: np.ndarray, y: np.ndarray, rows: dict[str, np.ndarray], seed: int = 0) -> tuple[np.ndarray, float]:
    import lightgbm as lgb

    t0 = time.perf_counter()
    model = lgb.LGBMRegressor(n_estimators=2000, learning_rate=0.03, num_leaves=31, min_child_samples=5,
                              subsample=0.8, subsample_freq=1, colsample_bytree=0.5, random_state=seed, verbose=-1,
                              n_jobs=2)
    model.fit(X[rows["train"]], y[rows["train"]], eval_set=[(X[rows["val"]], y[rows["val"]])],
              callbacks=[lgb.early_stopping(100, verbose=False)])
    return model.predict(X[rows["test"]]), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", type=Path, default=ROOT / "runs/nci/nci.npz")
    ap.add_argument("--out", type=Path, default=ROOT / "runs/nci/bench")
    ap.add_argument("--targets", default="homo_eV,gap_eV")
    ap.add_argument("--splits", default="random,scaffold")
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--max-time", type=float, default=600.0, help="graph model wall-clock budget (s)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from hohenberg.datasets.splits import split_from_file, table_smiles
    from hohenberg.molecules.table import MoleculeTable
    from hohenberg.training.baseline import run_baseline

    table = MoleculeTable.load(args.table)
    targets = args.targets.split(",")
    X = morgan_counts(table_smiles(table))
    rows_out = []
    for split in args.splits.split(","):
        gdir = args.out / f"graph-{split}"
        summary, graph_s = graph_model(args.table, gdir, split, targets, args.epochs, args.max_time)
        split_file = gdir / "split.json"
        rows = split_from_file(split_file, table)
        base = run_baseline(table, targets, split=str(split_file))
        for t in targets:
            y = table.properties[t]
            ref = base.errors[t]["mae_meV"]
            results = {"per-element baseline": (ref, 0.0),
                       "graph (GIN)": (summary["test_errors"][t]["mae_meV"], graph_s)}
            for model in ("sparse", "boost"):
                mae, sec = subgraph_model(args.table, args.out / f"subgraph-{model}-{t}-{split}", split_file, t, model)
                results[f"subgraph {model}"] = (mae, sec)
            pred, sec = lightgbm_model(X, y, rows)
            results["LightGBM Morgan counts"] = (1000.0 * float(np.mean(np.abs(pred - y[rows["test"]]))), sec)
            for name, (mae, sec) in results.items():
                rows_out.append({"split": split, "target": t, "model": name, "n_train": int(len(rows["train"])),
                                 "n_test": int(len(rows["test"])), "mae_meV": round(mae, 1),
                                 "ratio_to_baseline": round(mae / ref, 3), "fit_s": round(sec, 1)})
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "results.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows_out[0]))
        w.writeheader()
        w.writerows(rows_out)
    (args.out / "results.json").write_text(json.dumps(rows_out, indent=1))
    if args.json:
        print(json.dumps(rows_out, indent=1))
        return
    print(f"{'split':9} {'target':8} {'model':24} {'n_train':>7} {'n_test':>6} {'MAE meV':>9} {'/baseline':>9} {'fit s':>7}")
    for r in rows_out:
        print(f"{r['split']:9} {r['target']:8} {r['model']:24} {r['n_train']:7d} {r['n_test']:6d} "
              f"{r['mae_meV']:9.1f} {r['ratio_to_baseline']:9.3f} {r['fit_s']:7.1f}")


if __name__ == "__main__":
    main()
