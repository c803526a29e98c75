"""The subgraph family: sparse, boosted and topic models over subgraphs (``hohenberg train subgraph``).

They read SMILES (no geometry) and give no sigma; a logistic model gives the probability of the
second class."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hohenberg.errors import InputError
from hohenberg.families.base import Prediction, Predictor
from hohenberg.manifest import Manifest, split_summary, target_entries


def train(*args, **kwargs):
    """:func:`hohenberg.subgraph.run.train_subgraph` (writes the directory and its manifest)."""
    from hohenberg.subgraph.run import train_subgraph

    return train_subgraph(*args, **kwargs)


def _read(model_dir: Path):
    from hohenberg.subgraph.persist import MODEL_FILE, read_model_dir

    try:
        return read_model_dir(model_dir)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(model_dir / MODEL_FILE, f"unreadable subgraph model ({exc})") from None


def legacy_manifest(model_dir: Path, kind: str = "subgraph") -> Manifest:
    est, data = _read(model_dir)
    training = data.get("training", {})
    return Manifest(kind="subgraph", targets=target_entries([training.get("target", "y")]), split=split_summary(model_dir),
                    provenance={"data": training.get("data"), "task": training.get("task", "regression"),
                                "estimator": type(est).__name__, "split": training.get("split")},
                    card={"metrics": {"test": training.get("test", {})}})


class SubgraphPredictor(Predictor):
    kind = "subgraph"

    def __init__(self, path, manifest: Manifest, name: str = "", verify: bool = True):
        super().__init__(path, manifest, name)
        self.estimator, _ = _read(self.path)
        self.task = manifest.provenance.get("task", "regression")

    def _predict(self, inputs: list) -> Prediction:
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        bad = [type(s).__name__ for s in inputs if not isinstance(s, str)]
        if bad:
            raise InputError(self.name, f"a subgraph model reads SMILES strings, not a {bad[0]}")
        smiles = list(inputs)
        for s in smiles:
            if Chem.MolFromSmiles(s) is None:
                raise InputError(s, "RDKit cannot read this SMILES (a subgraph model reads SMILES only)")
        (target,) = self.targets
        if self.task == "classification":
            values = self.estimator.predict_proba(smiles)[:, 1]
            column = f"p_{target}"
        else:
            values, column = np.asarray(self.estimator.predict(smiles), float), target
        records = [{"smiles": s, column: float(v), f"{column}_std": float("nan"), "warnings": []}
                   for s, v in zip(smiles, values)]
        info = {"model": self.name, "kind": self.kind, "model_type": type(self.estimator).__name__,
                "uncertainty": "none (a single fitted model)", "warnings": []}
        return Prediction(records, (column,), info)

    def _evaluate(self, data: Path, split: str = "test", out=None) -> dict:
        from hohenberg.fileio import write_json
        from hohenberg.subgraph.run import evaluate_subgraph

        (target,) = self.targets
        payload = evaluate_subgraph(self.path, self.estimator, target, data, split,
                                    self.manifest.provenance.get("smiles_column"), self.task)
        payload["title"] = f"{type(self.estimator).__name__} on {data.name} ({split}, n={payload['n_molecules']})"
        if out is not None:
            write_json(Path(out) / "evaluation.json", payload)
        return payload


PREDICTORS = {"subgraph": SubgraphPredictor}
