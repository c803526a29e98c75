"""Write the small QM9 test fixture from the qm9pack CSVs (run once; output is checked in).

    python tools/make_qm9_fixture.py /path/to/qm9pack/data tests/data/qm9_fixture

Writes ``xyz/dsgdb9nsd_NNNNNN.xyz`` in the official release's layout and ``csv/qm9_part1.csv``
with the same molecules' rows copied verbatim from qm9pack.  Molecules: indices 1-60 (the
smallest, including linear ones) plus 240 drawn at random (seed 7) from the rest.  One extra
file, ``dsgdb9nsd_000058.xyz``, is synthetic: molecule 57's data under index 58, one of the
3,054 uncharacterized indices (qm9pack has none of them), to test the flag.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from hohenberg.datasets.qm9 import parse_qm9pack_row
from hohenberg.molecules.qm9xyz import format_qm9_xyz


def main(src: str, dst: str) -> None:
    src_dir, out = Path(src), Path(dst)
    rows, header = [], None
    for part in sorted(src_dir.glob("qm9_part*.csv")):
        with open(part, newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            rows.extend(reader)
    idx_col = header.index("Index")
    by_index = {int(r[idx_col]): r for r in rows}
    rest = sorted(i for i in by_index if i > 60)
    chosen = sorted([i for i in range(1, 61) if i in by_index]
                    + list(np.random.default_rng(7).choice(rest, 240, replace=False)))
    (out / "xyz").mkdir(parents=True, exist_ok=True)
    (out / "csv").mkdir(parents=True, exist_ok=True)
    with open(out / "csv" / "qm9_part1.csv", "w", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        for i in chosen:
            writer.writerow(by_index[i])
    for i in chosen:
        rec = parse_qm9pack_row(dict(zip(header, by_index[i])), "qm9pack", 0)
        (out / "xyz" / f"{rec.name}.xyz").write_text(format_qm9_xyz(rec))
    synthetic = parse_qm9pack_row(dict(zip(header, by_index[57])), "qm9pack", 0)
    synthetic.index = 58
    (out / "xyz" / f"{synthetic.name}.xyz").write_text(format_qm9_xyz(synthetic))
    print(f"wrote {len(chosen)} molecules (+1 synthetic uncharacterized) to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
