"""The one molecule data model every path in Hohenberg shares.

A :class:`Molecule` is atomic numbers, Cartesian positions in Angstrom, total charge, spin
(2S, PySCF's convention), an identifier and a dict of properties whose names carry their units
(``homo_eV``, ``mu_D``).  Converters to and from ASE, PySCF and RDKit live here so that no other
module needs to know how those libraries spell a molecule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hohenberg.errors import MoleculeError
from hohenberg.units import symbol

if TYPE_CHECKING:  # heavy imports only where used
    import ase
    from pyscf import gto
    from rdkit import Chem


@dataclass(eq=False)
class Molecule:
    """A molecule: ``numbers`` (Z), ``positions`` (Angstrom, shape (n, 3)), charge, spin = 2S.

    ``properties`` holds per-molecule scalars keyed by unit-suffixed names; ``atom_properties``
    holds per-atom arrays (e.g. ``mulliken_charge_e``); ``vectors`` per-molecule arrays of any
    length (e.g. ``frequencies_cm1``).  ``info`` holds free text such as SMILES or InChI.
    """

    numbers: np.ndarray
    positions: np.ndarray
    charge: int = 0
    spin: int = 0
    name: str = ""
    properties: dict[str, float] = field(default_factory=dict)
    atom_properties: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.numbers = np.asarray(self.numbers, dtype=np.int64).reshape(-1)
        self.positions = np.asarray(self.positions, dtype=np.float64).reshape(-1, 3)
        if len(self.numbers) != len(self.positions):
            raise MoleculeError(
                f"molecule {self.name!r}: {len(self.numbers)} atomic numbers but "
                f"{len(self.positions)} positions"
            )
        if len(self.numbers) and (self.numbers.min() < 1 or self.numbers.max() > 118):
            raise MoleculeError(f"molecule {self.name!r}: atomic numbers must be in 1..118")
        if not np.all(np.isfinite(self.positions)):
            raise MoleculeError(f"molecule {self.name!r}: positions contain NaN or infinity")
        for what in ("charge", "spin"):
            value = getattr(self, what)
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise MoleculeError(f"molecule {self.name!r}: {what} must be a whole number, not {value}")
            setattr(self, what, int(float(value)))  # 1.0 from a file is 1; 0.5 is refused above, never truncated
        if self.spin < 0:
            raise MoleculeError(f"molecule {self.name!r}: spin is 2S, the number of unpaired electrons, and "
                             f"cannot be negative ({self.spin})")
        if self.n_electrons < 0 or self.spin > self.n_electrons:
            raise MoleculeError(f"molecule {self.name!r}: charge {self.charge:+d} and spin 2S={self.spin} leave "
                             f"{self.n_electrons} electrons")
        if (self.n_electrons - self.spin) % 2:
            raise MoleculeError(
                f"molecule {self.name!r}: {self.n_electrons} electrons cannot have spin 2S={self.spin}"
            )

    # -- basic facts -------------------------------------------------------------------------
    @property
    def n_atoms(self) -> int:
        return len(self.numbers)

    @property
    def symbols(self) -> list[str]:
        return [symbol(z) for z in self.numbers]

    @property
    def n_electrons(self) -> int:
        return int(self.numbers.sum()) - int(self.charge)

    @property
    def formula(self) -> str:
        """Hill formula (C first, then H, then alphabetical)."""
        counts: dict[str, int] = {}
        for s in self.symbols:
            counts[s] = counts.get(s, 0) + 1
        order = [s for s in ("C", "H") if s in counts] if "C" in counts else []
        order += sorted(s for s in counts if s not in order)
        return "".join(s + (str(counts[s]) if counts[s] > 1 else "") for s in order)

    def copy(self) -> Molecule:
        return Molecule(
            self.numbers.copy(), self.positions.copy(), self.charge, self.spin, self.name,
            dict(self.properties), {k: v.copy() for k, v in self.atom_properties.items()},
            dict(self.info), {k: v.copy() for k, v in self.vectors.items()},
        )

    def __repr__(self) -> str:
        return f"Molecule({self.name or '?'}: {self.formula}, {self.n_atoms} atoms)"

    # -- ASE ---------------------------------------------------------------------------------
    def to_ase(self) -> ase.Atoms:
        from ase import Atoms

        atoms = Atoms(numbers=self.numbers, positions=self.positions)
        atoms.info.update(self.properties)
        atoms.info.update(self.info)
        atoms.info["name"] = self.name
        atoms.info["charge"] = self.charge
        atoms.info["spin"] = self.spin
        for key, values in self.atom_properties.items():
            atoms.set_array(key, np.asarray(values))
        return atoms

    @classmethod
    def from_ase(cls, atoms: ase.Atoms, name: str | None = None) -> Molecule:
        info = dict(atoms.info)
        charge = info.pop("charge", 0)  # checked (whole numbers, 2S >= 0) by the constructor, never truncated
        spin = info.pop("spin", 0)
        name = name if name is not None else str(info.pop("name", ""))
        info.pop("name", None)
        props = {k: float(v) for k, v in info.items() if _is_number(v)}
        text = {k: str(v) for k, v in info.items() if isinstance(v, str)}
        per_atom = {
            k: np.asarray(v) for k, v in atoms.arrays.items() if k not in ("numbers", "positions")
        }
        return cls(atoms.numbers, atoms.positions, charge, spin, name, props, per_atom, text)

    # -- PySCF -------------------------------------------------------------------------------
    def to_pyscf(self, basis: str = "sto-3g", **kwargs: Any) -> gto.Mole:
        """A built ``pyscf.gto.Mole`` (coordinates in Angstrom, spin = 2S)."""
        from pyscf import gto

        mol = gto.Mole()
        mol.atom = [(int(z), tuple(map(float, xyz))) for z, xyz in zip(self.numbers, self.positions)]
        mol.unit = "Angstrom"
        mol.charge = int(self.charge)
        mol.spin = int(self.spin)
        mol.basis = basis
        mol.verbose = kwargs.pop("verbose", 0)
        for key, value in kwargs.items():
            setattr(mol, key, value)
        return mol.build()

    @classmethod
    def from_pyscf(cls, mol: gto.Mole, name: str = "") -> Molecule:
        from pyscf.data.elements import charge as nuclear_charge

        numbers = [nuclear_charge(mol.atom_symbol(i)) for i in range(mol.natm)]
        positions = mol.atom_coords(unit="Angstrom")
        return cls(numbers, positions, int(mol.charge), int(mol.spin), name)

    # -- RDKit -------------------------------------------------------------------------------
    def to_rdkit(self, smiles: str | None = None) -> Chem.Mol:
        """An RDKit molecule with explicit hydrogens and a 3D conformer.

        Bonds come from ``smiles`` (this molecule's SMILES or ``info['smiles']``) when given,
        with atoms matched to this geometry by substructure; otherwise they are perceived from
        the geometry (RDKit's ``DetermineBonds``, charge-aware).
        """
        from hohenberg.molecules.rdkit_bridge import molecule_to_rdkit

        return molecule_to_rdkit(self, smiles)

    @classmethod
    def from_rdkit(cls, rdmol: Chem.Mol, name: str = "", conf_id: int = -1) -> Molecule:
        from hohenberg.molecules.rdkit_bridge import rdkit_to_molecule

        return rdkit_to_molecule(rdmol, name, conf_id)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
