"""What every model family answers with: a :class:`Predictor` over one saved directory.

A family (``hohenberg.families.graph``, ``.volumetric``, ...) subclasses :class:`Predictor` and
implements :meth:`Predictor.predict_result` and :meth:`Predictor.evaluate`; the command line
prints what these return and nothing else, so Python and the command line give the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hohenberg.errors import InputError
from hohenberg.manifest import Manifest

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Prediction:
    """One record per input: identifying columns, each value column and its ``_std`` (same unit;
    NaN where the model gives no sigma), ``warnings`` (a list: why this input lies outside the
    training domain) and, for an input that could not be answered, ``error``.  ``info`` describes
    the answer as a whole (model, uncertainty, notes, warnings for the whole batch)."""

    records: list[dict]
    columns: tuple[str, ...]
    info: dict = field(default_factory=dict)
    records_key: str = "molecules"  # what a record is: "molecules", or "pairs" for A>>B inputs

    def to_dict(self) -> dict:
        return {**self.info, "columns": list(self.columns), self.records_key: self.records}


class Predictor:
    """A loaded model: :meth:`predict` (DataFrame), :meth:`predict_result` (plain records),
    :meth:`evaluate` (errors on data with known values)."""

    kind = ""
    PREDICT_OPTIONS: frozenset[str] = frozenset()
    """Keyword options :meth:`predict` takes for this family (others are refused by name)."""
    EVALUATE_OPTIONS: frozenset[str] = frozenset()

    def __init__(self, path: str | Path, manifest: Manifest, name: str = ""):
        self.path, self.manifest, self.name = Path(path), manifest, name or Path(path).name

    @property
    def targets(self) -> tuple[str, ...]:
        return self.manifest.target_names

    @property
    def card(self) -> dict:
        """The model card: name, purpose, metrics, budget, hardware, command (what is known)."""
        return self.manifest.card

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}: {self.kind}, {len(self.targets)} targets)"

    def _check_options(self, options: dict, allowed: frozenset[str], what: str) -> None:
        bad = sorted(k for k, v in options.items() if v is not None and k not in allowed)
        if bad:
            takes = ", ".join(sorted(allowed)) or "none"
            raise InputError(self.name, f"a {self.kind} model's {what} takes no option {', '.join(bad)} "
                                        f"(it takes: {takes})")

    def predict(self, inputs: Any | Iterable[Any], **options) -> pd.DataFrame:
        """One row per input, units in the column names, ``_std`` sigmas, ``warnings`` ('' inside
        the training domain) and ``error`` for an input that could not be answered."""
        import pandas as pd

        result = self.predict_result(inputs, **options)
        rows = [{**r, "warnings": "; ".join(r.get("warnings", []))} for r in result.records]
        return pd.DataFrame.from_records(rows)

    def predict_result(self, inputs: Any | Iterable[Any], **options) -> Prediction:
        self._check_options(options, self.PREDICT_OPTIONS, "predict")
        # one input or a list of them (an ase.Atoms iterates over its atoms: it is one molecule)
        if isinstance(inputs, (str, Path)) or type(inputs).__name__ in ("Atoms", "Molecule") \
                or not isinstance(inputs, Iterable):
            inputs = [inputs]
        return self._predict(list(inputs), **{k: v for k, v in options.items() if v is not None})

    def evaluate(self, data: str | Path, **options) -> dict:
        """Errors on ``data`` (a table, store, network or CSV, as the family reads): a dict with
        ``errors`` per target (MAE/RMSE with units in the keys) and ``title``."""
        self._check_options(options, self.EVALUATE_OPTIONS | {"split", "out"}, "evaluate")
        return self._evaluate(Path(data), **{k: v for k, v in options.items() if v is not None})

    # -- what each family writes -----------------------------------------------------------
    def _predict(self, inputs: list, **options) -> Prediction:
        raise NotImplementedError

    def _evaluate(self, data: Path, **options) -> dict:
        raise NotImplementedError


def molecule_record(mol) -> dict:
    """The identifying columns of a molecule's record; ``geometry`` is its source key (``given``,
    ``mmff``, ``xtb``: :mod:`hohenberg.molecules.geometry_source`)."""
    from hohenberg.molecules.geometry_source import geometry_source

    return {"name": mol.name, "smiles": mol.info.get("smiles", ""), "formula": mol.formula,
            "geometry": geometry_source(mol)}


def prepare_inputs(inputs: list, geometry: str = "auto") -> list:
    """Every input (SMILES, file, Molecule, ase.Atoms) as molecules with a 3D geometry from the
    chosen source (:func:`hohenberg.qc.geometry.prepare_molecules`), a ``Failure`` in place of each
    that got none; an input holding no molecule is an error."""
    from hohenberg.qc.geometry import prepare_molecules

    prepared = []
    for item in inputs:
        got = prepare_molecules(item, geometry, str(item) if isinstance(item, (str, Path)) else "<input>")
        if not got:
            raise InputError(str(item), "no molecules")
        prepared += got
    return prepared


def molecules_of(prepared: list) -> list:
    from hohenberg.qc.geometry import Failure

    return [p for p in prepared if not isinstance(p, Failure)]


def with_failures(prepared: list, answered: list[dict], columns) -> list[dict]:
    """The records in input order: ``answered`` (one per molecule of ``prepared``) with ``error``
    '', and for each failure a row with its reason and NaN values, so a table stays rectangular."""
    from hohenberg.qc.geometry import Failure

    answers = iter(answered)
    out = []
    for p in prepared:
        if isinstance(p, Failure):
            row = p.to_record()
            rec = {"name": row["name"], "smiles": row["smiles"], "formula": "", "geometry": row["geometry"]}
            rec.update({k: float("nan") for c in columns for k in (c, f"{c}_std")})
            out.append({**rec, "warnings": [], "error": row["error"]})
        else:
            out.append({**next(answers), "error": ""})
    return out
