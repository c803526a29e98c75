"""Users' own molecules into a :class:`MoleculeTable`: extended XYZ, SDF, CSV/TSV, ASE databases, QM9.

Sources, by extension:

- ``.xyz`` / ``.extxyz``: extended XYZ as ASE writes it; per-frame ``key=value`` pairs of the
  comment line are the candidate targets, extra per-atom columns become ``atom_properties``.
  The frame structure is checked here first (an atom-count line that is too small or too large
  is reported on its frame), then ASE parses the frames.  A ``.xyz`` whose second line starts
  with ``gdb`` is one QM9 molecule.
- ``.sdf``: records read by RDKit with hydrogens kept; ``> <tag>`` data items are the candidate
  targets.  A record that leaves hydrogens implicit gets them from RDKit with coordinates
  (``AddHs(addCoords=True)``), so it is never read as a radical; such molecules carry
  ``geometry = "file, hydrogens added by RDKit"`` and ``meta['hydrogens_added']`` counts them.
  Records with 2D coordinates are errors (their geometry is not a molecule's).  Radicals must be
  marked in the file (``M  RAD``), as the molfile format says.
- ``.csv`` / ``.tsv``: one molecule per row from a SMILES column (``smiles`` in any case, or
  ``smiles_column``), 3D geometry by ETKDG + MMFF94 with a fixed seed
  (:func:`~hohenberg.molecules.smiles.molecule_from_smiles`); numbers are reported by file line
  (the header is line 1).  With ``optimize`` (``gfn2-xtb`` or ``gfn1-xtb``, ``--optimize``) that
  geometry is then relaxed with xTB (:func:`hohenberg.qc.xtb.optimize_geometry`), and the
  molecule's ``geometry`` says so (``rdkit-etkdg-mmff94 + gfn2-xtb-opt``).
- ``.db``: ASE databases; ``key_value_pairs`` are the candidate targets and the row's energy is
  ``energy_eV`` (ASE's database stores calculator results in eV); rows are named by their id.
- QM9 (a directory of ``dsgdb9nsd_*.xyz``, the ``.tar.bz2`` release or the qm9pack wheel) goes
  through :func:`hohenberg.datasets.qm9.ingest` unchanged.

Units: every target names its unit in its suffix (``homo_eV``, ``gap_Ha``, ``energy_kcal/mol``,
``mu_D``, ``Cv_cal/molK``, ``logS_1`` for dimensionless) or is given one in ``units``.  Energies
(Ha, meV, kcal/mol, kJ/mol) are converted to eV and the column renamed ``<base>_eV``; other
units are kept, spelled canonically (:mod:`hohenberg.units`).  A target without a unit is an
error naming the file and the column: a wrong unit silently taken would poison every model.

Charge and spin (2S, the number of unpaired electrons, as :class:`Molecule` counts it) come from
``charge`` / ``spin`` / ``multiplicity`` columns, info keys or tags, from SDF formal charges and
radicals, from SMILES, or from an ASE row's initial charges and magnetic moment.

Bad input is an :class:`~hohenberg.errors.InputError` naming the file, the line / frame /
record / row and the column.  With ``on_error="skip"`` the molecule is left out and listed in
:attr:`ImportResult.skipped` instead.  Nothing is written here: the caller saves the table,
atomically, only once the import has succeeded.

Modules, one job each: :mod:`.records` (a molecule as a reader found it), :mod:`.options`,
:mod:`.columns` (ids, targets, units), :mod:`.build` (one record into a Molecule), the readers
:mod:`.extxyz`, :mod:`.sdf`, :mod:`.tabular` (CSV/TSV), :mod:`.asedb`, :mod:`.qm9`, then
:mod:`.table` (the table and its meta) and :mod:`.report` (describe, left-out CSV).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hohenberg.datasets.importing.asedb import read_ase_db
from hohenberg.datasets.importing.build import (build_molecule, check_atoms, check_electrons, electronic_state,
                                                molecule_id)
from hohenberg.datasets.importing.columns import (ID_COLUMNS, STATE_COLUMNS, column_names, column_unit, id_column,
                                                  target_columns, target_value)
from hohenberg.datasets.importing.extxyz import check_frame, read_extxyz, scan_xyz
from hohenberg.datasets.importing.options import (DEFAULT_SEED, ON_ERROR, OPTIMIZE, declared_units,
                                                  optimize_method, parse_list_option, parse_units_option)
from hohenberg.datasets.importing.qm9 import QM9_SUFFIXES, is_qm9_xyz, qm9_molecules
from hohenberg.datasets.importing.records import Column, Options, Place, Progress, RawRecord, RecordError
from hohenberg.datasets.importing.report import describe, write_skipped_csv
from hohenberg.datasets.importing.sdf import read_sdf_records, split_sdf
from hohenberg.datasets.importing.table import assemble, import_meta, note_provenance
from hohenberg.datasets.importing.tabular import read_csv_records
from hohenberg.datasets.targets import BOOKKEEPING, table_targets
from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.table import MoleculeTable

FORMATS = (".xyz", ".extxyz", ".sdf", ".csv", ".tsv", ".db") + QM9_SUFFIXES

__all__ = [
    "BOOKKEEPING", "Column", "DEFAULT_SEED", "FORMATS", "ID_COLUMNS", "ImportResult", "ON_ERROR", "OPTIMIZE",
    "Place", "Progress", "QM9_SUFFIXES", "RawRecord", "RecordError", "STATE_COLUMNS", "build_molecule",
    "check_atoms", "check_electrons", "check_frame", "column_unit", "declared_units", "describe",
    "electronic_state", "id_prefixes", "import_molecules", "molecule_id", "parse_list_option",
    "parse_units_option", "read_ase_db", "read_csv_records", "read_extxyz", "read_sdf_records", "scan_xyz",
    "source_kind", "split_sdf", "table_targets", "target_columns", "target_value", "write_skipped_csv",
]


@dataclass
class ImportResult:
    """The imported table and the molecules left out (``on_error="skip"``), in file order."""

    table: MoleculeTable
    skipped: list[dict[str, Any]] = field(default_factory=list)


def import_molecules(paths: Iterable[str | Path], targets: Sequence[str] | None = None,
                     units: dict[str, str] | None = None, on_error: str = "fail",
                     id_column: str | None = None, smiles_column: str | None = None,
                     seed: int = DEFAULT_SEED, level: str | None = None,
                     progress: Progress | None = None, optimize: str | None = None) -> ImportResult:
    """Read every file into one table (module docstring); ``level`` names the level of theory,
    ``optimize`` the xTB level that relaxes geometries embedded from SMILES."""
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("no files to import")
    opts = Options(list(targets) if targets is not None else None, declared_units(units or {}),
                   on_error, id_column, smiles_column, seed, progress, optimize_method(optimize))
    prefixes = id_prefixes(paths)
    molecules: list[Molecule] = []
    skipped: list[dict[str, Any]] = []
    seen: dict[str, Place] = {}
    provenance: dict[str, dict[str, list[str]]] = {}
    kinds: list[str] = []
    for path in paths:
        kind = source_kind(path)
        kinds.append(kind)
        if kind == "qm9":
            part = qm9_molecules(path, opts)
        else:
            part = _file_molecules(path, kind, prefixes[path], opts, skipped)
        mols, columns = part
        for mol, place in mols:
            problem = _duplicate(mol.name, place, seen)
            if problem is not None:
                _report(problem, place, opts.on_error, skipped)
                continue
            molecules.append(mol)
        note_provenance(provenance, path, columns)
    if not molecules:
        raise InputError(paths[0] if len(paths) == 1 else None,
                         f"no molecules imported ({len(skipped)} left out)")
    meta = import_meta(paths, kinds, provenance, level, opts, molecules, skipped)
    return ImportResult(assemble(molecules, meta), skipped)


def source_kind(path: Path) -> str:
    """``extxyz``, ``sdf``, ``csv``, ``ase-db`` or ``qm9`` from the path (InputError if none)."""
    name = path.name.lower()
    if path.is_dir() or name.endswith(QM9_SUFFIXES):
        return "qm9"
    if not path.exists():
        raise InputError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix in (".xyz", ".extxyz"):
        return "qm9" if suffix == ".xyz" and is_qm9_xyz(path) else "extxyz"
    kind = {".sdf": "sdf", ".csv": "csv", ".tsv": "csv", ".db": "ase-db"}.get(suffix)
    if kind is None:
        raise InputError(path, f"unknown format {path.suffix!r}; supported: {', '.join(FORMATS)}, "
                               "or a QM9 directory")
    return kind


def id_prefixes(paths: Sequence[Path]) -> dict[Path, str]:
    """Default id prefix per file: its stem, or its path where two files share a stem."""
    stems = [p.stem for p in paths]
    return {p: (p.stem if stems.count(p.stem) == 1 else str(p)) for p in paths}


def _file_molecules(path: Path, kind: str, prefix: str, opts: Options,
                    skipped: list[dict[str, Any]]) -> tuple[list[tuple[Molecule, Place]], list[Column]]:
    records = _READERS[kind](path, opts)
    names = column_names(records)
    id_col = id_column(path, names, opts.id_column, kind)
    excluded = {id_col, opts.smiles_column, *STATE_COLUMNS} - {None}
    columns = target_columns(path, records, names, opts.targets, opts.units, excluded)
    out = []
    for k, rec in enumerate(records, start=1):
        try:
            out.append((build_molecule(rec, columns, id_col, prefix, opts.seed, opts.optimize), rec.place))
        except RecordError as exc:
            _report(exc, rec.place, opts.on_error, skipped)
        if opts.progress is not None and (k % 100 == 0 or k == len(records)):
            opts.progress(path.name, k)
    return out, columns


def _report(exc: RecordError, place: Place, on_error: str, skipped: list[dict[str, Any]]) -> None:
    """Raise the error (``fail``) or list the molecule as left out (``skip``)."""
    if on_error == "fail":
        raise _input_error(exc, place)
    skipped.append({"file": place.file, "kind": place.kind, "number": place.number, "line": place.line,
                    "column": exc.column or "", "reason": exc.reason})


def _input_error(exc: RecordError, place: Place) -> InputError:
    where = [] if place.kind == "line" else [f"{place.kind} {place.number}"]
    if exc.column:
        where.append(f"column {exc.column!r}")
    return InputError(place.file, f"{', '.join(where)}: {exc.reason}" if where else exc.reason, place.line)


def _duplicate(ident: str, place: Place, seen: dict[str, Place]) -> RecordError | None:
    first = seen.setdefault(ident, place)
    if first is place:
        return None
    return RecordError("id", f"id {ident!r} is already used by {first}")


_READERS: dict[str, Callable[[Path, Options], list[RawRecord]]] = {
    "extxyz": read_extxyz, "sdf": read_sdf_records, "csv": read_csv_records, "ase-db": read_ase_db,
}
