"""GFN2-xTB alone against QM9's B3LYP values: the baseline an xTB-informed model has to beat.

    OMP_NUM_THREADS=1 python benchmarks/xtb_baseline.py --table runs/qm9/qm9.npz [--n-test 2000] [--n-fit 2000] [--json]

GFN2-xTB single points (tblite) on QM9's own B3LYP geometries, for a seeded subset of the test
split; HOMO, LUMO, gap and the dipole norm compared with QM9's values, raw and after a linear
correction (y = a x + b per quantity) fitted on a seeded subset of the training split.  The
baseline row of the table is the per-quantity mean of the fit molecules (what knowing nothing
about the molecule gives).  A molecule on which xTB fails is named with its reason and left out.
Writes ``docs/notes/xtb-baseline.{json,png}``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from timing import print_rows  # benchmarks/timing.py, beside this script

NOTES = Path(__file__).resolve().parents[1] / "docs" / "notes"
QUANTITIES = {"homo_eV": "homo_eV", "lumo_eV": "lumo_eV", "gap_eV": "gap_eV", "mu_D": "mu_D"}
"""QM9 column -> attribute of :class:`hohenberg.qc.xtb.XtbResult` (its dipole norm is ``mu_D``)."""


def run_xtb_on(table, rows) -> tuple[np.ndarray, list[int], list[str], float]:
    """(values (n, 4) for the molecules xTB answered, their rows, failures 'id: reason', seconds each)."""
    from hohenberg.qc.xtb import XtbError, run_xtb

    values, kept, failed = [], [], []
    t0 = time.perf_counter()
    for r in rows:
        mol = table.molecule(int(r))
        try:
            res = run_xtb(mol)
        except XtbError as exc:
            failed.append(f"{mol.name}: {exc}")
            continue
        values.append([getattr(res, a) for a in QUANTITIES.values()])
        kept.append(int(r))
    return np.asarray(values), kept, failed, (time.perf_counter() - t0) / max(len(rows), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", type=Path, required=True, help="QM9 table (.npz) from `hohenberg data qm9`")
    ap.add_argument("--n-test", type=int, default=2000, help="test molecules (seeded subset of the test split)")
    ap.add_argument("--n-fit", type=int, default=2000, help="training molecules for the linear correction")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=NOTES, help="folder for xtb-baseline.{json,png}")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from hohenberg.datasets.qm9 import quick_subset, standard_split
    from hohenberg.models.metrics import error_summary
    from hohenberg.molecules.table import MoleculeTable

    table = MoleculeTable.load(args.table)
    split = standard_split(table)
    test_rows = quick_subset(split["test"], args.n_test, args.seed)
    fit_rows = quick_subset(split["train"], args.n_fit, args.seed)
    x_fit, fit_kept, fit_failed, _ = run_xtb_on(table, fit_rows)
    x_test, test_kept, test_failed, seconds = run_xtb_on(table, test_rows)
    rows, result = [], {"machine": f"{os.cpu_count()} cores, 1 thread", "n_test": len(test_kept),
                        "n_fit": len(fit_kept), "seconds_per_molecule": round(seconds, 4),
                        "failures": fit_failed + test_failed, "quantities": {}}
    y_fit = np.column_stack([np.asarray(table.properties[q], float)[fit_kept] for q in QUANTITIES])
    y_test = np.column_stack([np.asarray(table.properties[q], float)[test_kept] for q in QUANTITIES])
    for j, q in enumerate(QUANTITIES):
        a, b = np.polyfit(x_fit[:, j], y_fit[:, j], 1)
        raw = error_summary(q, y_test[:, j], x_test[:, j])
        linear = error_summary(q, y_test[:, j], a * x_test[:, j] + b)
        mean = error_summary(q, y_test[:, j], np.full(len(y_test), y_fit[:, j].mean()))
        unit = next(k[4:] for k in raw if k.startswith("mae_"))
        result["quantities"][q] = {"raw": raw, "linear": linear, "mean_predictor": mean,
                                   "linear_fit": {"a": float(a), "b": float(b)},
                                   "mean_signed_error_raw": float(np.mean(x_test[:, j] - y_test[:, j]))}
        rows.append({"quantity": q, "unit": unit, "MAE mean predictor": round(mean[f"mae_{unit}"], 3),
                     "MAE xTB raw": round(raw[f"mae_{unit}"], 3), "MAE xTB linear": round(linear[f"mae_{unit}"], 3),
                     "linear / mean predictor": round(linear[f"mae_{unit}"] / mean[f"mae_{unit}"], 3)})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "xtb-baseline.json").write_text(json.dumps(result, indent=2))
    from hohenberg.reports.figures import target_parity

    target_parity(args.out / "xtb-baseline.png", tuple(QUANTITIES), y_test,
                  np.column_stack([result["quantities"][q]["linear_fit"]["a"] * x_test[:, j]
                                   + result["quantities"][q]["linear_fit"]["b"] for j, q in enumerate(QUANTITIES)]),
                  title=f"GFN2-xTB, linearly corrected, vs QM9 B3LYP ({len(test_kept)} test molecules)")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print_rows(rows)
    print(f"{seconds * 1000:.1f} ms per molecule (one thread); {len(result['failures'])} failure(s)"
          + "".join(f"\n  {f}" for f in result["failures"]))


if __name__ == "__main__":
    main()
