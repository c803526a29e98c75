"""A trained graph ensemble ready to answer: molecules in, values with calibrated sigmas out.

:class:`EnsemblePredictor` holds the members, the per-target sigma calibration
(:mod:`hohenberg.models.calibration`) and the training :class:`~hohenberg.graph.domain.Domain`.
It is what ``hohenberg predict`` and :func:`hohenberg.load_model` use; a model directory written
by ``hohenberg train graph`` loads as one too (without calibration, sigma is the raw spread).

A model's errors grow when its input geometries are not the kind it was trained on, and its
spread does not grow as much: a card may hold ``calibration_by_geometry[source][target]`` (the
form of ``calibration``), fitted on validation molecules whose geometries came from that source
(``info['geometry']``: ``mmff``, ``xtb``, ...).  Each molecule's sigma uses its own source's
calibration, else the card's ``calibration``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError
from hohenberg.fileio import verify_checksums
from hohenberg.graph.domain import Domain, check_representable, domain_warnings, geometry_warning
from hohenberg.models.calibration import SigmaCalibration
from hohenberg.molecules.geometry_source import geometry_source
from hohenberg.molecules.molecule import Molecule

CARD = "card.json"


@dataclass
class Predictions:
    """Per molecule (rows) and target (columns): ensemble mean, raw spread, calibrated sigma."""

    targets: tuple[str, ...]
    mean: np.ndarray
    spread: np.ndarray
    sigma: np.ndarray
    warnings: list[list[str]] = field(default_factory=list)
    geometry: list[str] = field(default_factory=list)  # each molecule's geometry source key




def _model_json(model_dir: Path) -> dict:
    """``model.json`` of a directory written by ``train graph`` ({} when absent or unreadable)."""
    try:
        return json.loads((model_dir / "model.json").read_text())
    except (OSError, ValueError):
        return {}


class EnsemblePredictor:
    """Members of one architecture, their calibration and domain (see module docstring)."""

    def __init__(self, config, members: Sequence, calibration: dict[str, SigmaCalibration] | None = None,
                 domain: Domain | None = None, card: dict | None = None, source: str = "",
                 calibration_by_geometry: dict[str, dict[str, SigmaCalibration]] | None = None):
        self.config, self.members = config, list(members)
        self.targets = tuple(config.targets)
        self.calibration = calibration or {}
        self.calibration_by_geometry = calibration_by_geometry or {}
        self.domain = domain or Domain()
        self.card = card or {}
        self.source = source

    @classmethod
    def load(cls, model_dir: str | Path, verify: bool = True) -> EnsemblePredictor:
        """Members of ``model_dir``; with a ``card.json``, its calibration and domain, and (``verify``)
        the SHA-256 of every member file checked against the card's."""
        from hohenberg.graph.inference import load_members

        model_dir = Path(model_dir)
        card_path = model_dir / CARD
        card = {}
        if card_path.is_file():
            try:
                card = json.loads(card_path.read_text())
            except (OSError, ValueError) as exc:
                raise InputError(card_path, f"unreadable model card ({exc})") from None
            if verify:
                verify_checksums(model_dir, card.get("sha256", {}))
        cfg, members, _ = load_members(model_dir)
        calibration = {t: SigmaCalibration(**c) for t, c in card.get("calibration", {}).items()}
        by_geometry = {g: {t: SigmaCalibration(**c) for t, c in cal.items()}
                       for g, cal in card.get("calibration_by_geometry", {}).items()}
        domain = card.get("domain") or _model_json(model_dir).get("domain")
        domain = Domain.from_dict(domain) if domain else Domain()
        return cls(cfg, members, calibration, domain, card, str(model_dir), by_geometry)

    def check(self, molecules: Sequence[Molecule], where: str = "<input>") -> list[list[str]]:
        """Refuse molecules the model cannot represent; the domain warnings of the others."""
        for mol in molecules:
            check_representable(mol, self.domain, where)
        out = []
        for mol in molecules:
            warnings = domain_warnings(mol, self.domain)
            geometry = geometry_warning(mol, self.domain, geometry_source(mol) in self.calibration_by_geometry)
            out.append(warnings + [geometry] if geometry else warnings)
        return out

    def predict(self, molecules: Sequence[Molecule], where: str = "<input>", workers: int = 1,
                batch_size: int = 512) -> Predictions:
        """Ensemble mean, spread and calibrated sigma of every target for ``molecules``."""
        from hohenberg.graph.batch import molecules_tensors, predict_molecules
        from hohenberg.graph.inference import views_needed

        warnings = self.check(molecules, where)
        sources = [geometry_source(m) for m in molecules]
        if not molecules:
            empty = np.zeros((0, len(self.targets)))
            return Predictions(self.targets, empty, empty, empty, [], [])
        if self.config.model not in ("gin", "mpnn", "schnet"):  # PyG baselines and attention read PyG batches
            return self._predict_pyg(molecules, warnings, workers, batch_size, sources)
        graphs = molecules_tensors(list(molecules), self.config.cutoff, workers)
        mean, spread = predict_molecules(self.members, graphs, self.config.features, views_needed(self.config),
                                         batch_size, self.config.elements)
        return self._with_sigma(mean, spread, warnings, sources)

    def _predict_pyg(self, molecules, warnings, workers, batch_size, sources) -> Predictions:
        from hohenberg.graph.dataset import build_graphs_parallel
        from hohenberg.graph.inference import predict_ensemble, views_needed

        ds = build_graphs_parallel(list(molecules), self.config.cutoff, np.full((len(molecules), 0), np.nan), {},
                                   workers=workers, chunk=max(256, len(molecules) // (4 * max(workers, 1)) + 1))
        ds = ds.select(self.config.features, (), views_needed(self.config), self.config.elements)
        pred = predict_ensemble(self.members, ds, batch_size=batch_size)
        return self._with_sigma(pred["mean"], pred["std"], warnings, sources)

    def calibration_for(self, source: str) -> dict[str, SigmaCalibration]:
        """The per-target calibration of molecules whose geometry came from ``source``."""
        return {**self.calibration, **self.calibration_by_geometry.get(source, {})}

    def _with_sigma(self, mean, spread, warnings, sources) -> Predictions:
        bad = ~np.isfinite(mean).all(axis=1)
        if bad.any():  # a number a user would take for a prediction must never be NaN
            raise InputError(self.source or "<model>", f"the model gives NaN or infinite values for {int(bad.sum())} of "
                                                      f"{len(mean)} molecule(s): its weights are damaged; retrain or reinstall")
        sigma = np.array(spread, dtype=np.float64, copy=True)
        for source in set(sources):
            rows = np.array([s == source for s in sources])
            cal = self.calibration_for(source)
            for j, t in enumerate(self.targets):
                if t in cal:
                    sigma[rows, j] = cal[t](spread[rows, j])
        return Predictions(self.targets, mean, spread, sigma, warnings, list(sources))
