"""The graph family: ensembles of graph networks (``hohenberg train graph``; the shipped ``qm9``)."""

from __future__ import annotations

import json
from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.families.base import Prediction, Predictor, molecule_record, molecules_of, prepare_inputs, with_failures
from hohenberg.manifest import Manifest, split_summary, target_entries


def train(*args, **kwargs):
    """:func:`hohenberg.graph.run.train_graph_model` (writes the directory and its manifest)."""
    from hohenberg.graph.run import train_graph_model

    return train_graph_model(*args, **kwargs)


def legacy_manifest(model_dir: Path, kind: str = "graph") -> Manifest:
    """A directory of ``member_*.pt`` (+ ``model.json`` from training, or a shipped ``card.json``)."""
    from hohenberg.fileio import read_json
    from hohenberg.graph.inference import load_members

    card, info = read_json(model_dir / "card.json", "model card"), read_json(model_dir / "model.json", "model.json")
    cfg, _, provs = load_members(model_dir)
    metrics = {"test_errors": card.get("test_mae") or info.get("test_errors") or {}}
    if card.get("test_coverage"):
        metrics["test_coverage"] = card["test_coverage"]
    budget = card.get("budget") or {}  # a shipped card's budget: hardware, members, wall time, CPU-hours
    fields = {"name": card.get("name"), "metrics": metrics, "command": card.get("command"),
              "budget": json.dumps(budget) if budget else None, "hardware": budget.get("hardware")}
    return Manifest(kind="graph", targets=target_entries(cfg.targets), split=split_summary(model_dir) or card.get("split"),
                    domain=card.get("domain") or info.get("domain") or {}, provenance=provs[0] if provs else {},
                    card={k: v for k, v in fields.items() if v})


class GraphPredictor(Predictor):
    """Ensemble mean, calibrated sigma (raw spread without a calibration) and domain warnings."""

    kind = "graph"
    PREDICT_OPTIONS = frozenset({"workers", "geometry"})
    EVALUATE_OPTIONS = frozenset({"cache"})

    def __init__(self, path, manifest: Manifest, name: str = "", verify: bool = True):
        from hohenberg.graph.predictor import EnsemblePredictor

        super().__init__(path, manifest, name)
        self.predictor = EnsemblePredictor.load(self.path, verify)

    @property
    def card(self) -> dict:
        # the shipped ensemble's full card (calibration, coverage, budget) where it has one
        return self.predictor.card or self.manifest.card

    def _predict(self, inputs: list, workers: int = 1, geometry: str = "auto") -> Prediction:
        """``geometry``: where 3D geometries come from (``auto``, ``xtb``, ``mmff``, ``given``:
        :mod:`hohenberg.qc.geometry`); each molecule's sigma is calibrated for its source where
        the card says so, and a geometry not of the training kind is named in its warnings."""
        if workers < 1:
            raise InputError(None, f"workers must be at least 1, not {workers}")
        prepared = prepare_inputs(inputs, geometry)
        mols = molecules_of(prepared)
        pred = self.predictor.predict(mols, workers=workers)
        answered = []
        for i, m in enumerate(mols):
            rec = molecule_record(m)
            for j, t in enumerate(self.targets):
                rec[t] = float(pred.mean[i, j])
                rec[f"{t}_std"] = float(pred.sigma[i, j])
            rec["warnings"] = list(pred.warnings[i])
            answered.append(rec)
        records = with_failures(prepared, answered, self.targets)
        members = len(self.predictor.members)
        notes = []
        if members < 2:
            notes.append("single-member model: no uncertainty (train an ensemble of at least 2 members)")
        calibrated = bool(self.predictor.calibration)
        info = {"model": self.name, "kind": self.kind, "model_type": self.predictor.config.model, "ensemble": members,
                "uncertainty": ("calibrated standard deviation (validation split), same unit as the value" if calibrated
                                else "standard deviation over ensemble members (same unit as the value), not calibrated"),
                "energies": self.card.get("energies", ""), "warnings": notes}
        return Prediction(records, self.targets, info)

    def _evaluate(self, data: Path, split: str = "test", out=None, cache=None) -> dict:
        from hohenberg.graph.run import evaluate_graph_model
        from hohenberg.molecules.table import MoleculeTable

        table = MoleculeTable.load(data)
        cache = cache if cache is not None else data.with_name(data.name + ".graphs")
        return evaluate_graph_model(self.path, table, split, out, cache, where=data)


PREDICTORS = {"graph": GraphPredictor}
