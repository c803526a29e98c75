"""SDF records as records: RDKit reads them with hydrogens kept; ``> <tag>`` data items are the
values; implicit hydrogens are placed by RDKit; 2D records are errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hohenberg.datasets.importing.records import Options, Place, RawRecord, RecordError
from hohenberg.molecules.parsing import read_text
from hohenberg.molecules.sdf import parse_record, split_records

split_sdf = split_records  # (1-based first line, molblock) of each record; the name importing has exported


def read_sdf_records(path: Path, opts: Options | None = None) -> list[RawRecord]:
    """Records of an SDF file (module docstring: hydrogens, 2D, radicals)."""
    from rdkit import Chem, RDLogger

    text = read_text(path)
    blocks = split_records(text)
    RDLogger.DisableLog("rdApp.*")  # failures are reported with the record and its line
    try:
        supplier = Chem.SDMolSupplier()
        supplier.SetData(text, removeHs=False, sanitize=True)
        whole = len(supplier) == len(blocks)
        records = []
        for k, (line, block) in enumerate(blocks, start=1):
            rdmol = supplier[k - 1] if whole else parse_record(block, sanitize=True)
            place = Place(str(path), "record", k, line)
            records.append(_sdf_record(rdmol, block, place))
    finally:
        RDLogger.EnableLog("rdApp.*")
    return records



def _sdf_record(rdmol, block: str, place: Place) -> RawRecord:
    from rdkit import Chem

    if rdmol is None:
        raw = parse_record(block, sanitize=False)
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

