"""Package the full-QM9 ensemble trained by ``benchmarks/qm9_full.py`` as the shipped model.

    .venv/bin/python tools/ship_qm9_model.py --model runs/qm9-full/gin --table runs/qm9/qm9.npz \
        [--dest src/hohenberg/data/models/qm9]

Measures the ensemble on the validation split (sigma calibration) and the test split (MAE,
coverage), copies the member files, writes ``card.json``, ``MODEL_CARD.md`` and the 200-molecule
test slice the tests check the card against (:func:`hohenberg.graph.ship.package_model`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("runs/qm9-full/gin"))
    p.add_argument("--table", type=Path, default=Path("runs/qm9/qm9.npz"))
    p.add_argument("--dest", type=Path, default=ROOT / "src/hohenberg/data/models/qm9")
    args = p.parse_args()

    from qm9_full import runs

    from hohenberg.graph.ship import package_model
    from hohenberg.molecules.table import MoleculeTable

    spec = runs(2700)["ours"]
    command = " ".join(["hohenberg", "train", "graph", str(args.table)] + spec["args"] + ["--out", str(args.model)])
    command += "  (members in parallel: the same with --member 0, 1, 2; then once without --member)"
    hardware = (f"{platform.machine()} CPU, {os.cpu_count()} cores shared by two runs (one thread each), no GPU")
    card = package_model(args.model, MoleculeTable.load(args.table), args.dest, command=command, hardware=hardware,
                         cache_dir=args.table.with_name(args.table.name + ".graphs"),
                         slice_path=args.dest / "test_slice.npz", log=lambda s: print(s, file=sys.stderr))
    print(json.dumps({t: e for t, e in card["test_mae"].items()}, indent=1))
    print(json.dumps(card["test_coverage"], indent=1))


if __name__ == "__main__":
    main()
