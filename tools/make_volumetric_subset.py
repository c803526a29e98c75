"""Write the fixed 20,000-molecule QM9 subset for volumetric learning at scale, in computing order.

    python tools/make_volumetric_subset.py --table runs/qm9/qm9.npz --out runs/vol20k/subset.npz

Rows, from QM9's standard split (seed 0): 1,000 test molecules (a random subset of the test
split), 1,000 validation molecules (of the validation split), then 18,000 training molecules in a
random order (seed 0), so that every prefix of the training part is a nested random subset: a
store still being computed already holds the 1k / 2k / 5k training sets of the learning curves.
Beside the table, ``split.json`` lists the ids of the three parts (the prefix order kept).
Then: ``hohenberg qc batch runs/vol20k/subset.npz --level hf/sto-3g --spacing 0.3 --size 48
--out runs/vol20k/store`` (resumable: rerun the same command).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

N_TEST, N_VAL, N_TRAIN = 1_000, 1_000, 18_000


def subset_rows(table, seed: int = 0) -> dict[str, np.ndarray]:
    from hohenberg.datasets.qm9 import quick_subset, standard_split

    split = standard_split(table, seed)
    train = np.asarray(split["train"])[np.random.default_rng(seed).permutation(len(split["train"]))[:N_TRAIN]]
    return {"test": quick_subset(split["test"], N_TEST, seed), "val": quick_subset(split["val"], N_VAL, seed),
            "train": train}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", type=Path, default=Path("runs/qm9/qm9.npz"))
    ap.add_argument("--out", type=Path, default=Path("runs/vol20k/subset.npz"))
    args = ap.parse_args()
    from hohenberg.molecules.table import MoleculeTable

    table = MoleculeTable.load(args.table)
    rows = subset_rows(table)
    order = np.concatenate([rows["test"], rows["val"], rows["train"]])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.take(order).save(args.out)
    ids = {k: [str(table.ids[i]) for i in v] for k, v in rows.items()}
    (args.out.parent / "split.json").write_text(json.dumps({"kind": "qm9-standard-subset", "seed": 0, **ids}))
    print(f"{len(order)} molecules -> {args.out}; split -> {args.out.parent / 'split.json'}")


if __name__ == "__main__":
    main()
