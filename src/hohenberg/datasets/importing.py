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
  (the header is line 1).
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
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hohenberg import __version__
from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.parsing import read_text
from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import ATOMIC_NUMBER, canonical_unit, convert_to_stored, split_unit, stored_unit

ON_ERROR = ("fail", "skip")
DEFAULT_SEED = 0xF00D  # the seed molecule_from_smiles uses, so both paths give the same geometry
ID_COLUMNS = ("id", "name", "mol_id", "molecule_id")
"""Columns taken as molecule ids when no id column is named (first found, case-insensitive)."""
STATE_COLUMNS = ("charge", "spin", "multiplicity", "magmom")
BOOKKEEPING = ("qm9_index", "uncharacterized")
"""Float columns that describe rows rather than molecules: never targets."""
QM9_SUFFIXES = (".whl", ".tar.bz2", ".tbz2", ".tar", ".tar.gz", ".tgz")
FORMATS = (".xyz", ".extxyz", ".sdf", ".csv", ".tsv", ".db") + QM9_SUFFIXES

Progress = Callable[[str, int], None]


# -- where a molecule came from -----------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    """A molecule's place: ``kind`` is ``line`` (CSV), ``frame``, ``record`` (SDF) or ``row`` (ASE db)."""

    file: str
    kind: str
    number: int
    line: int | None = None

    def __str__(self) -> str:
        if self.kind == "line":
            return f"{self.file}:{self.number}"
        return f"{self.file} {self.kind} {self.number}" + (f" (line {self.line})" if self.line else "")


class RecordError(Exception):
    """One molecule cannot be imported; ``column`` is None when its structure is at fault."""

    def __init__(self, column: str | None, reason: str):
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class RawRecord:
    """One molecule as a reader found it, before targets, ids and charge/spin are checked."""

    place: Place
    numbers: np.ndarray | None = None
    positions: np.ndarray | None = None
    values: dict[str, Any] = field(default_factory=dict)
    atom_properties: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    charge: int | None = None  # what the structure itself says (formal charges), if anything
    spin: int | None = None
    smiles: str | None = None  # embedded only once the row's other values are known to be good
    problem: RecordError | None = None


@dataclass(frozen=True)
class Column:
    """A target column: its name in the file, in the table, and the unit the file uses."""

    name: str
    stored: str
    unit: str


@dataclass
class ImportResult:
    """The imported table and the molecules left out (``on_error="skip"``), in file order."""

    table: MoleculeTable
    skipped: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Options:
    targets: Sequence[str] | None
    units: dict[str, str]
    on_error: str
    id_column: str | None
    smiles_column: str | None
    seed: int
    progress: Progress | None


# -- the entry point ------------------------------------------------------------------------------
def import_molecules(paths: Iterable[str | Path], targets: Sequence[str] | None = None,
                     units: dict[str, str] | None = None, on_error: str = "fail",
                     id_column: str | None = None, smiles_column: str | None = None,
                     seed: int = DEFAULT_SEED, level: str | None = None,
                     progress: Progress | None = None) -> ImportResult:
    """Read every file into one table (module docstring); ``level`` names the level of theory."""
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("no files to import")
    opts = _Options(list(targets) if targets is not None else None, declared_units(units or {}),
                    on_error, id_column, smiles_column, seed, progress)
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
            part = _qm9_molecules(path, opts)
        else:
            part = _file_molecules(path, kind, prefixes[path], opts, skipped)
        mols, columns = part
        for mol, place in mols:
            problem = _duplicate(mol.name, place, seen)
            if problem is not None:
                _report(problem, place, opts.on_error, skipped)
                continue
            molecules.append(mol)
        _note_provenance(provenance, path, columns)
    if not molecules:
        raise InputError(paths[0] if len(paths) == 1 else None,
                         f"no molecules imported ({len(skipped)} left out)")
    meta = _meta(paths, kinds, provenance, level, opts, molecules, skipped)
    return ImportResult(_assemble(molecules, meta), skipped)


def source_kind(path: Path) -> str:
    """``extxyz``, ``sdf``, ``csv``, ``ase-db`` or ``qm9`` from the path (InputError if none)."""
    name = path.name.lower()
    if path.is_dir() or name.endswith(QM9_SUFFIXES):
        return "qm9"
    if not path.exists():
        raise InputError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix in (".xyz", ".extxyz"):
        return "qm9" if suffix == ".xyz" and _is_qm9_xyz(path) else "extxyz"
    kind = {".sdf": "sdf", ".csv": "csv", ".tsv": "csv", ".db": "ase-db"}.get(suffix)
    if kind is None:
        raise InputError(path, f"unknown format {path.suffix!r}; supported: {', '.join(FORMATS)}, "
                               "or a QM9 directory")
    return kind


def _is_qm9_xyz(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096).decode("latin-1").splitlines()
    return len(head) > 1 and head[1].startswith("gdb ")


# -- options ------------------------------------------------------------------------------------
def parse_units_option(text: str) -> dict[str, str]:
    """``"gap=Ha,energy=kcal/mol"`` -> ``{"gap": "Ha", "energy": "kcal/mol"}`` (ValueError if malformed)."""
    out: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        column, sep, unit = item.partition("=")
        if not sep or not column.strip() or not unit.strip():
            raise ValueError(f"{item!r} is not COLUMN=UNIT (e.g. gap=Ha)")
        out[column.strip()] = unit.strip()
    if not out:
        raise ValueError("expected COLUMN=UNIT pairs separated by commas (e.g. gap=Ha,mu=D)")
    declared_units(out)
    return out


def parse_list_option(text: str) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``."""
    return [s.strip() for s in text.split(",") if s.strip()]


def declared_units(units: dict[str, str]) -> dict[str, str]:
    """Canonical spellings of user-declared units (ValueError naming an unknown one)."""
    out = {}
    for column, unit in units.items():
        canonical = canonical_unit(unit)
        if canonical is None:
            raise ValueError(f"unknown unit {unit!r} for {column!r}; known: eV, meV, Ha, kcal/mol, kJ/mol, "
                             "D, bohr3, bohr2, cal/molK, cm-1, GHz, K, e, Ang, 1 (dimensionless)")
        out[column] = canonical
    return out


def id_prefixes(paths: Sequence[Path]) -> dict[Path, str]:
    """Default id prefix per file: its stem, or its path where two files share a stem."""
    stems = [p.stem for p in paths]
    return {p: (p.stem if stems.count(p.stem) == 1 else str(p)) for p in paths}


# -- one file -----------------------------------------------------------------------------------
def _file_molecules(path: Path, kind: str, prefix: str, opts: _Options,
                    skipped: list[dict[str, Any]]) -> tuple[list[tuple[Molecule, Place]], list[Column]]:
    records = _READERS[kind](path, opts)
    names = _column_names(records)
    id_col = _id_column(path, names, opts.id_column, kind)
    excluded = {id_col, opts.smiles_column, *STATE_COLUMNS} - {None}
    columns = target_columns(path, records, names, opts.targets, opts.units, excluded)
    out = []
    for k, rec in enumerate(records, start=1):
        try:
            out.append((build_molecule(rec, columns, id_col, prefix, opts.seed), rec.place))
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


def _column_names(records: Sequence[RawRecord]) -> list[str]:
    """Every value name of the records, in order of first appearance."""
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec.values))
    return list(names)


def _id_column(path: Path, names: Sequence[str], id_column: str | None, kind: str) -> str | None:
    if id_column is not None:
        if id_column not in names and not (kind == "sdf" and id_column == "title"):
            raise InputError(path, f"no id column {id_column!r}; columns: {', '.join(names) or 'none'}")
        return id_column
    lower = {n.lower(): n for n in names}
    return next((lower[c] for c in ID_COLUMNS if c in lower), None)


# -- targets and units -------------------------------------------------------------------------------
def target_columns(path: Path, records: Sequence[RawRecord], names: Sequence[str],
                   targets: Sequence[str] | None, units: dict[str, str],
                   excluded: set[str]) -> list[Column]:
    """The target columns of one file with their units (InputError for a column without one)."""
    if targets is None:
        chosen = [n for n in names if n not in excluded and _is_target_like(n, records, units)]
    else:
        chosen = [_resolve(path, t, names) for t in targets]
    columns, unitless = [], []
    for name in chosen:
        unit = column_unit(path, name, units)
        if unit is None:
            unitless.append(name)
        else:
            columns.append(Column(name, f"{_base(name)}_{stored_unit(unit)}", unit))
    if unitless:
        raise InputError(path, f"column(s) {', '.join(map(repr, unitless))} carry no unit: name them with "
                               f"a unit suffix (homo_eV, gap_Ha, mu_D, logS_1) or pass --units "
                               f"{unitless[0]}=eV; choose other columns with --targets")
    _check_stored_names(path, columns)
    return columns


def column_unit(path: Path, name: str, units: dict[str, str]) -> str | None:
    """The unit of column ``name``: declared, else from its suffix; a disagreement is an error."""
    suffix_unit = split_unit(name)[1]
    declared = units.get(name)
    if declared and suffix_unit and declared != suffix_unit:
        raise InputError(path, f"column {name!r} says {suffix_unit} in its name but --units says {declared}")
    return declared or suffix_unit


def _base(name: str) -> str:
    return split_unit(name)[0]


def _check_stored_names(path: Path, columns: Sequence[Column]) -> None:
    first: dict[str, str] = {}
    for c in columns:
        other = first.setdefault(c.stored, c.name)
        if other != c.name:
            raise InputError(path, f"columns {other!r} and {c.name!r} would both be stored as {c.stored!r}")


def _resolve(path: Path, target: str, names: Sequence[str]) -> str:
    """A requested target as a column of the file: exact name, stored name, or base name."""
    if target in names:
        return target
    for name in names:
        unit = split_unit(name)[1]
        if unit and (target == f"{_base(name)}_{stored_unit(unit)}" or target == _base(name)):
            return name
    raise InputError(path, f"no column {target!r}; columns: {', '.join(names) or 'none'}")


def _is_target_like(name: str, records: Sequence[RawRecord], units: dict[str, str]) -> bool:
    """With no targets named: a column with a unit, or one holding a number somewhere."""
    if name in units or split_unit(name)[1]:
        return True
    return any(_is_number_like(rec.values.get(name)) for rec in records)


def _is_number_like(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) or value is None:
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return bool(value.strip())
    return False


def target_value(raw: Any, column: Column) -> float:
    """One target value in the stored unit; RecordError for text, empty, NaN or infinity."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise RecordError(column.name, "empty value")
    if isinstance(raw, (bool, np.bool_)) or not isinstance(raw, (str, int, float, np.integer, np.floating)):
        raise RecordError(column.name, f"{raw!r} is not a number")
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except ValueError:
        raise RecordError(column.name, f"{raw!r} is not a number (text in a target column)") from None
    if not math.isfinite(value):
        raise RecordError(column.name, f"{raw!r} is not a finite number")
    return float(convert_to_stored(value, column.unit))


# -- one molecule -----------------------------------------------------------------------------
def build_molecule(rec: RawRecord, columns: Sequence[Column], id_column: str | None, prefix: str,
                   seed: int) -> Molecule:
    """The molecule of one record, or RecordError naming the column at fault."""
    if rec.problem is not None:
        raise rec.problem
    props = {c.stored: target_value(rec.values.get(c.name), c) for c in columns}
    name = molecule_id(rec, id_column, prefix)
    charge, spin = electronic_state(rec)
    numbers, positions, info = rec.numbers, rec.positions, dict(rec.info)
    if rec.smiles is not None:
        numbers, positions, info, charge, spin = _embed(rec, charge, spin, seed)
    charge, spin = charge or 0, spin or 0
    check_atoms(numbers)
    check_electrons(numbers, charge, spin)
    try:
        return Molecule(numbers, positions, charge, spin, name, props, dict(rec.atom_properties), info)
    except ValueError as exc:
        raise RecordError(None, str(exc)) from None


def molecule_id(rec: RawRecord, id_column: str | None, prefix: str) -> str:
    if id_column is None:
        return f"{prefix}:{rec.place.number}"
    value = rec.info.get("title") if id_column == "title" and id_column not in rec.values else rec.values.get(id_column)
    text = "" if value is None else str(value).strip()
    if not text:
        raise RecordError(id_column, "empty id")
    return text


def electronic_state(rec: RawRecord) -> tuple[int | None, int | None]:
    """(charge, spin = 2S) from the record's columns, checked against its structure; None if unknown."""
    charge = _whole(rec.values, "charge")
    spin = _whole(rec.values, "spin")
    multiplicity = _whole(rec.values, "multiplicity")
    if multiplicity is not None:
        if multiplicity < 1:
            raise RecordError("multiplicity", f"multiplicity must be at least 1, found {multiplicity}")
        if spin is not None and spin != multiplicity - 1:
            raise RecordError("multiplicity", f"multiplicity {multiplicity} does not match spin {spin}")
        spin = multiplicity - 1
    if charge is not None and rec.charge is not None and charge != rec.charge:
        raise RecordError("charge", f"charge {charge} disagrees with the structure's formal charge {rec.charge}")
    if spin is not None and spin < 0:
        raise RecordError("spin", f"spin (2S, unpaired electrons) must not be negative, found {spin}")
    return (charge if charge is not None else rec.charge), (spin if spin is not None else rec.spin)


def _whole(values: dict[str, Any], key: str) -> int | None:
    raw = values.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise RecordError(key, f"{raw!r} is not a whole number") from None
    if not value.is_integer():
        raise RecordError(key, f"{raw!r} is not a whole number")
    return int(value)


def check_atoms(numbers: np.ndarray | None) -> None:
    """RecordError for an empty molecule or an atomic number outside the periodic table."""
    if numbers is None or len(numbers) == 0:
        raise RecordError(None, "no atoms (empty molecule)")
    bad = [int(z) for z in numbers if not 0 < int(z) <= 118]
    if bad:
        raise RecordError(None, f"atomic number {bad[0]} is not an element (dummy or unknown atom)")


def check_electrons(numbers: np.ndarray, charge: int, spin: int) -> None:
    """RecordError when the electron count cannot have spin 2S (an odd count needs 2S odd)."""
    electrons = int(np.sum(numbers)) - charge
    if electrons < 0 or spin > electrons:
        raise RecordError("charge", f"charge {charge} and spin {spin} leave {electrons} electrons")
    if (electrons - spin) % 2:
        raise RecordError("spin", f"{electrons} electrons cannot have spin 2S={spin}: give the number "
                                  "of unpaired electrons in a 'spin' column (or 'multiplicity')")


def _embed(rec: RawRecord, charge: int | None, spin: int | None,
           seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, str], int, int]:
    """3D geometry of a SMILES row (ETKDG + force field, fixed seed).

    The SMILES fixes the charge (a charge column must agree); spin comes from its radicals unless
    a spin or multiplicity column gives it (O2 is a triplet that SMILES cannot say).
    """
    from hohenberg.molecules.smiles import molecule_from_smiles

    column = rec.info.get("smiles_column", "smiles")
    if not rec.smiles.strip():
        raise RecordError(column, "empty SMILES")
    try:
        mol = molecule_from_smiles(rec.smiles.strip(), seed=seed)
    except InputError as exc:
        raise RecordError(column, exc.message) from None
    if charge is not None and mol.charge != charge:
        raise RecordError("charge", f"charge {charge} disagrees with the SMILES' formal charge {mol.charge}")
    info = {k: v for k, v in rec.info.items() if k != "smiles_column"}
    info.update(smiles=rec.smiles.strip(), geometry=mol.info["geometry"])
    return mol.numbers, mol.positions, info, mol.charge, mol.spin if spin is None else spin


# -- readers: extended XYZ ---------------------------------------------------------------------
_PROPERTIES = re.compile(r"(?:^|\s)Properties=(\S+)", re.IGNORECASE)
_CALC_SCALARS = ("energy", "free_energy")


def read_extxyz(path: Path, opts: _Options | None = None) -> list[RawRecord]:
    """Frames of an (extended) XYZ file; a frame whose structure is wrong becomes a problem record."""
    text = read_text(path)
    lines = text.splitlines()
    frames, problems = scan_xyz(lines)
    good = [f for f in frames if f[2] is None]
    atoms_list = _ase_frames(path, lines, good, whole=text if len(good) == len(frames) else None)
    records = [_problem_record(path, number, line, problem) for number, line, problem in problems]
    for (number, start, _), atoms in zip(good, atoms_list):
        place = Place(str(path), "frame", number, start + 1)
        records.append(atoms if isinstance(atoms, RawRecord) else _atoms_record(atoms, place))
    return sorted(records, key=lambda r: r.place.number)


def _problem_record(path: Path, number: int, line: int, problem: RecordError) -> RawRecord:
    return RawRecord(Place(str(path), "frame", number, line), problem=problem)


def scan_xyz(lines: Sequence[str]) -> tuple[list[tuple[int, int, None]], list[tuple[int, int, RecordError]]]:
    """Frame structure of an XYZ text: ``(frame number, first line index, None)`` per good frame and
    ``(frame number, 1-based line, problem)`` per bad one.  After a bad frame the scan resumes at the
    next line that starts a well-formed frame."""
    frames, problems = [], []
    i, number = 0, 0
    while i < len(lines):
        if not lines[i].strip():
            if all(not s.strip() for s in lines[i:]):
                break
            i += 1
            continue
        number += 1
        checked = check_frame(lines, i)
        if isinstance(checked, int):
            frames.append((number, i, None))
            i += checked + 2
        else:
            line, problem = checked
            problems.append((number, line, problem))
            i = _next_frame(lines, i + 1)
    return frames, problems


def check_frame(lines: Sequence[str], i: int) -> int | tuple[int, RecordError]:
    """The atom count of the frame starting at line index ``i``, or (1-based line, problem)."""
    parts = lines[i].split()
    if len(parts) != 1 or not parts[0].isdigit():
        return i + 1, RecordError(None, f"expected an atom count, found {lines[i].strip()!r}")
    n = int(parts[0])
    if n == 0:
        return i + 1, RecordError(None, "atom count 0 (empty molecule)")
    if i + 1 >= len(lines):
        return i + 1, RecordError(None, "the file ends before the comment line")
    fields, species = _atom_fields(lines[i + 1])
    end = i + 2 + n
    for k in range(i + 2, min(end, len(lines))):
        atom = lines[k].split()
        if len(atom) != fields:
            return k + 1, RecordError(None, f"line {k + 1} has {len(atom)} fields where an atom line has "
                                            f"{fields}: the atom count {n} is wrong or the line is malformed")
        if atom[species] not in ATOMIC_NUMBER:
            return k + 1, RecordError("species", f"unknown element {atom[species]!r} on line {k + 1}")
    if end > len(lines):
        return len(lines), RecordError(None, f"the frame declares {n} atoms but the file ends after "
                                             f"{len(lines) - i - 2}")
    if end < len(lines) and lines[end].strip() and not _is_count_line(lines[end]):
        return end + 1, RecordError(None, f"line {end + 1} follows the frame's {n} atoms but is not an atom "
                                          "count: the frame holds more atoms than its count says")
    return n


def _atom_fields(comment: str) -> tuple[int, int]:
    """Fields per atom line and the species column, from an extended XYZ ``Properties=`` spec."""
    match = _PROPERTIES.search(comment)
    if not match:
        return 4, 0
    spec = match.group(1).strip("\"'").split(":")
    names, counts = spec[0::3], spec[2::3]
    try:
        widths = [int(c) for c in counts]
    except ValueError:
        return 4, 0  # ASE reports a malformed Properties spec with its own words
    species = names.index("species") if "species" in names else 0
    return sum(widths), sum(widths[:species])


def _is_count_line(line: str) -> bool:
    parts = line.split()
    return len(parts) == 1 and parts[0].isdigit()


def _next_frame(lines: Sequence[str], i: int) -> int:
    while i < len(lines):
        if _is_count_line(lines[i]) and isinstance(check_frame(lines, i), int):
            return i
        i += 1
    return len(lines)


def _ase_frames(path: Path, lines: Sequence[str], good: Sequence[tuple[int, int, None]],
                whole: str | None) -> list:
    """ASE Atoms of the good frames, read in one call; frame by frame only to find a bad header."""
    import ase.io

    if not good:
        return []
    if whole is None:
        whole = "\n".join(_frame_text(lines, start) for _, start, _ in good) + "\n"
    try:
        frames = ase.io.read(io.StringIO(whole), index=":", format="extxyz")
        if len(frames) == len(good):
            return frames
    except Exception:  # ASE raises many types for a malformed comment line; located below
        pass
    out = []
    for number, start, _ in good:
        try:
            out.append(ase.io.read(io.StringIO(_frame_text(lines, start) + "\n"), format="extxyz"))
        except Exception as exc:  # noqa: BLE001 - ASE's own words name what is malformed
            out.append(_problem_record(path, number, start + 2, RecordError(None, f"ASE cannot read the frame ({exc})")))
    return out


def _frame_text(lines: Sequence[str], start: int) -> str:
    n = int(lines[start].split()[0])
    return "\n".join(lines[start:start + n + 2])


def _atoms_record(atoms, place: Place) -> RawRecord:
    """A RawRecord from an ASE Atoms read from extended XYZ (info, arrays and calculator results)."""
    if atoms.pbc.any():
        return RawRecord(place, problem=RecordError("pbc", "periodic frame (a crystal, not a molecule)"))
    values = {k: v for k, v in atoms.info.items() if np.ndim(v) == 0}
    atom_props = {k: np.asarray(v, dtype=np.float64) for k, v in atoms.arrays.items()
                  if k not in ("numbers", "positions") and np.asarray(v).dtype.kind in "fiu"}
    if atoms.calc is not None:
        for k, v in atoms.calc.results.items():
            if k in _CALC_SCALARS or np.ndim(v) == 0:
                values.setdefault(k, v)
            elif np.shape(v)[:1] == (len(atoms),):
                atom_props.setdefault(k, np.asarray(v, dtype=np.float64))
    return RawRecord(place, atoms.numbers.copy(), atoms.positions.copy(), values, atom_props,
                     {"geometry": "file"})


# -- readers: SDF --------------------------------------------------------------------------
def read_sdf_records(path: Path, opts: _Options | None = None) -> list[RawRecord]:
    """Records of an SDF file (module docstring: hydrogens, 2D, radicals)."""
    from rdkit import Chem, RDLogger

    text = read_text(path)
    blocks = split_sdf(text)
    RDLogger.DisableLog("rdApp.*")  # failures are reported with the record and its line
    try:
        supplier = Chem.SDMolSupplier()
        supplier.SetData(text, removeHs=False, sanitize=True)
        whole = len(supplier) == len(blocks)
        records = []
        for k, (line, block) in enumerate(blocks, start=1):
            rdmol = supplier[k - 1] if whole else _parse_block(block, sanitize=True)
            place = Place(str(path), "record", k, line)
            records.append(_sdf_record(rdmol, block, place))
    finally:
        RDLogger.EnableLog("rdApp.*")
    return records


def split_sdf(text: str) -> list[tuple[int, str]]:
    """(1-based first line, molblock with data items) of each ``$$$$``-terminated record."""
    records, start, buf = [], 1, []
    for i, line in enumerate(text.splitlines(), start=1):
        if line.strip() == "$$$$":
            records.append((start, "\n".join(buf)))
            start, buf = i + 1, []
        else:
            buf.append(line)
    if any(s.strip() for s in buf):
        records.append((start, "\n".join(buf)))
    return records


def _parse_block(block: str, sanitize: bool):
    from rdkit import Chem

    supplier = Chem.SDMolSupplier()
    supplier.SetData(block + "\n$$$$\n", removeHs=False, sanitize=sanitize)
    return supplier[0] if len(supplier) else None


def _sdf_record(rdmol, block: str, place: Place) -> RawRecord:
    from rdkit import Chem

    if rdmol is None:
        raw = _parse_block(block, sanitize=False)
        why = ("RDKit cannot sanitize it (valence or aromaticity)" if raw is not None
               else "not a valid molfile block (unknown element or malformed lines)")
        return RawRecord(place, problem=RecordError(None, why))
    values = {k: rdmol.GetProp(k) for k in rdmol.GetPropNames()}
    title = rdmol.GetProp("_Name").strip() if rdmol.HasProp("_Name") else ""
    info = {"geometry": "file"} | ({"title": title} if title else {})
    problem = _sdf_structure_problem(rdmol)
    if problem is not None:
        return RawRecord(place, values=values, problem=problem)
    if any(a.GetTotalNumHs() for a in rdmol.GetAtoms()):
        # implicit hydrogens: place them rather than read the molecule as a radical
        rdmol = Chem.AddHs(rdmol, addCoords=True)
        info["geometry"] = "file, hydrogens added by RDKit"
    positions = np.array(rdmol.GetConformer().GetPositions(), dtype=np.float64)
    numbers = np.array([a.GetAtomicNum() for a in rdmol.GetAtoms()], dtype=np.int64)
    spin = sum(a.GetNumRadicalElectrons() for a in rdmol.GetAtoms())
    return RawRecord(place, numbers, positions, values, {}, info, Chem.GetFormalCharge(rdmol), spin)


def _sdf_structure_problem(rdmol) -> RecordError | None:
    if rdmol.GetNumAtoms() == 0:
        return RecordError(None, "no atoms (empty molecule)")
    if rdmol.GetNumConformers() == 0:
        return RecordError(None, "no coordinates")
    if any(a.GetAtomicNum() == 0 for a in rdmol.GetAtoms()):
        return RecordError(None, "a dummy or query atom (atomic number 0) is not an element")
    if not rdmol.GetConformer().Is3D():
        return RecordError(None, "2D coordinates (the header says 2D or every z is 0): give a 3D geometry")
    return None


# -- readers: CSV / TSV with SMILES ----------------------------------------------------------------
def read_csv_records(path: Path, opts: _Options) -> list[RawRecord]:
    """Rows of a CSV/TSV file with a SMILES column; geometry is embedded later, row by row."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    header = [h.strip() for h in next(reader, [])]
    smiles_col = _smiles_column(path, header, opts.smiles_column)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise InputError(path, f"column(s) {', '.join(map(repr, duplicates))} appear more than once in the header", 1)
    records, last = [], reader.line_num
    for row in reader:
        line, last = last + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        place = Place(str(path), "line", line, line)
        if len(row) != len(header):
            records.append(RawRecord(place, problem=RecordError(None, f"{len(row)} fields, the header has {len(header)}")))
            continue
        values = dict(zip(header, row))
        smiles = values.pop(smiles_col)
        records.append(RawRecord(place, values=values, smiles=smiles, info={"smiles_column": smiles_col}))
    return records


def _smiles_column(path: Path, header: Sequence[str], given: str | None) -> str:
    if given is not None:
        if given not in header:
            raise InputError(path, f"no SMILES column {given!r}; columns: {', '.join(header)}", 1)
        return given
    found = [h for h in header if h.lower() == "smiles"]
    if not found:
        raise InputError(path, f"no column named 'smiles'; name the SMILES column with --smiles-column "
                               f"(columns: {', '.join(header) or 'none'})", 1)
    return found[0]


# -- readers: ASE database ------------------------------------------------------------------------
def read_ase_db(path: Path, opts: _Options | None = None) -> list[RawRecord]:
    """Rows of an ASE database: key_value_pairs, energy (eV), charge from initial charges, spin from magmom."""
    import ase.db

    if not path.is_file():
        raise InputError(path, "no such file")  # connect() would create an empty database
    try:
        db = ase.db.connect(str(path), type="db")
        rows = list(db.select())
    except Exception as exc:  # sqlite3 and ASE raise several types for a file that is not a database
        raise InputError(path, f"not a readable ASE database ({exc})") from None
    return [_db_record(row, Place(str(path), "row", int(row.id))) for row in rows]


def _db_record(row, place: Place) -> RawRecord:
    values: dict[str, Any] = dict(row.key_value_pairs)
    if row.get("energy") is not None:
        values.setdefault("energy_eV", float(row.energy))
    if row.pbc.any():
        return RawRecord(place, values=values, problem=RecordError("pbc", "periodic row (a crystal, not a molecule)"))
    charges = row.get("initial_charges")
    charge = None
    if charges is not None and "charge" not in values:
        total = float(np.sum(charges))
        if abs(total - round(total)) > 1e-6:
            return RawRecord(place, values=values, problem=RecordError("initial_charges", f"total charge {total} is not whole"))
        charge = int(round(total))
    magmom = row.get("magmom")
    spin = int(round(abs(float(magmom)))) if magmom is not None else None
    atom_props = {}
    if row.get("forces") is not None:
        atom_props["forces"] = np.asarray(row.forces, dtype=np.float64)
    return RawRecord(place, np.asarray(row.numbers, dtype=np.int64), np.asarray(row.positions, dtype=np.float64),
                     values, atom_props, {"geometry": "file"}, charge, spin)


_READERS: dict[str, Callable[[Path, _Options], list[RawRecord]]] = {
    "extxyz": read_extxyz, "sdf": read_sdf_records, "csv": read_csv_records, "ase-db": read_ase_db,
}


# -- QM9 ------------------------------------------------------------------------------------------
def _qm9_molecules(path: Path, opts: _Options) -> tuple[list[tuple[Molecule, Place]], list[Column]]:
    """QM9 through its own reader; targets narrow its property columns, bookkeeping stays."""
    table = _qm9_table(path)
    names = [k for k in table.properties if k not in BOOKKEEPING]
    keep = names if opts.targets is None else [_resolve(path, t, names) for t in opts.targets]
    table.properties = {k: v for k, v in table.properties.items() if k in keep or k in BOOKKEEPING}
    columns = [Column(k, k, f"QM9 ({split_unit(k)[1] or '?'}, converted by the QM9 reader)") for k in keep]
    mols = [(m, Place(str(path), "record", i + 1)) for i, m in enumerate(table)]
    if opts.progress is not None:
        opts.progress(path.name, len(mols))
    return mols, columns


def _qm9_table(path: Path) -> MoleculeTable:
    from hohenberg.datasets import qm9
    from hohenberg.molecules.qm9xyz import read_qm9_xyz

    if path.is_file() and path.suffix.lower() == ".xyz":
        return qm9.records_to_table([read_qm9_xyz(path)], {"source": str(path)})
    return qm9.ingest(path)


# -- the table ------------------------------------------------------------------------------------
def _assemble(molecules: list[Molecule], meta: dict[str, str]) -> MoleculeTable:
    """One table; per-atom columns that not every molecule has (or that differ in shape) are dropped."""
    shapes: dict[str, set] = {}
    for m in molecules:
        for k, v in m.atom_properties.items():
            shapes.setdefault(k, set()).add(np.shape(v)[1:])
    keep = {k for k, s in shapes.items() if len(s) == 1 and all(k in m.atom_properties for m in molecules)}
    dropped = sorted(set(shapes) - keep)
    if dropped:
        meta["atom_properties_dropped"] = ", ".join(dropped)
        for m in molecules:
            m.atom_properties = {k: v for k, v in m.atom_properties.items() if k in keep}
    return MoleculeTable.from_molecules(molecules, meta)


def _note_provenance(provenance: dict[str, dict[str, list[str]]], path: Path, columns: Sequence[Column]) -> None:
    for c in columns:
        entry = provenance.setdefault(c.stored, {"source": [], "unit_in_file": []})
        entry["source"].append(path.name)
        if c.unit not in entry["unit_in_file"]:
            entry["unit_in_file"].append(c.unit)


def _meta(paths: Sequence[Path], kinds: Sequence[str], provenance: dict, level: str | None, opts: _Options,
          molecules: Sequence[Molecule], skipped: Sequence[dict]) -> dict[str, str]:
    from hohenberg.datasets.qm9 import LEVEL as QM9_LEVEL

    only_qm9 = all(k == "qm9" for k in kinds)
    level = level or (QM9_LEVEL if only_qm9 else "unknown")
    target_provenance = {col: {"source": ", ".join(e["source"]), "unit_in_file": ", ".join(e["unit_in_file"]),
                               "level": level} for col, e in provenance.items()}
    meta = {"source_kind": ",".join(dict.fromkeys(kinds)), "sources": json.dumps([p.name for p in paths]),
            "source": ", ".join(str(p) for p in paths), "target_provenance": json.dumps(target_provenance),
            "level": level, "code": f"hohenberg {__version__}", "skipped": str(len(skipped))}
    if only_qm9:
        meta["dataset"] = "qm9"
    if "csv" in kinds:
        meta["smiles_geometry"] = f"RDKit ETKDGv3 + MMFF94 (UFF where MMFF lacks parameters), seed {opts.seed}"
    added = sum(m.info.get("geometry") == "file, hydrogens added by RDKit" for m in molecules)
    if added:
        meta["hydrogens_added"] = str(added)
    return meta


# -- describing a table ---------------------------------------------------------------------------
def table_targets(table: MoleculeTable) -> list[str]:
    """Float property columns that carry a unit, bookkeeping columns aside."""
    return [k for k, v in table.properties.items()
            if k not in BOOKKEEPING and split_unit(k)[1] and np.asarray(v).dtype.kind == "f"]


def describe(table: MoleculeTable) -> dict[str, Any]:
    """Counts a person checks first: molecules, atoms, elements, charge/spin, targets, provenance."""
    from hohenberg.units import symbol

    zs, counts = np.unique(table.numbers, return_counts=True)
    charges, charge_n = np.unique(table.charge, return_counts=True)
    spins, spin_n = np.unique(table.spin, return_counts=True)
    try:
        provenance = json.loads(table.meta.get("target_provenance", "{}"))
    except json.JSONDecodeError:
        provenance = {}
    return {
        "molecules": len(table), "atoms": int(table.offsets[-1]),
        "elements": {symbol(int(z)): int(n) for z, n in zip(zs, counts)},
        "charge": {str(int(c)): int(n) for c, n in zip(charges, charge_n)},
        "spin": {str(int(s)): int(n) for s, n in zip(spins, spin_n)},
        "targets": {t: split_unit(t)[1] for t in table_targets(table)},
        "target_provenance": provenance,
    }


def write_skipped_csv(path: str | Path, skipped: Sequence[dict[str, Any]]) -> Path:
    """The left-out molecules as CSV (file, kind, number, line, column, reason), written atomically."""
    from hohenberg.fileio import atomic_write

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["file", "kind", "number", "line", "column", "reason"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in skipped)
    return atomic_write(path, buf.getvalue())
