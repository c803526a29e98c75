"""SDF / MOL files through RDKit, hydrogens kept, with errors naming the record and its line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hohenberg.errors import InputError, InputWarning
from hohenberg.fileio import atomic_write
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.parsing import read_text


def read_sdf(path: str | Path) -> list[Molecule]:
    from rdkit import RDLogger

    path = Path(path)
    text = read_text(path)
    records = split_records(text)
    molecules = []
    RDLogger.DisableLog("rdApp.*")  # failures are reported below with file and line
    try:
        for k, (first_line, block) in enumerate(records):
            rdmol = parse_record(block, sanitize=True)
            if rdmol is None:
                raw = parse_record(block, sanitize=False)
                why = "RDKit cannot sanitize it (valence or aromaticity)" if raw is not None else "not a valid molfile block"
                raise InputError(path, f"record {k + 1}: {why}", first_line)
            if rdmol.GetNumConformers() == 0 or rdmol.GetNumAtoms() == 0:
                raise InputError(path, f"record {k + 1}: no atoms or coordinates", first_line)
            name = rdmol.GetProp("_Name").strip() if rdmol.HasProp("_Name") else ""
            rdmol = _explicit_hydrogens(rdmol, f"{path}:{first_line}: record {k + 1} ({name or 'no name'})")
            try:
                mol = Molecule.from_rdkit(rdmol, name=name or f"{path.stem}:{k}")
            except ValueError as exc:
                raise InputError(path, f"record {k + 1}: {exc}", first_line) from None
            for key in rdmol.GetPropNames():
                value = rdmol.GetProp(key)
                try:
                    mol.properties[key] = float(value)
                except ValueError:
                    mol.info[key] = value
            molecules.append(mol)
    finally:
        RDLogger.EnableLog("rdApp.*")
    if not molecules:
        raise InputError(path, "no molecules found")
    return molecules


def _explicit_hydrogens(rdmol, where: str):
    """The molecule with every hydrogen an atom.  A molfile drawn with implicit hydrogens (most
    drawing programs write them so) would otherwise be read as a radical of its heavy atoms:
    they are added, placed by RDKit from the heavy atoms' geometry, with a warning."""
    import warnings

    from rdkit import Chem

    implicit = sum(a.GetTotalNumHs() for a in rdmol.GetAtoms())  # hydrogens that are not atoms of the record
    if not implicit:
        return rdmol
    warnings.warn(f"{where}: {implicit} implicit hydrogen(s) added with RDKit-placed coordinates; give explicit "
                  f"hydrogens for a computed geometry", InputWarning, stacklevel=3)
    return Chem.AddHs(rdmol, addCoords=True)


def parse_record(block: str, sanitize: bool):
    """The RDKit molecule of one molblock (hydrogens kept, data items as props), or None."""
    from rdkit import Chem

    # through a supplier so that the record's data items (> <key>) become properties
    supplier = Chem.SDMolSupplier()
    supplier.SetData(block + "\n$$$$\n", removeHs=False, sanitize=sanitize)
    return supplier[0] if len(supplier) else None


def split_records(text: str) -> list[tuple[int, str]]:
    """(1-based first line, molblock) of each ``$$$$``-terminated record."""
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


def write_sdf(molecules: Iterable[Molecule], path: str | Path) -> Path:
    """Write SDF with bonds perceived from geometry (or from ``info['smiles']``)."""
    from rdkit import Chem

    blocks = []
    for m in molecules:
        rdmol = m.to_rdkit()
        for key, value in m.properties.items():
            rdmol.SetProp(key, repr(value))
        blocks.append(Chem.MolToMolBlock(rdmol) + _props_block(rdmol) + "$$$$\n")
    return atomic_write(path, "".join(blocks))


def _props_block(rdmol) -> str:
    return "".join(f">  <{k}>\n{rdmol.GetProp(k)}\n\n" for k in rdmol.GetPropNames())
