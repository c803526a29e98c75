"""Reading molecules and targets for the subgraph commands: SMILES files, CSV, MoleculeTable."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError


@dataclass
class Dataset:
    smiles: list[str]
    y: np.ndarray | None
    ids: list[str]
    target: str | None = None


def _check_smiles(path: Path, smiles: str, line: int) -> None:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if not smiles or Chem.MolFromSmiles(smiles) is None:
        raise InputError(path, f"cannot parse SMILES {smiles!r}", line)


def _smiles_column(path: Path, header: list[str], wanted: str | None) -> int:
    names = [h.strip() for h in header]
    if wanted is not None:
        if wanted not in names:
            raise InputError(path, f"no column {wanted!r}; columns: {', '.join(names)}", 1)
        return names.index(wanted)
    for i, h in enumerate(names):
        if h.lower() == "smiles":
            return i
    raise InputError(path, f"no SMILES column (name it 'smiles' or say which column holds the SMILES); columns: {', '.join(names)}", 1)


def read_csv(path: str | Path, target: str | None = None, smiles_column: str | None = None) -> Dataset:
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise InputError(path, "empty file")
        si = _smiles_column(path, header, smiles_column)
        ti = None
        if target is not None:
            if target not in header:
                raise InputError(path, f"no target column {target!r}; columns: {', '.join(header)}", 1)
            ti = header.index(target)
        smiles, ys, ids = [], [], []
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            smi = row[si].strip()
            _check_smiles(path, smi, line)
            if ti is not None:
                try:
                    ys.append(float(row[ti]))
                except (ValueError, IndexError):
                    raise InputError(path, f"target {target!r} is not a number", line) from None
            smiles.append(smi)
            ids.append(str(line - 1))
    if not smiles:
        raise InputError(path, "no molecules")
    return Dataset(smiles, np.asarray(ys) if ti is not None else None, ids, target)


def read_smiles_file(path: str | Path, smiles_column: str | None = None) -> Dataset:
    """One SMILES per line (first token; ``#`` comments and a ``smiles`` header skipped), or a
    CSV file with a SMILES column."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return read_csv(path, None, smiles_column)
    if not path.is_file():
        raise InputError(path, "no such file")
    smiles, ids = [], []
    with open(path) as fh:
        for line, text in enumerate(fh, start=1):
            # '#' is a triple bond inside SMILES: a comment is a '#' that starts a line or a
            # whitespace-separated token.
            parts = text.replace(",", " ").replace("\t", " ").split()
            for k, token in enumerate(parts):
                if token.startswith("#"):
                    parts = parts[:k]
                    break
            if not parts:
                continue
            if parts[0].lower() == "smiles":
                continue
            _check_smiles(path, parts[0], line)
            smiles.append(parts[0])
            ids.append(parts[1] if len(parts) > 1 else str(len(ids)))
    if not smiles:
        raise InputError(path, "no molecules")
    return Dataset(smiles, None, ids)


def read_training_data(path: str | Path, target: str, smiles_column: str | None = None) -> Dataset:
    """A MoleculeTable (``.npz``; SMILES from its ``smiles`` column or perceived from the
    geometries) or a CSV of SMILES + target."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        from hohenberg.molecules import MoleculeTable

        if not path.is_file():
            raise InputError(path, "no such file")
        table = MoleculeTable.load(path)
        if target not in table.properties:
            raise InputError(path, f"no property {target!r}; properties: {', '.join(sorted(table.properties))}")
        from hohenberg.datasets.splits import table_smiles

        y = np.asarray(table.properties[target], float)
        keep = np.isfinite(y)
        # the table's SMILES column, else SMILES perceived from each geometry (bonds from distances)
        smiles = np.asarray(table_smiles(table.take(keep)), dtype=object)
        return Dataset([str(s) for s in smiles], y[keep], [str(i) for i in table.ids[keep]], target)
    return read_csv(path, target, smiles_column)
