"""Test metrics of a Hohenberg-Kohn map model with its prediction averaged over cube symmetries.

    python benchmarks/hkmap_symmetries.py --model runs/hkmap/MODEL --symmetries 1,8 [--n 200] [--json]

The protocol of ``hohenberg train hkmap`` (the model's own test molecules, stored grids, identity
orientation; :func:`hohenberg.hkmap.run.evaluate_hkmap`) once per number of symmetries
(:mod:`hohenberg.hkmap.symmetry`: 1 = the plain model, 8 = the axis reflections, 48 = the whole
cube group).  Baseline: the plain model (1) in the same run; the cost ratio is the measured
prediction time per molecule against it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--store", default=None, help="default: the store the model was trained on")
    ap.add_argument("--symmetries", default="1,8")
    ap.add_argument("--n", type=int, default=None, help="first N test molecules (default: all of the model's)")
    ap.add_argument("--out", default=None, help="JSON file (default MODEL/symmetries.json)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from hohenberg.cli.output import print_json, print_table
    from hohenberg.hkmap.run import evaluate_hkmap, load_hkmap, make_dataset

    model, prov = load_hkmap(args.model)
    ids = json.loads((Path(args.model) / "split_ids.json").read_text())["test"][:args.n]
    data = make_dataset(args.store or prov["store"], ids, model.cfg)
    table = []
    for n in (int(s) for s in args.symmetries.split(",")):
        res = evaluate_hkmap(model, data, batch_size=2, symmetries=n)
        table.append({"symmetries": n, "n_test": res["n_test"], "nmae_percent": res["test_nmae_percent"]["mean"],
                      "promolecule_nmae_percent": res["promolecule_nmae_percent"]["mean"],
                      "improvement_over_promolecule": res["improvement_over_promolecule"],
                      "dipole_mae_D": res["dipole_mae_D"], "promolecule_dipole_mae_D": res["promolecule_dipole_mae_D"],
                      "predict_molecules_per_s": res["predict_molecules_per_s"]})
    base = table[0]["predict_molecules_per_s"]
    for row in table:
        row["cost_ratio"] = base / row["predict_molecules_per_s"]
    out = Path(args.out or Path(args.model) / "symmetries.json")
    out.write_text(json.dumps({"model": args.model, "rows": table}, indent=2))
    if args.json:
        print_json(table)
        return
    print_table(f"{args.model}: test metrics vs symmetries averaged",
                ["symmetries", "molecules", "NMAE %", "promolecule %", "ratio", "dipole MAE D", "promolecule D",
                 "molecules/s", "cost ratio"],
                [(r["symmetries"], r["n_test"], r["nmae_percent"], r["promolecule_nmae_percent"],
                  r["improvement_over_promolecule"], r["dipole_mae_D"], r["promolecule_dipole_mae_D"],
                  r["predict_molecules_per_s"], r["cost_ratio"]) for r in table])


if __name__ == "__main__":
    main()
