"""Ship a trained grid model (Hohenberg-Kohn map or 3D CNN) with the package.

    python tools/ship_grid_model.py MODEL_DIR --name hkmap --budget "..." --hardware "..." \
        --command "hohenberg train hkmap ..." --purpose "..."

Copies the weights to ``src/hohenberg/data/models/NAME`` and writes ``card.json`` and
``MODEL_CARD.md`` (:func:`hohenberg.volumetric.ship.package_grid_model`).  Names the package
knows: ``hohenberg.pretrained.SHIPPED_GRID``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    from hohenberg.pretrained import SHIPPED_GRID
    from hohenberg.volumetric.ship import package_grid_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("--name", required=True, choices=sorted(SHIPPED_GRID))
    ap.add_argument("--budget", required=True, help="e.g. '1 CPU thread, 40 min, 30 epochs'")
    ap.add_argument("--hardware", required=True)
    ap.add_argument("--command", required=True, help="the command that trained the model")
    ap.add_argument("--purpose", required=True, help="one paragraph: what the model does and how well")
    ap.add_argument("--table", type=Path, default=None, help="the targets' table: writes a test slice (3D CNNs)")
    args = ap.parse_args()
    dest = Path(__file__).resolve().parents[1] / "src" / "hohenberg" / "data" / SHIPPED_GRID[args.name]
    table = None
    if args.table is not None:
        from hohenberg.molecules.table import MoleculeTable

        table = MoleculeTable.load(args.table)
    card = package_grid_model(args.model_dir, dest, name=args.name, command=args.command, hardware=args.hardware,
                              budget=args.budget, purpose=args.purpose, table=table)
    print(json.dumps({"dest": str(dest), "sha256": card["sha256"], "metrics": list(card["metrics"])}, indent=1))


if __name__ == "__main__":
    main()
