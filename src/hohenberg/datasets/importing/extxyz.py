"""Extended XYZ frames as records: the frame structure checked here (errors name the frame and its
line), then the frames parsed by ASE; ``key=value`` pairs and calculator scalars are the values."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hohenberg.datasets.importing.records import Options, Place, RawRecord, RecordError
from hohenberg.molecules.parsing import read_text
from hohenberg.units import ATOMIC_NUMBER

_PROPERTIES = re.compile(r"(?:^|\s)Properties=(\S+)", re.IGNORECASE)
_CALC_SCALARS = ("energy", "free_energy")


def read_extxyz(path: Path, opts: Options | None = None) -> list[RawRecord]:
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

