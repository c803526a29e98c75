"""QM9 sources (a directory of ``dsgdb9nsd_*.xyz``, the ``.tar.bz2`` release, the qm9pack wheel, or
one QM9 ``.xyz``) through :mod:`hohenberg.datasets.qm9` unchanged; targets narrow its columns."""

from __future__ import annotations

from pathlib import Path

from hohenberg.datasets.importing.columns import resolve
from hohenberg.datasets.importing.records import Column, Options, Place
from hohenberg.datasets.targets import BOOKKEEPING
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import split_unit

QM9_SUFFIXES = (".whl", ".tar.bz2", ".tbz2", ".tar", ".tar.gz", ".tgz")


def is_qm9_xyz(path: Path) -> bool:
    """Is this ``.xyz`` one QM9 molecule (its second line starts with ``gdb``)?"""
    with open(path, "rb") as fh:
        head = fh.read(4096).decode("latin-1").splitlines()
    return len(head) > 1 and head[1].startswith("gdb ")


def qm9_molecules(path: Path, opts: Options) -> tuple[list[tuple[Molecule, Place]], list[Column]]:
    """QM9 through its own reader; targets narrow its property columns, bookkeeping stays."""
    table = qm9_table(path)
    names = [k for k in table.properties if k not in BOOKKEEPING]
    keep = names if opts.targets is None else [resolve(path, t, names) for t in opts.targets]
    table.properties = {k: v for k, v in table.properties.items() if k in keep or k in BOOKKEEPING}
    columns = [Column(k, k, f"QM9 ({split_unit(k)[1] or '?'}, converted by the QM9 reader)") for k in keep]
    mols = [(m, Place(str(path), "record", i + 1)) for i, m in enumerate(table)]
    if opts.progress is not None:
        opts.progress(path.name, len(mols))
    return mols, columns


def qm9_table(path: Path) -> MoleculeTable:
    from hohenberg.datasets import qm9
    from hohenberg.molecules.qm9xyz import read_qm9_xyz

    if path.is_file() and path.suffix.lower() == ".xyz":
        return qm9.records_to_table([read_qm9_xyz(path)], {"source": str(path)})
    return qm9.ingest(path)

