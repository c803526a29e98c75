"""Hohenberg-Kohn map models at random orientations, against exact SCF densities (no resampling).

    python benchmarks/hkmap_orientations.py --models runs/hkmap/A,runs/hkmap/B --n 20 --orientations 3 [--json]

The test protocol of ``hohenberg train hkmap`` scores a model on the stored grids, i.e. on the
molecules as QM9 orients them.  A model trained with ``--motions lattice`` has only seen the 48
cube symmetries of each training molecule, so this benchmark asks whether it still holds for any
orientation: for each of the first N test molecules of the split (never trained on), the stored
orientation and ``--orientations`` uniform random rotations about the centroid; for each, a fresh
SCF at the store's level, its density on the grid the model predicts on (``Grid.around`` the
rotated molecule: the same points for the SCF, the promolecule and every model), and NMAE (%) of
each model and of the promolecule against it.  Rows: model x {stored, random} orientations.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", required=True, help="comma list of model directories")
    ap.add_argument("--store", default="runs/vol/store")
    ap.add_argument("--split", default="runs/vol/split.json")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--orientations", type=int, default=3, help="random orientations per molecule")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/hkmap/orientations.json")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import torch
    from pyscf import lib

    torch.set_num_threads(1)
    lib.num_threads(1)
    from hohenberg.cli.output import print_json, print_table
    from hohenberg.hkmap.metrics import nmae_percent
    from hohenberg.hkmap.run import load_hkmap, predict_density
    from hohenberg.molecules.molecule import Molecule
    from hohenberg.qc.density import density_on_grid
    from hohenberg.qc.promolecule import promolecule_density
    from hohenberg.qc.scf import run_scf
    from hohenberg.store.reader import StoreReader
    from hohenberg.volumetric.augment import random_rotations

    reader = StoreReader(args.store)
    level = reader.config["level"]
    ids = [i for i in json.loads(Path(args.split).read_text())["test"] if i in reader][:args.n]
    models = {name: load_hkmap(name)[0] for name in args.models.split(",")}
    rotations = random_rotations(len(ids) * args.orientations, torch.Generator().manual_seed(args.seed)).numpy()
    rows = []
    for m, rid in enumerate(ids):
        rec = reader.record(rid, {"numbers", "positions"})
        z, pos = np.asarray(rec["numbers"]), np.asarray(rec["positions"], dtype=np.float64)
        centroid = pos.mean(0)
        motions = [("stored", np.eye(3))] + [("random", R) for R in rotations[m * args.orientations:
                                                                          (m + 1) * args.orientations]]
        for kind, R in motions:
            moved = (pos - centroid) @ R.T + centroid
            mol = Molecule(z, moved, name=rid)
            scf = run_scf(mol, level)
            ref = {}
            for name, model in models.items():
                grid, rho = predict_density(model, z, moved)
                key = (grid.shape, tuple(np.round(grid.origin, 9)))
                if key not in ref:  # the same grid for models of one view (checked, not assumed)
                    exact = density_on_grid(scf, grid)
                    pro = promolecule_density(z, moved, grid, model.cfg.view.promolecule_level)
                    ref[key] = (exact, float(nmae_percent(pro, exact, grid.voxel_volume_bohr3, mol.n_electrons)))
                exact, pro_nmae = ref[key]
                rows.append({"id": rid, "orientation": kind, "model": name,
                             "nmae_percent": float(nmae_percent(rho, exact, grid.voxel_volume_bohr3, mol.n_electrons)),
                             "promolecule_nmae_percent": pro_nmae})
        print(rid, {r["model"].split("/")[-1]: round(r["nmae_percent"], 2) for r in rows[-len(models):]},
              file=sys.stderr, flush=True)
    table = []
    for name in models:
        for kind in ("stored", "random"):
            sel = [r for r in rows if r["model"] == name and r["orientation"] == kind]
            nm, pro = np.mean([r["nmae_percent"] for r in sel]), np.mean([r["promolecule_nmae_percent"] for r in sel])
            table.append({"model": name, "orientation": kind, "n": len(sel), "nmae_percent": float(nm),
                          "promolecule_nmae_percent": float(pro), "improvement_over_promolecule": float(pro / nm)})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"level": level, "n_molecules": len(ids), "summary": table, "rows": rows},
                                         indent=2))
    if args.json:
        print_json(table)
        return
    print_table(f"NMAE against exact SCF densities, {len(ids)} held-out molecules ({level})",
                ["model", "orientation", "views", "NMAE %", "promolecule %", "ratio"],
                [(t["model"], t["orientation"], t["n"], t["nmae_percent"], t["promolecule_nmae_percent"],
                  t["improvement_over_promolecule"]) for t in table])


if __name__ == "__main__":
    main()
