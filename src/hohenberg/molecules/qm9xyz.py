"""QM9's own xyz format (the ``dsgdb9nsd_NNNNNN.xyz`` files of the official release).

Line 1: atom count n.  Line 2: ``gdb <index>`` and 15 properties in QM9 units (rotational
constants A, B, C in GHz; mu in D; alpha in bohr^3; HOMO, LUMO, gap in Hartree; <R^2> in bohr^2;
ZPVE, U0, U, H, G in Hartree; Cv in cal/(mol K)).  Then n atom lines ``symbol x y z q_Mulliken``
(Angstrom, e), a line of harmonic frequencies (cm^-1), a line with the GDB-17 and the relaxed
B3LYP SMILES, and a line with the two InChIs.  Numbers may use Mathematica exponents (``1.2*^-6``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.parsing import parse_element, parse_float, parse_int
from hohenberg.units import HARTREE_EV

# (property name with unit, factor from QM9's unit) in the order of line 2
QM9_SCALARS: tuple[tuple[str, float], ...] = (
    ("rotA_GHz", 1.0), ("rotB_GHz", 1.0), ("rotC_GHz", 1.0),
    ("mu_D", 1.0), ("alpha_bohr3", 1.0),
    ("homo_eV", HARTREE_EV), ("lumo_eV", HARTREE_EV), ("gap_eV", HARTREE_EV),
    ("r2_bohr2", 1.0), ("zpve_eV", HARTREE_EV),
    ("U0_eV", HARTREE_EV), ("U_eV", HARTREE_EV), ("H_eV", HARTREE_EV), ("G_eV", HARTREE_EV),
    ("Cv_calmolK", 1.0),
)


@dataclass(eq=False)
class QM9Record:
    """One QM9 molecule exactly as published (QM9 units); :meth:`to_molecule` converts."""

    index: int
    numbers: np.ndarray
    positions: np.ndarray  # Angstrom
    scalars: np.ndarray  # the 15 values of line 2, QM9 units
    mulliken: np.ndarray  # e
    frequencies: np.ndarray  # cm^-1
    smiles: str = ""
    smiles_relaxed: str = ""
    inchi: str = ""
    inchi_relaxed: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"dsgdb9nsd_{self.index:06d}"

    def to_molecule(self) -> Molecule:
        props = {name: float(v) * f for (name, f), v in zip(QM9_SCALARS, self.scalars)}
        info = {"smiles": self.smiles, "inchi": self.inchi}
        if self.smiles_relaxed:
            info["smiles_relaxed"] = self.smiles_relaxed
        if self.inchi_relaxed:
            info["inchi_relaxed"] = self.inchi_relaxed
        return Molecule(
            self.numbers, self.positions, 0, 0, self.name, props,
            {"mulliken_charge_e": np.asarray(self.mulliken, dtype=np.float64)}, info,
            {"frequencies_cm1": np.asarray(self.frequencies, dtype=np.float64)},
        )


def read_qm9_xyz(path: str | Path) -> QM9Record:
    path = Path(path)
    from hohenberg.molecules.parsing import read_text

    return parse_qm9_xyz(read_text(path), path)


def parse_qm9_xyz(text: str, where: str | Path) -> QM9Record:
    """Parse the text of one QM9 xyz file; ``where`` names it in errors."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(where, "empty QM9 xyz file", 1)
    n = parse_int(lines[0].split()[0], where, 1, "atom count")
    if n <= 0:
        raise InputError(where, f"atom count must be positive, found {n}", 1)
    if len(lines) < n + 5:
        raise InputError(where, f"a QM9 file with {n} atoms has {n + 5} lines, found {len(lines)} (truncated?)", len(lines))
    head = lines[1].split()
    if len(head) != 17 or head[0] != "gdb":
        raise InputError(where, f"line 2 must be 'gdb <index>' and 15 properties, found {len(head)} fields", 2)
    index = parse_int(head[1], where, 2, "molecule index")
    scalars = np.array([parse_float(t, where, 2, name) for t, (name, _) in zip(head[2:], QM9_SCALARS)])
    numbers, positions, mulliken = [], [], []
    for k in range(2, 2 + n):
        parts = lines[k].split()
        if len(parts) != 5:
            raise InputError(where, f"atom line must be 'symbol x y z charge', found {lines[k].strip()!r}", k + 1)
        numbers.append(parse_element(parts[0], where, k + 1))
        positions.append([parse_float(t, where, k + 1, "coordinate") for t in parts[1:4]])
        mulliken.append(parse_float(parts[4], where, k + 1, "Mulliken charge"))
    freq_line = 2 + n
    freqs = [parse_float(t, where, freq_line + 1, "frequency") for t in lines[freq_line].split()]
    if n_modes(n, len(freqs)) is None:
        raise InputError(where, f"{n} atoms need {3 * n - 6} (or {3 * n - 5} if linear) frequencies, found {len(freqs)}", freq_line + 1)
    smiles = lines[freq_line + 1].split()
    inchi = lines[freq_line + 2].split()
    if not smiles or not inchi:
        raise InputError(where, "missing SMILES or InChI line", freq_line + 2)
    return QM9Record(
        index, np.array(numbers), np.array(positions), scalars, np.array(mulliken), np.array(freqs),
        smiles[0], smiles[1] if len(smiles) > 1 else "", inchi[0], inchi[1] if len(inchi) > 1 else "",
    )


def n_modes(n_atoms: int, n_listed: int) -> int | None:
    """Vibrational modes in a frequency line of ``n_listed`` values (None if impossible).

    334 QM9 molecules (e.g. 29, 118, 119) list their frequencies twice or more, the copies
    agreeing to 0.005 cm^-1; the first copy is the molecule's spectrum.
    """
    for m in (3 * n_atoms - 6, 3 * n_atoms - 5):
        if m > 0 and n_listed == m:
            return m
    for m in (3 * n_atoms - 6, 3 * n_atoms - 5):
        if m > 0 and n_listed > 0 and n_listed % m == 0:
            return m
    return None


def format_qm9_xyz(rec: QM9Record) -> str:
    """Write a record in the official layout (tabs, Mathematica exponents for tiny values)."""
    buf = io.StringIO()
    buf.write(f"{len(rec.numbers)}\n")
    buf.write("\t".join([f"gdb {rec.index}"] + [_fortran(v) for v in rec.scalars]) + "\t\n")
    from hohenberg.units import symbol

    for z, (x, y, zz), q in zip(rec.numbers, rec.positions, rec.mulliken):
        buf.write(f"{symbol(z)}\t{_fortran(x)}\t{_fortran(y)}\t{_fortran(zz)}\t{_fortran(q)}\n")
    buf.write("\t".join(_fortran(f) for f in rec.frequencies) + "\n")
    buf.write(f"{rec.smiles}\t{rec.smiles_relaxed or rec.smiles}\n")
    buf.write(f"{rec.inchi}\t{rec.inchi_relaxed or rec.inchi}\n")
    return buf.getvalue()


def _fortran(value: float) -> str:
    """Shortest repr, with QM9's Mathematica exponent style (``1.2*^-6``) where it needs one."""
    text = repr(float(value))
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}*^{int(exp)}"
    return text
