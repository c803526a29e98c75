"""What ``hohenberg qc batch`` computes: molecules with ids, from any molecule file or table.

Inputs: a molecule table (``.npz``), a SMILES list (``.smi``/``.smiles``: ``SMILES [name]`` per
line), SDF/MOL, xyz/extxyz (one or many frames), or a folder of ``.xyz`` files.  Ids come from the
input where it names its molecules (table ids, SMILES names, SDF titles, xyz comment lines,
extxyz ``name=``); otherwise they are generated stably as ``<file stem>-<row>`` (row counted from
0 in the file).  In a folder, each file's stem is its molecule's id (``<stem>-<row>`` for a file
of several frames).  Two molecules with one id are an error: a store holds one record per id, and
resuming a batch relies on it.

SMILES are embedded in 3D (RDKit ETKDG + MMFF94, seeded, so reproducible) only when computed, on
the worker: :class:`SmilesEntry` carries the text, so a resumed batch of 10^5 SMILES does not
re-embed the ones already done.  Their syntax is checked when the file is read, so a typo stops
the batch at once, naming the file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule

SMILES_SUFFIXES = (".smi", ".smiles")
GEOMETRY_FROM_SMILES = "rdkit-etkdg-mmff94"


@dataclass(frozen=True)
class SmilesEntry:
    """A molecule still to be embedded from its SMILES (picklable: sent to workers as it is)."""

    name: str
    smiles: str
    where: str  # file, for errors
    line: int

    def build(self) -> Molecule:
        from hohenberg.molecules.smiles import molecule_from_smiles

        return molecule_from_smiles(self.smiles, name=self.name, where=self.where, line=self.line)


BatchItem = Molecule | SmilesEntry


def as_molecule(item: BatchItem) -> Molecule:
    """The molecule of a batch item (embeds a SMILES entry)."""
    return item.build() if isinstance(item, SmilesEntry) else item


def geometry_of(item: BatchItem) -> str:
    """Where an item's input geometry comes from, for the record's provenance."""
    if isinstance(item, SmilesEntry):
        return GEOMETRY_FROM_SMILES
    return item.info.get("geometry", "input")


def read_batch_input(source: str | Path, ids: Sequence[str] | None = None,
                     limit: int | None = None) -> Sequence[BatchItem]:
    """The molecules of ``source`` (module docstring) with unique ids; ``ids`` selects some (in that
    order; an unknown one is an :class:`InputError` naming it), ``limit`` keeps the first N.

    A table is returned as a table (molecules made one at a time when iterated), anything else as
    a list."""
    path = Path(source)
    if path.is_dir():
        items = _read_folder(path)
    elif not path.is_file():
        raise InputError(path, "no such file or folder")
    elif path.suffix.lower() == ".npz":
        return _select_table(path, ids, limit)
    elif path.suffix.lower() in SMILES_SUFFIXES:
        items = read_smiles_entries(path)
    else:
        items = _read_file(path)
    _check_unique([item.name for item in items], path)
    if ids is not None:
        by_id = {item.name: item for item in items}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
            raise InputError(path, f"molecule id {unknown[0]!r}{more} is not in this input")
        items = [by_id[i] for i in dict.fromkeys(ids)]
    return items[:_limit(limit, len(items))]


def _limit(limit: int | None, n: int) -> int:
    if limit is not None and limit < 0:
        raise InputError(None, f"limit must not be negative, not {limit}")
    return n if limit is None else min(limit, n)


def _select_table(path: Path, ids: Sequence[str] | None, limit: int | None):
    from hohenberg.molecules.table import MoleculeTable

    table = MoleculeTable.load(path)
    _check_unique([str(i) for i in table.ids], path)
    if ids is not None:
        known = {str(m) for m in table.ids}
        unknown = [i for i in ids if i not in known]
        if unknown:
            more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
            raise InputError(path, f"molecule id {unknown[0]!r}{more} is not in this table")
        table = table.take(table.index_of(list(dict.fromkeys(ids))))
    return table.take(slice(0, _limit(limit, len(table))))


def read_smiles_entries(path: str | Path) -> list[SmilesEntry]:
    """``SMILES [name]`` lines (``#`` comments, blank lines and a ``smiles`` header skipped),
    syntax-checked; a line without a name gets ``<stem>-<row>``."""
    from rdkit import Chem, RDLogger

    from hohenberg.molecules.parsing import read_text
    from hohenberg.molecules.smiles import check_smiles

    path = Path(path)
    out: list[SmilesEntry] = []
    RDLogger.DisableLog("rdApp.*")  # a bad line is reported below with its file and line
    try:
        for i, raw in enumerate(read_text(path).splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#") or (not out and line.lower().split()[0] in ("smiles", "smi")):
                continue
            parts = line.replace(",", " ").split()
            check_smiles(Chem.MolFromSmiles(parts[0]), parts[0], str(path), i)
            name = parts[1] if len(parts) > 1 else f"{path.stem}-{len(out)}"
            out.append(SmilesEntry(name, parts[0], str(path), i))
    finally:
        RDLogger.EnableLog("rdApp.*")
    if not out:
        raise InputError(path, "no SMILES found")
    return out


def _read_file(path: Path) -> list[Molecule]:
    from hohenberg.molecules.formats import read_molecules

    mols = read_molecules(path)
    for k, mol in enumerate(mols):
        # the readers name an unnamed molecule "<stem>:<k>"; batch ids use "<stem>-<row>"
        if mol.name == f"{path.stem}:{k}" or not mol.name:
            mol.name = f"{path.stem}-{k}"
    return mols


def _read_folder(folder: Path) -> list[Molecule]:
    from hohenberg.molecules.formats import read_molecules

    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".xyz")
    if not files:
        raise InputError(folder, "folder holds no .xyz files")
    out = []
    for f in files:
        mols = read_molecules(f)
        for k, mol in enumerate(mols):
            mol.name = f.stem if len(mols) == 1 else f"{f.stem}-{k}"
        out += mols
    return out


def _check_unique(names: Sequence[str], path: Path) -> None:
    first: dict[str, int] = {}
    for row, name in enumerate(names):
        if not name or "\n" in name:
            raise InputError(path, f"molecule {row}: id {name!r} cannot name a record")
        if name in first:
            raise InputError(path, f"molecule id {name!r} appears twice (molecules {first[name]} "
                                   f"and {row}, counted from 0); ids must be unique")
        first[name] = row
