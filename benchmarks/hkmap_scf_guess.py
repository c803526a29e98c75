"""SCF starting points: cycles and wall time from the Hohenberg-Kohn map guess vs PySCF's minao and atom.

    python benchmarks/hkmap_scf_guess.py --model runs/hkmap/MODEL --levels hf/sto-3g,hf/6-31g* \
        --n 15 [--store runs/vol/store --split runs/vol/split.json] [--json]

Molecules: the first N test molecules of the split held by the store (never trained on).  Rows
per level: ``minao`` (PySCF's default, the baseline), ``atom`` (superposition of atomic
densities), ``hkmap`` (the model's predicted density -> density-to-potential inversion in
STO-3G -> projected density matrix; :mod:`hohenberg.hkmap.guess`), and ``exact-density`` (the
stored SCF density through the same inversion: what a perfect density model would give), and with
``--error-scales 0.1,0.25`` rows ``error x0.1`` ...: the exact density plus that fraction of the
model's error (rho_SCF + a (rho_model - rho_SCF)), a stand-in for a model a times as wrong, which
maps the density accuracy a guess needs (each row also reports the input's density NMAE).  Every
SCF uses the level's conv_tol (1e-9 Hartree) and one thread; ``scf_s`` is the SCF alone, ``total_s``
adds the guess (model inference + inversion).  Energies are compared with minao's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from hohenberg.cli.output import print_json, print_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--store", default="runs/vol/store")
    ap.add_argument("--split", default="runs/vol/split.json")
    ap.add_argument("--levels", default="hf/sto-3g,hf/6-31g*")
    ap.add_argument("--n", type=int, default=15)
    ap.add_argument("--out", default="runs/hkmap/scf_guess.json")
    ap.add_argument("--error-scales", default="", help="comma list of a: rows with rho_SCF + a (rho_model - rho_SCF)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import torch
    from pyscf import lib

    torch.set_num_threads(1)
    lib.num_threads(1)
    from hohenberg.hkmap.guess import density_matrix_guess
    from hohenberg.hkmap.metrics import nmae_percent
    from hohenberg.hkmap.run import load_hkmap, predict_density
    from hohenberg.molecules.molecule import Molecule
    from hohenberg.qc.levels import parse_level
    from hohenberg.qc.scf import build_mol, run_scf
    from hohenberg.store.reader import StoreReader
    from hohenberg.units import HARTREE_EV

    reader = StoreReader(args.store)
    ids = [i for i in json.loads(Path(args.split).read_text())["test"] if i in reader][:args.n]
    model, _ = load_hkmap(args.model)
    scales = [float(a) for a in args.error_scales.split(",") if a]
    error_scale = {f"error x{a:g}": a for a in scales}  # these rows come after "hkmap" (they need its density)
    guesses = ("minao", "atom", "hkmap", "exact-density", *error_scale)
    rows = []
    for level in args.levels.split(","):
        lv = parse_level(level)
        for rid in ids:
            rec = reader.record(rid)
            mol = Molecule(rec["numbers"], rec["positions"], name=rid)
            pmol = build_mol(mol, lv)
            exact = np.asarray(rec["density"], dtype=np.float64)
            predicted = None
            for name in guesses:
                t0 = time.perf_counter()
                fallback, input_nmae = None, None
                if name in ("minao", "atom"):
                    guess_s, res = 0.0, run_scf(mol, lv, init_guess=name)
                else:
                    grid = reader.grid_of(rec)
                    if name in ("hkmap", "exact-density"):
                        rho = exact
                        if name == "hkmap":
                            grid, rho = predict_density(model, rec["numbers"], rec["positions"])
                            if not np.allclose(grid.origin, reader.grid_of(rec).origin):
                                raise SystemExit(f"{rid}: the model's output grid is not the stored grid")
                            predicted = rho
                    else:
                        rho = exact + error_scale[name] * (predicted - exact)
                    input_nmae = float(nmae_percent(rho, exact, grid.voxel_volume_bohr3, mol.n_electrons))
                    g = density_matrix_guess(pmol, grid, rho)
                    guess_s = time.perf_counter() - t0
                    fallback = None if g.dm is not None else g.reason
                    res = run_scf(mol, lv, dm0=g.dm, init_guess=None if g.dm is not None else "minao")
                rows.append({"level": lv.name, "id": rid, "guess": name, "scf_cycles": res.n_cycles,
                             "scf_s": res.wall_s, "guess_s": guess_s, "total_s": res.wall_s + guess_s,
                             "energy_Ha": res.energy_eV / HARTREE_EV, "fallback": fallback,
                             "input_nmae_percent": input_nmae})
            print(level, rid, {r["guess"]: r["scf_cycles"] for r in rows[-len(guesses):]}, file=sys.stderr, flush=True)
    table = summarise(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"model": args.model, "n_molecules": len(ids), "summary": table,
                                          "rows": rows}, indent=2))
    if args.json:
        print_json(table)
        return
    print_table(f"SCF from each starting point, {len(ids)} held-out molecules",
                ["level", "guess", "input NMAE %", "cycles", "vs minao", "scf s", "total s", "vs minao", "max |dE| Ha",
                 "fallbacks"],
                [(t["level"], t["guess"], t["mean_input_nmae_percent"], t["mean_cycles"], t["cycles_ratio_vs_minao"],
                  t["mean_scf_s"],
                  t["mean_total_s"], t["total_time_ratio_vs_minao"], t["max_abs_energy_diff_vs_minao_Ha"],
                  t["fallbacks"]) for t in table])

def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for level in dict.fromkeys(r["level"] for r in rows):
        base = {r["id"]: r for r in rows if r["level"] == level and r["guess"] == "minao"}
        mc = np.mean([r["scf_cycles"] for r in base.values()])
        mt = np.mean([r["total_s"] for r in base.values()])
        for guess in dict.fromkeys(r["guess"] for r in rows):
            sel = [r for r in rows if r["level"] == level and r["guess"] == guess]
            nm = [r["input_nmae_percent"] for r in sel if r.get("input_nmae_percent") is not None]
            out.append({"level": level, "guess": guess, "n": len(sel),
                        "mean_input_nmae_percent": float(np.mean(nm)) if nm else None,
                        "mean_cycles": float(np.mean([r["scf_cycles"] for r in sel])),
                        "cycles_ratio_vs_minao": float(np.mean([r["scf_cycles"] for r in sel]) / mc),
                        "mean_scf_s": float(np.mean([r["scf_s"] for r in sel])),
                        "mean_guess_s": float(np.mean([r["guess_s"] for r in sel])),
                        "mean_total_s": float(np.mean([r["total_s"] for r in sel])),
                        "total_time_ratio_vs_minao": float(np.mean([r["total_s"] for r in sel]) / mt),
                        "max_abs_energy_diff_vs_minao_Ha": float(max(abs(r["energy_Ha"] - base[r["id"]]["energy_Ha"])
                                                                     for r in sel)),
                        "fallbacks": sum(r["fallback"] is not None for r in sel)})
    return out


if __name__ == "__main__":
    main()
