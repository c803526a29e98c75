"""Batch throughput (molecules/hour) at pbe/def2-svp with 1 and 2 local workers.

    python benchmarks/qc_batch.py [--n 8] [--level pbe/def2-svp] [--json]

Same molecules (the first N QM9 fixture molecules with 5-7 heavy atoms), properties and 32^3
grids; each worker runs PySCF with one thread, so the ratio measures process scaling.
Baseline: 1 worker.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--level", default="pbe/def2-svp")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from hohenberg.datasets import qm9
    from hohenberg.qc.batch import BatchConfig, run_batch

    root = Path(__file__).resolve().parents[1]
    table = qm9.ingest(root / "tests" / "data" / "qm9_fixture" / "csv")
    heavy = np.array([np.sum(table[i].numbers > 1) for i in range(len(table))])
    sub = table.take(np.flatnonzero((heavy >= 5) & (heavy <= 7))[: args.n])
    config = BatchConfig(level=args.level, spacing=0.2, size=32, threads_per_task=1)
    rows = []
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            s = run_batch(iter(sub), tmp, config, workers=workers)
            dt = time.perf_counter() - t0
        assert s.computed == len(sub), s
        rows.append({"workers": workers, "molecules": len(sub), "time_s": dt, "molecules_per_hour": 3600 * len(sub) / dt})
    for r in rows:
        r["scaling_vs_1_worker"] = r["molecules_per_hour"] / rows[0]["molecules_per_hour"]
    if args.json:
        print(json.dumps({"level": args.level, "rows": rows}, indent=2))
        return
    print(f"{args.level}, {len(sub)} molecules (5-7 heavy atoms), 32^3 grids")
    print(f"{'workers':<10}{'time_s':>10}{'mol/hour':>12}{'scaling':>10}")
    for r in rows:
        print(f"{r['workers']:<10}{r['time_s']:>10.1f}{r['molecules_per_hour']:>12.0f}{r['scaling_vs_1_worker']:>10.2f}")


if __name__ == "__main__":
    main()
