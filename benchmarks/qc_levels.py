"""Wall time per molecule at each named level, to plan densities for all of QM9.

    python benchmarks/qc_levels.py [--levels "hf/sto-3g;pbe/def2-svp;..."] [--json]

Molecule: a QM9 fixture molecule of median size for QM9 (9 heavy atoms, 18 atoms).  Times: SCF
and the 64^3 density grid, with all cores (PySCF threads).  Baseline row: hf/sto-3g.  The
projection multiplies by 130,831 molecules (core-hours on this kind of machine).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

LEVELS = ["hf/sto-3g", "pbe/def2-svp", "b3lyp/6-31g*", "qm9+df", "qm9"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--levels", default=";".join(LEVELS), help="levels separated by ;")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from pyscf import lib

    from hohenberg.datasets import qm9
    from hohenberg.grids import Grid
    from hohenberg.qc.density import density_on_grid
    from hohenberg.qc.scf import run_scf

    root = Path(__file__).resolve().parents[1]
    table = qm9.ingest(root / "tests" / "data" / "qm9_fixture" / "csv")
    heavy = np.array([np.sum(table[i].numbers > 1) for i in range(len(table))])
    mol = table[int(np.flatnonzero((heavy == 9) & (table.n_atoms == 18))[0])]
    grid = Grid.around(mol.positions, 0.2, 64)
    rows = []
    for level in args.levels.split(";"):
        t0 = time.perf_counter()
        r = run_scf(mol, level)
        t_scf = time.perf_counter() - t0
        t0 = time.perf_counter()
        density_on_grid(r, grid)
        t_grid = time.perf_counter() - t0
        rows.append({"level": r.level.name, "n_ao": r.mol.nao, "scf_cycles": r.n_cycles, "scf_s": t_scf,
                     "density_64_s": t_grid, "total_s": t_scf + t_grid,
                     "qm9_core_hours": (t_scf + t_grid) * lib.num_threads() * 130_831 / 3600,
                     "gap_eV": r.gap_eV, "qm9_gap_eV": mol.properties["gap_eV"]})
        if not args.json:
            x = rows[-1]
            print(f"{x['level']:<28}{x['n_ao']:>6}{x['scf_cycles']:>6}{x['scf_s']:>9.1f}{x['density_64_s']:>9.1f}"
                  f"{x['qm9_core_hours']:>12.0f}", flush=True)
    for r in rows:
        r["ratio_to_first"] = r["total_s"] / rows[0]["total_s"]
    if args.json:
        print(json.dumps({"molecule": mol.name, "formula": mol.formula, "threads": lib.num_threads(), "rows": rows}, indent=2))
    else:
        print(f"({mol.name} {mol.formula}; columns: level, n_ao, SCF cycles, SCF s, 64^3 density s, "
              f"core-hours for all of QM9 at {lib.num_threads()} threads)")


if __name__ == "__main__":
    main()
