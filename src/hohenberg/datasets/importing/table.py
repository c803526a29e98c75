"""The imported molecules as one table, with the import's provenance in its meta."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hohenberg import __version__
from hohenberg.datasets.importing.records import Column, Options
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.table import MoleculeTable


def assemble(molecules: list[Molecule], meta: dict[str, str]) -> MoleculeTable:
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


def note_provenance(provenance: dict[str, dict[str, list[str]]], path: Path, columns: Sequence[Column]) -> None:
    for c in columns:
        entry = provenance.setdefault(c.stored, {"source": [], "unit_in_file": []})
        entry["source"].append(path.name)
        if c.unit not in entry["unit_in_file"]:
            entry["unit_in_file"].append(c.unit)


def import_meta(paths: Sequence[Path], kinds: Sequence[str], provenance: dict, level: str | None, opts: Options,
                molecules: Sequence[Molecule], skipped: Sequence[dict]) -> dict[str, str]:
    """Sources, level, code version, target provenance and how SMILES geometries were made."""
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
        if opts.optimize is not None:
            meta["smiles_geometry"] += f", then relaxed with {opts.optimize} (tblite, ASE BFGS)"
            meta["smiles_geometry_steps"] = f"rdkit-etkdg-mmff94 + {opts.optimize}-opt"
    added = sum(m.info.get("geometry") == "file, hydrogens added by RDKit" for m in molecules)
    if added:
        meta["hydrogens_added"] = str(added)
    return meta

