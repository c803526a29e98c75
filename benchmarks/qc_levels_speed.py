"""Wall time per molecule: GFN2-xTB against PySCF levels, on the same 20 small molecules, one thread.

    .venv/bin/python benchmarks/qc_levels_speed.py [--levels "gfn2-xtb;hf/sto-3g;b3lyp/6-31g*"] [--json]

Molecules: 20 SMILES of 3-13 atoms with H, C, N, O, F, S, Cl and P (RDKit ETKDG + MMFF94
geometries, seeded), embedded once and shared by every level.  Time: one single point (energy,
orbitals, dipole, charges; no density grid), measured by the level's own ``wall_s``, after one
untimed warm-up call per level (library loading, PySCF's first-call set-up).  One thread: the BLAS
and OpenMP pools are pinned before numpy, PySCF and tblite are imported.  Prints per level the
median and mean seconds per molecule and the ratio to the first level (gfn2-xtb by default).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before any numerical library starts its thread pool

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

LEVELS = ["gfn2-xtb", "hf/sto-3g", "b3lyp/6-31g*"]
SMILES = ["O", "C", "N", "CCO", "CCS", "ClCCl", "CP(C)C", "c1ccsc1", "CC(=O)Cl", "CC(=O)O",
          "CS(C)=O", "FC(F)F", "C#N", "c1ccoc1", "CC(C)=O", "CSC", "OP(O)(O)=O", "ClC(Cl)Cl", "CCN", "c1ccncc1"]


def single_point(molecule, level: str) -> float:
    """Seconds for one single point at ``level`` (the result's own timing)."""
    from hohenberg.qc.levels import parse_level

    if parse_level(level).is_xtb:
        from hohenberg.qc.xtb import run_xtb

        return run_xtb(molecule, level).wall_s
    from hohenberg.qc.scf import run_scf

    return run_scf(molecule, level, threads=1).wall_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default=";".join(LEVELS), help="levels separated by ;")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()

    from hohenberg.molecules.smiles import molecule_from_smiles

    molecules = [molecule_from_smiles(s) for s in SMILES]
    levels = [x.strip() for x in args.levels.split(";") if x.strip()]
    rows = []
    for level in levels:
        single_point(molecules[0], level)  # warm-up, untimed
        t0 = time.perf_counter()
        times = np.array([single_point(m, level) for m in molecules])
        rows.append({"level": level, "molecules": len(molecules), "median_s": float(np.median(times)),
                     "mean_s": float(times.mean()), "max_s": float(times.max()),
                     "loop_s": time.perf_counter() - t0, "per_molecule_s": dict(zip(SMILES, times.tolist()))})
    base = rows[0]["median_s"]
    for r in rows:
        r["median_ratio_to_first"] = r["median_s"] / base
        r["mean_ratio_to_first"] = r["mean_s"] / rows[0]["mean_s"]
    report = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs visible",
              "threads": 1, "atoms": [m.n_atoms for m in molecules], "levels": rows}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{len(molecules)} molecules ({min(report['atoms'])}-{max(report['atoms'])} atoms), 1 thread, "
          f"{report['date']}")
    print(f"{'level':<16}{'median s/mol':>14}{'mean s/mol':>14}{'max s':>10}{'median x':>12}{'mean x':>10}")
    for r in rows:
        print(f"{r['level']:<16}{r['median_s']:>14.4g}{r['mean_s']:>14.4g}{r['max_s']:>10.3g}"
              f"{r['median_ratio_to_first']:>12.1f}{r['mean_ratio_to_first']:>10.1f}")


if __name__ == "__main__":
    main()
