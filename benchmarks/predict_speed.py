"""How fast the shipped model answers: command start, one SMILES, and in-process throughput.

* ``hohenberg --help`` and ``hohenberg predict "CCO" --json``: wall seconds of a new process
  (median of ``--repeats``), i.e. what a person at a terminal waits;
* in-process prediction from prepared geometries (QM9 molecules as ``Molecule`` objects, their
  own B3LYP geometries): molecules/s of ``load_model("qm9").predict`` with 1 and 2 worker
  processes building graphs, model already loaded;
* the same molecules through PyG SchNet (forward only, batches of 256; its input is just Z and
  positions, so it builds no features): the baseline rate of this run, for the ratio.

    .venv/bin/python benchmarks/predict_speed.py --table runs/qm9/qm9.npz [--n 4000] [--json]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from timing import wall  # benchmarks/timing.py, beside this script

HOHENBERG = str(Path(sys.executable).with_name("hohenberg"))


def schnet_rate(mols, hidden: int, layers: int, threads: int) -> float:
    import torch
    from torch_geometric.data import Batch, Data

    from hohenberg.graph.models import GraphModelConfig, build_model

    torch.set_num_threads(threads)
    model = build_model(GraphModelConfig(model="pyg-schnet", features="element", views=("radius",), hidden=hidden,
                                         layers=layers, targets=("homo_eV",))).eval()
    data = [Data(z=torch.as_tensor(m.numbers), pos=torch.as_tensor(m.positions, dtype=torch.float32)) for m in mols]
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(data), 256):
            model(Batch.from_data_list(data[i:i + 256]))
    return len(mols) / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", required=True, help="QM9 table (.npz): the molecules come from its test split")
    p.add_argument("--n", type=int, default=4000, help="molecules for the throughput rows")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    from hohenberg.cli.output import print_json, print_table
    from hohenberg.datasets.qm9 import standard_split
    from hohenberg.molecules.table import MoleculeTable

    rows = {"help_s": wall([HOHENBERG, "--help"], args.repeats),
            "predict_CCO_s": wall([HOHENBERG, "predict", "CCO", "--json"], args.repeats)}
    table = MoleculeTable.load(args.table)
    test = standard_split(table)["test"][: args.n]
    mols = list(table.take(test))
    import torch

    import hohenberg

    model = hohenberg.load_model("qm9")
    model.predict(mols[:64])  # warm: imports, pattern compilation
    # geometry only (an xyz file): bonds perceived from the geometry; with SMILES: bonds from the
    # SMILES matched onto the geometry (QM9's own molecules), slower
    bare = [m.copy() for m in mols]
    for m in bare:
        m.info.pop("smiles", None)
    for label, batch in (("geometry_only", bare), ("with_smiles", mols)):
        for workers in (1, 2):
            torch.set_num_threads(workers)
            t0 = time.perf_counter()
            model.predict(batch, workers=workers)
            rows[f"ours_predict_{label}_molecules_per_s_{workers}_workers"] = len(mols) / (time.perf_counter() - t0)
    rows["pyg_schnet32x3_forward_molecules_per_s_2_threads"] = schnet_rate(mols, 32, 3, 2)
    rows["pyg_schnet128x6_forward_molecules_per_s_2_threads"] = schnet_rate(mols, 128, 6, 2)
    rows["ratio_ours_geometry_2_workers_to_schnet128x6"] = (
        rows["ours_predict_geometry_only_molecules_per_s_2_workers"]
        / rows["pyg_schnet128x6_forward_molecules_per_s_2_threads"])
    payload = {"machine": f"{os.cpu_count()} cores, CPU only", "n_molecules": len(mols), "repeats": args.repeats,
               "goals": {"help_s": 1.0, "predict_CCO_s": 4.0, "molecules_per_s": 1000}, **rows}
    if args.json:
        print_json(payload)
    else:
        print_table("prediction speed (shipped QM9 model)", ["measure", "value"],
                    [(k, v) for k, v in rows.items()])


if __name__ == "__main__":
    main()
