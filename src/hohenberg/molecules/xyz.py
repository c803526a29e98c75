"""XYZ and extended XYZ (multi-frame) files.

The frame structure (count line, comment line, one line per atom) is parsed here so that
errors name the line; for extended XYZ the comment line's key=value pairs and extra per-atom
columns are then read by ASE, which owns that format.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError
from hohenberg.fileio import atomic_write
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.parsing import parse_element, parse_float, parse_int, read_text

# extended XYZ: a Properties/Lattice/pbc header, or the charge or spin of the frame (which a plain
# reading would drop, turning an ion or a triplet silently into a neutral singlet)
_EXTXYZ = re.compile(r"(^|\s)(Properties|Lattice|pbc|charge|spin)\s*=", re.IGNORECASE)


def read_xyz(path: str | Path) -> list[Molecule]:
    """All frames of an XYZ or extended XYZ file."""
    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    frames: list[tuple[int, int]] = []  # (first line index, atom count)
    molecules: list[Molecule] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            if all(not s.strip() for s in lines[i:]):
                break
            raise InputError(path, "blank line where an atom count was expected", i + 1)
        n = parse_int(lines[i].split()[0], path, i + 1, "atom count")
        if n <= 0:
            raise InputError(path, f"atom count must be positive, found {n}", i + 1)
        if i + 1 >= len(lines):
            raise InputError(path, "file ends before the comment line", i + 2)
        comment = lines[i + 1].strip()
        if i + 2 + n > len(lines):
            have = len(lines) - i - 2
            raise InputError(path, f"frame declares {n} atoms but the file ends after {have}", len(lines))
        numbers, positions = [], []
        for k in range(i + 2, i + 2 + n):
            parts = lines[k].split()
            if len(parts) < 4:
                raise InputError(path, f"atom line needs a symbol and 3 coordinates, found {lines[k].strip()!r}", k + 1)
            numbers.append(parse_element(parts[0], path, k + 1))
            positions.append([parse_float(t, path, k + 1, "coordinate") for t in parts[1:4]])
        name = comment if comment and "=" not in comment else f"{path.stem}:{len(frames)}"
        molecules.append(Molecule(numbers, positions, name=name))
        frames.append((i, n))
        i += 2 + n
    if not molecules:
        raise InputError(path, "no molecules found")
    if any(_EXTXYZ.search(lines[start + 1]) for start, _ in frames):
        return _read_extxyz(path, molecules)
    return molecules


def _read_extxyz(path: Path, checked: list[Molecule]) -> list[Molecule]:
    import ase.io

    try:
        frames = ase.io.read(path, index=":", format="extxyz")
    except Exception as exc:  # ASE raises many types for a malformed header
        raise InputError(path, f"malformed extended XYZ header ({exc})") from None
    out = []
    for k, (atoms, plain) in enumerate(zip(frames, checked)):
        try:
            mol = Molecule.from_ase(atoms)
        except ValueError as exc:  # a fractional charge, a negative spin, an impossible electron count
            raise InputError(path, f"frame {k}: {exc}", _frame_line(checked, k)) from None
        mol.name = str(atoms.info.get("name", "")) or f"{path.stem}:{k}"
        if not np.array_equal(mol.numbers, plain.numbers):
            raise InputError(path, f"frame {k}: element columns disagree with the Properties header")
        out.append(mol)
    return out


def _frame_line(checked: list[Molecule], k: int) -> int:
    """1-based line of frame ``k``'s comment (frames as read by the plain pass)."""
    return 2 + sum(m.n_atoms + 2 for m in checked[:k])


def write_xyz(molecules: Iterable[Molecule], path: str | Path, extended: bool = False) -> Path:
    """Write plain XYZ (name as comment) or extended XYZ (properties kept, via ASE)."""
    mols = list(molecules)
    path = Path(path)
    if extended:
        import ase.io

        buf = io.StringIO()
        ase.io.write(buf, [m.to_ase() for m in mols], format="extxyz")
        return atomic_write(path, buf.getvalue())
    chunks = []
    for m in mols:
        chunks.append(f"{m.n_atoms}\n{m.name}\n")
        chunks.extend(f"{s:<2} {x:16.10f} {y:16.10f} {z:16.10f}\n" for s, (x, y, z) in zip(m.symbols, m.positions))
    return atomic_write(path, "".join(chunks))
