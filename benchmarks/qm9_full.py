"""Full QM9 on this CPU: the shipped model's ensemble, PyG SchNet and PyG DimeNet++ at the same
wall-clock budget, and a learning curve (1k, 10k, 110k training molecules), on the standard
split (110,000 / 10,000 / 10,831), all 13 targets.

Every run is a `hohenberg train graph` command (printed in the log and the table), runs go
``--jobs`` at a time with one thread each, and every run resumes where it stopped: rerun the
same command after an interruption.  The table (markdown, CSV and JSON in OUT) gives test MAE
per target and the budget of each row (hardware, wall seconds, epochs).

    .venv/bin/python benchmarks/qm9_full.py --table runs/qm9/qm9.npz --out runs/qm9-full \
        [--only ours,pyg-schnet] [--jobs 2] [--budget 2700] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOHENBERG = [str(Path(sys.executable).with_name("hohenberg"))]

OURS = ["--model", "gin", "--features", "gasteiger", "--views", "bond", "--bond-lengths", "--environment",
        "--atomwise", "--hidden", "128", "--layers", "4"]
SCHNET = ["--model", "pyg-schnet", "--features", "element", "--views", "radius", "--hidden", "32", "--layers", "3"]
DIMENET = ["--model", "pyg-dimenet++", "--features", "element", "--views", "radius", "--hidden", "32", "--layers", "3"]
COMMON = ["--targets", "all", "--lr", "1e-3", "--lr-schedule", "cosine", "--patience", "100"]
FOUR = ["--targets", "homo_eV,lumo_eV,gap_eV,U0_eV", "--lr", "1e-3", "--lr-schedule", "cosine", "--patience", "100"]


def runs(budget: float) -> dict[str, dict]:
    """name -> {args, out, after}: epochs sized so that each run's schedule fills its budget on
    this machine (measured in these runs: ours ~940, SchNet 32x3 ~750 molecules/s; DimeNet++ 32x3
    ~150 in benchmarks/graph_throughput.py)."""
    b = str(int(budget))
    out = {}
    for k in range(3):
        out[f"ours/member{k}"] = {"args": OURS + COMMON + ["--epochs", "19", "--max-time", b, "--ensemble", "3",
                                                          "--member", str(k)], "out": "gin"}
    out["ours"] = {"args": OURS + COMMON + ["--epochs", "19", "--max-time", b, "--ensemble", "3"], "out": "gin",
                   "after": [f"ours/member{k}" for k in range(3)]}
    out["pyg-schnet"] = {"args": SCHNET + COMMON + ["--epochs", "17", "--max-time", b], "out": "pyg-schnet"}
    # the same SchNet with a schedule of 8 epochs (about 20 minutes here): a second point at a smaller budget
    out["pyg-schnet-8-epochs"] = {"args": SCHNET + COMMON + ["--epochs", "8", "--max-time", b],
                                  "out": "pyg-schnet-8-epochs"}
    out["pyg-dimenet++"] = {"args": DIMENET + COMMON + ["--epochs", "4", "--max-time", b], "out": "pyg-dimenet++"}
    # learning curve: one model per size, the full test split, 1,000 validation molecules (a 10,000-molecule
    # validation pass would cost more than a 1k epoch); epochs sized to the budget per model
    for n, t, ours_epochs, schnet_epochs in ((1000, 240, 150, 100), (10000, 600, 50, 36)):
        tag = f"{n // 1000}k"
        size = ["--n-train", str(n), "--n-val", "1000", "--max-time", str(t)]
        out[f"curve/ours-{tag}"] = {"args": OURS + COMMON + size + ["--epochs", str(ours_epochs)],
                                    "out": f"curve/ours-{tag}"}
        out[f"curve/pyg-schnet-{tag}"] = {"args": SCHNET + COMMON + size + ["--epochs", str(schnet_epochs)],
                                          "out": f"curve/pyg-schnet-{tag}"}
    out["curve/ours-4targets-10k"] = {"args": OURS + FOUR + ["--n-train", "10000", "--n-val", "1000", "--epochs", "50",
                                                             "--max-time", "600"], "out": "curve/ours-4targets-10k"}
    return out


def run_one(name: str, spec: dict, table: str, out: Path, log_dir: Path) -> dict:
    cmd = HOHENBERG + ["train", "graph", table] + spec["args"] + ["--out", str(out / spec["out"])]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    log = log_dir / (name.replace("/", "_") + ".log")
    t0 = time.perf_counter()
    with open(log, "a") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        rc = subprocess.call(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    return {"name": name, "rc": rc, "wall_s": time.perf_counter() - t0, "command": " ".join(["hohenberg"] + cmd[1:])}


def collect(out: Path, specs: dict) -> list[dict]:
    """One row per finished model directory: test MAE per target and its budget."""
    rows = []
    for name, spec in specs.items():
        path = out / spec["out"] / "model.json"
        if "/member" in name or not path.is_file():
            continue
        summary = json.loads(path.read_text())
        fits = summary["fits"]
        row = {"run": name, "model": summary["model"]["model"], "n_train": summary["provenance"]["split_sizes"]["train"],
               "members": len(fits), "epochs_per_member": max(f["epochs"] for f in fits),
               "wall_s_per_member": max(f["wall_s"] for f in fits),
               "cpu_hours": round(sum(f["wall_s"] for f in fits) / 3600, 2),
               "train_molecules_per_s": round(summary["train_molecules_per_s"], 1)}
        for t, e in summary["test_errors"].items():
            unit = next(k[4:] for k in e if k.startswith("mae_"))
            row[f"{t}_mae_{unit}"] = e[f"mae_{unit}"]
        rows.append(row)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", required=True, help="QM9 table (.npz) from `hohenberg data qm9`")
    p.add_argument("--out", type=Path, default=Path("runs/qm9-full"))
    p.add_argument("--only", default="", help="comma-separated run names (default: all), e.g. ours,pyg-schnet")
    p.add_argument("--jobs", type=int, default=2, help="runs at a time (one thread each)")
    p.add_argument("--budget", type=float, default=2700.0, help="wall-clock seconds per full-data model")
    p.add_argument("--collect", action="store_true", help="only collect finished runs into the table")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    specs = runs(args.budget)
    wanted = [n for n in specs if not args.only or any(n == w or n.startswith(w + "/") for w in args.only.split(","))]
    log_dir = args.out / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = []
    if not args.collect:
        independent = [n for n in wanted if not specs[n].get("after")]
        with ThreadPoolExecutor(args.jobs) as pool:
            results += list(pool.map(lambda n: run_one(n, specs[n], args.table, args.out, log_dir), independent))
        for n in wanted:
            if specs[n].get("after"):
                results.append(run_one(n, specs[n], args.table, args.out, log_dir))
        for r in results:
            print(f"{r['name']}: exit {r['rc']}, {r['wall_s']:.0f} s", file=sys.stderr)
    rows = collect(args.out, specs)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, CPU only, 1 thread per run"
    payload = {"machine": machine, "date": time.strftime("%Y-%m-%d"), "budget_s": args.budget, "rows": rows,
               "commands": {n: " ".join(["hohenberg", "train", "graph", args.table] + specs[n]["args"]
                                        + ["--out", str(args.out / specs[n]["out"])]) for n in specs}}
    (args.out / "results.json").write_text(json.dumps(payload, indent=2))
    if rows:
        cols = list(dict.fromkeys(k for r in rows for k in r))
        with open(args.out / "results.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        for r in rows:
            print(r)


if __name__ == "__main__":
    main()
