"""Trained models that ship with the package, and the Python API to use them.

    >>> import hohenberg
    >>> model = hohenberg.load_model("qm9")
    >>> df = model.predict(["CCO", "c1ccccc1"])      # pandas DataFrame, one row per molecule
    >>> df[["smiles", "gap_eV", "gap_eV_std"]]

``predict`` takes SMILES strings, paths of molecule files (xyz, extxyz, sdf, smi), Molecule
objects and ``ase.Atoms``.  SMILES get an RDKit geometry (ETKDG, seeded, then MMFF94); the
``geometry`` column says which geometry each row used.  Every target has a ``_std`` column: the
calibrated standard deviation of the prediction (same unit), and ``warnings`` lists why a
molecule lies outside the training domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hohenberg.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from hohenberg.graph.predictor import EnsemblePredictor
    from hohenberg.molecules.molecule import Molecule

SHIPPED = {"qm9": "models/qm9"}
"""Name -> folder under ``hohenberg/data`` of every graph model in the package."""

SHIPPED_GRID = {"hkmap": "models/hkmap", "qm9-promolecule-cnn": "models/qm9-promolecule-cnn"}
"""Name -> folder of every grid model in the package: the Hohenberg-Kohn map (promolecule -> SCF
density, what ``predict-density`` uses without a model directory) and a 3D CNN that reads the
promolecule (properties without any SCF)."""


def shipped_dir(name: str) -> Path:
    from importlib.resources import files

    return Path(str(files("hohenberg") / "data" / {**SHIPPED, **SHIPPED_GRID}[name]))


def grid_model_dir(name: str | Path) -> Path:
    """The directory of a grid model: a shipped one by name (weights checked against its card), or
    ``name`` itself as a model directory."""
    if isinstance(name, str) and name in SHIPPED_GRID:
        from hohenberg.volumetric.ship import verified_dir

        return verified_dir(shipped_dir(name), name)
    return Path(name)


def as_molecules(items: Any, where: str = "<input>") -> list[Molecule]:
    """Molecules from SMILES strings, file paths, Molecule objects or ``ase.Atoms`` (one or a list)."""
    from hohenberg.molecules.formats import read_molecules
    from hohenberg.molecules.molecule import Molecule

    if isinstance(items, (str, Path, Molecule)) or type(items).__name__ == "Atoms":
        items = [items]
    out: list[Molecule] = []
    for i, item in enumerate(items):
        if isinstance(item, Molecule):
            out.append(item)
        elif isinstance(item, (str, Path)):
            try:
                out.extend(read_molecules(item))
            except ValueError as exc:  # e.g. an odd electron count the reader could not place
                raise InputError(str(item), str(exc)) from None
        elif type(item).__name__ == "Atoms" and hasattr(item, "get_atomic_numbers"):
            mol = Molecule.from_ase(item, name=str(item.info.get("name", "")) or item.get_chemical_formula())
            mol.info["geometry"] = "given (ase.Atoms)"
            out.append(mol)
        else:
            raise InputError(where, f"item {i}: a {type(item).__name__}; give SMILES strings, file paths, "
                                    "Molecule objects or ase.Atoms")
    return out


def geometry_of(mol: Molecule) -> str:
    g = mol.info.get("geometry", "")
    if g.startswith("rdkit"):
        return "RDKit ETKDG (seed 0xF00D) + MMFF94 from SMILES"
    return g or "given"


class Model:
    """A trained property model: :meth:`predict` gives a DataFrame with units in the column names."""

    def __init__(self, predictor: EnsemblePredictor, name: str = ""):
        self.predictor = predictor
        self.name = name

    @property
    def targets(self) -> tuple[str, ...]:
        return self.predictor.targets

    @property
    def card(self) -> dict:
        """The model card: data, split, test MAE per target, calibration, budget, command."""
        return self.predictor.card

    def __repr__(self) -> str:
        return (f"Model({self.name or self.predictor.source!r}: {self.predictor.config.model}, "
                f"{len(self.predictor.members)} members, {len(self.targets)} targets)")

    def predict(self, molecules: Any | Iterable[Any], workers: int = 1) -> pd.DataFrame:
        """One row per molecule: ``name``, ``smiles``, ``formula``, ``geometry``, each target and its
        ``_std`` (calibrated sigma, same unit), ``warnings`` ('' inside the training domain)."""
        import pandas as pd

        records = self.predict_records(as_molecules(molecules), workers)
        for r in records:
            r["warnings"] = "; ".join(r["warnings"])
        return pd.DataFrame.from_records(records)

    def predict_records(self, mols: list[Molecule], workers: int = 1) -> list[dict]:
        """:meth:`predict` as plain dicts (``warnings`` a list), without pandas."""
        pred = self.predictor.predict(mols, workers=workers)
        records = []
        for i, m in enumerate(mols):
            rec = {"name": m.name, "smiles": m.info.get("smiles", ""), "formula": m.formula,
                   "geometry": geometry_of(m)}
            for j, t in enumerate(self.targets):
                rec[t] = float(pred.mean[i, j])
                rec[f"{t}_std"] = float(pred.sigma[i, j])
            rec["warnings"] = list(pred.warnings[i])
            records.append(rec)
        return records


def load_model(name: str | Path = "qm9", verify: bool = True) -> Model:
    """A shipped model by name (``"qm9"``) or a model directory from ``hohenberg train graph``;
    the SHA-256 of each weight file is checked against the model card (``verify``)."""
    from hohenberg.graph.predictor import EnsemblePredictor

    if isinstance(name, str) and name in SHIPPED:
        path = shipped_dir(name)
        if not (path / "card.json").is_file():
            raise InputError(path, f"the shipped model {name!r} is missing from this installation")
        return Model(EnsemblePredictor.load(path, verify), name)
    path = Path(name)
    if not path.is_dir():
        raise InputError(path, f"no such model: give one of {', '.join(SHIPPED)} or a model directory")
    return Model(EnsemblePredictor.load(path, verify), path.name)
