"""Import speed: ``hohenberg data import`` against ASE reading the same file.

Builds, in a temporary folder, an extended XYZ, an SDF and an ASE database of the same N
QM9-like molecules (the test fixture's 300 molecules repeated, each with its homo/gap in Ha so
that the unit conversion is part of the work), then times :func:`import_molecules` against
``ase.io.read(FILE, index=":")`` for extended XYZ, ``[row.toatoms() for row in db.select()]``
for ``.db`` and RDKit's ``SDMolSupplier`` for SDF (ASE's SDF reader returns only the first
record, so it is no reference).  The references only parse; ours also checks the frame structure, units, charge/spin and builds the table,
so the ratio is the price of those checks.  Best of ``--repeat`` runs.

    python benchmarks/import_speed.py [--n 2000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import print_rows  # benchmarks/timing.py, beside this script

from hohenberg.datasets import qm9
from hohenberg.datasets.importing import import_molecules
from hohenberg.units import HARTREE_EV

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "qm9_fixture" / "xyz"


def molecules(n: int) -> list[tuple]:
    """N QM9 fixture molecules (repeated) as (``ase.Atoms`` with homo/gap in Ha, molblock).

    Fixture molecules whose geometry RDKit cannot match to their SMILES are left out, so the
    three files hold the same molecules.
    """
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    table = qm9.ingest(FIXTURE)
    unique = []
    for mol in table:
        try:
            block = Chem.MolToMolBlock(mol.to_rdkit())
        except ValueError:
            continue
        if Chem.MolFromMolBlock(block, removeHs=False) is None:  # bonds perceived wrongly (strained cages)
            continue
        atoms = mol.to_ase()
        atoms.info = {"homo_Ha": mol.properties["homo_eV"] / HARTREE_EV, "gap_Ha": mol.properties["gap_eV"] / HARTREE_EV}
        unique.append((atoms, block))
    return [unique[i % len(unique)] for i in range(n)]


def write_files(folder: Path, frames: list[tuple]) -> dict[str, Path]:
    import ase.db
    import ase.io

    xyz = folder / "mols.extxyz"
    ase.io.write(xyz, [a for a, _ in frames], format="extxyz")
    sdf = folder / "mols.sdf"
    sdf.write_text("".join(block + f">  <homo_Ha>\n{a.info['homo_Ha']!r}\n\n>  <gap_Ha>\n{a.info['gap_Ha']!r}\n\n$$$$\n"
                           for a, block in frames))
    db_path = folder / "mols.db"
    with ase.db.connect(db_path) as db:
        for a, _ in frames:
            db.write(a, homo_Ha=a.info["homo_Ha"], gap_Ha=a.info["gap_Ha"])
    return {"extxyz": xyz, "sdf": sdf, "ase-db": db_path}


def reference_read(kind: str, path: Path) -> int:
    """The plain reader of each format: ASE for extxyz and .db; RDKit for SDF (ASE's SDF reader
    returns only the first record)."""
    import ase.db
    import ase.io

    if kind == "ase-db":
        return len([row.toatoms() for row in ase.db.connect(path).select()])
    if kind == "sdf":
        from rdkit import Chem

        return len([m for m in Chem.SDMolSupplier(str(path), removeHs=False)])
    return len(ase.io.read(path, index=":", format="extxyz"))


REFERENCE = {"extxyz": 'ase.io.read(index=":")', "sdf": "rdkit SDMolSupplier", "ase-db": "ase.db select + toatoms"}


def best_of(repeat: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def run(n: int, repeat: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(Path(tmp), molecules(n))
        for kind, path in paths.items():
            ours_s, result = best_of(repeat, lambda: import_molecules([path]))
            ref_s, count = best_of(repeat, lambda: reference_read(kind, path))
            table = result.table
            assert len(table) == n == count, (kind, len(table), count)
            assert np.isfinite(table.properties["homo_eV"]).all()
            rows.append({"format": kind, "molecules": n, "file_MB": round(path.stat().st_size / 1e6, 2),
                         "reference": REFERENCE[kind], "ours_s": round(ours_s, 3), "reference_s": round(ref_s, 3),
                         "ours_mol_per_s": round(n / ours_s), "reference_mol_per_s": round(n / ref_s),
                         "ratio_ours_over_reference": round(ours_s / ref_s, 2)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="molecules per file")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = run(args.n, args.repeat)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print_rows(rows)


if __name__ == "__main__":
    main()
