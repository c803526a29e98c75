"""Trained models that ship with the package, and the Python API to use them.

    >>> import hohenberg
    >>> model = hohenberg.load_model("qm9")
    >>> df = model.predict(["CCO", "c1ccccc1"])      # pandas DataFrame, one row per molecule
    >>> df[["smiles", "gap_eV", "gap_eV_std"]]

``predict`` takes SMILES strings, paths of molecule files (xyz, extxyz, sdf, smi), Molecule
objects and ``ase.Atoms``.  ``geometry`` says where 3D geometries come from
(:func:`hohenberg.qc.geometry.prepare_molecules`): by default given geometries are kept and
SMILES get RDKit ETKDG + MMFF94, then a GFN2-xTB relaxation; the ``geometry`` column names each
row's source (``given``, ``mmff``, ``xtb``).  Every target has a ``_std`` column: the calibrated
standard deviation of the prediction (same unit; calibrated per geometry source where the card
says so), ``warnings`` lists why a molecule lies outside the training domain (its geometry
included), and ``error`` says why a molecule got no prediction (its targets are NaN) while the
rest of the batch is answered.
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
    """Molecules from SMILES strings, file paths, Molecule objects or ``ase.Atoms`` (one or a list);
    SMILES get ETKDG + MMFF94, and one that cannot be embedded is an :class:`InputError`."""
    from hohenberg.qc.geometry import Failure, prepare_molecules

    out: list[Molecule] = []
    for item in prepare_molecules(items, "mmff", where):
        if isinstance(item, Failure):
            raise InputError(where, f"molecule {item.name}: {item.reason}")
        out.append(item)
    return out


def geometry_of(mol: Molecule) -> str:
    """Where ``mol``'s geometry came from, in words."""
    from hohenberg.molecules.geometry_source import describe_geometry

    return describe_geometry(mol)


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

    def predict(self, molecules: Any | Iterable[Any], workers: int = 1, geometry: str = "auto") -> pd.DataFrame:
        """One row per molecule: ``name``, ``smiles``, ``formula``, ``geometry`` (its source), each
        target and its ``_std`` (calibrated sigma, same unit), ``warnings`` ('' inside the training
        domain), ``error`` ('' unless the molecule got no geometry: then its targets are NaN).
        ``geometry``: ``auto``, ``xtb``, ``mmff`` or ``given`` (:mod:`hohenberg.qc.geometry`)."""
        import pandas as pd

        records = self.predict_records(molecules, workers, geometry)
        for r in records:
            r["warnings"] = "; ".join(r["warnings"])
        return pd.DataFrame.from_records(records)

    def predict_records(self, molecules: Any | Iterable[Any], workers: int = 1, geometry: str = "auto") -> list[dict]:
        """:meth:`predict` as plain dicts (``warnings`` a list), without pandas."""
        from hohenberg.qc.geometry import Failure, prepare_molecules

        prepared = prepare_molecules(molecules, geometry)
        mols = [p for p in prepared if not isinstance(p, Failure)]
        pred = self.predictor.predict(mols, workers=workers)
        answers = iter(range(len(mols)))
        records = []
        for p in prepared:
            if isinstance(p, Failure):  # every column a row has, so tables stay rectangular
                row = p.to_record()
                rec = {"name": row["name"], "smiles": row["smiles"], "formula": "", "geometry": row["geometry"]}
                rec.update({k: float("nan") for t in self.targets for k in (t, f"{t}_std")})
                records.append({**rec, "warnings": [], "error": row["error"]})
                continue
            i = next(answers)
            rec = {"name": p.name, "smiles": p.info.get("smiles", ""), "formula": p.formula,
                   "geometry": pred.geometry[i]}
            for j, t in enumerate(self.targets):
                rec[t] = float(pred.mean[i, j])
                rec[f"{t}_std"] = float(pred.sigma[i, j])
            rec["warnings"] = list(pred.warnings[i])
            rec["error"] = ""
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
