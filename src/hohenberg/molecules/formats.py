"""Read any supported molecule file by its extension, or a SMILES string."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hohenberg.errors import InputError, MoleculeError
from hohenberg.molecules.molecule import Molecule


def _readers() -> dict[str, Callable[[Path], list[Molecule]]]:
    from hohenberg.molecules.cube import read_cube
    from hohenberg.molecules.qm9xyz import read_qm9_xyz
    from hohenberg.molecules.sdf import read_sdf
    from hohenberg.molecules.smiles import read_smiles
    from hohenberg.molecules.xyz import read_xyz

    def xyz_any(path: Path) -> list[Molecule]:
        # QM9's own xyz files say "gdb N" on line 2; everything else is (extended) xyz
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("latin-1").splitlines()
        if len(head) > 1 and head[1].startswith("gdb "):
            return [read_qm9_xyz(path).to_molecule()]
        return read_xyz(path)

    return {
        ".xyz": xyz_any, ".extxyz": read_xyz, ".sdf": read_sdf, ".mol": read_sdf,
        ".smi": read_smiles, ".smiles": read_smiles, ".cube": lambda p: [read_cube(p).molecule],
    }


FORMATS = (".xyz", ".extxyz", ".sdf", ".mol", ".smi", ".smiles", ".cube")


def read_molecules(source: str | Path) -> list[Molecule]:
    """Molecules from a file (format from its extension) or, if no such file, a SMILES string."""
    path = Path(source)
    if path.is_file():
        reader = _readers().get(path.suffix.lower())
        if reader is None:
            raise InputError(path, f"unknown molecule format {path.suffix!r}; supported: {', '.join(FORMATS)}")
        try:
            return reader(path)
        except MoleculeError as exc:  # the reader found no line to blame: name the file at least
            raise InputError(path, str(exc)) from None
    if path.suffix.lower() in FORMATS:
        raise InputError(path, "no such file")
    from hohenberg.molecules.smiles import molecule_from_smiles

    return [molecule_from_smiles(str(source))]
