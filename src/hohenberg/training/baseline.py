"""Fit the per-element linear baseline on the standard split and measure it on the test split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hohenberg.datasets.qm9 import TARGETS, standard_split
from hohenberg.models.baseline import ElementCountRegressor
from hohenberg.models.metrics import error_summary, report_unit
from hohenberg.molecules.table import MoleculeTable


@dataclass
class BaselineResult:
    errors: dict[str, dict[str, float]]  # target -> {mae_<unit>, rmse_<unit>, n}
    split_sizes: dict[str, int]
    seed: int
    coef: dict[str, dict[str, float]] = field(default_factory=dict)  # target -> element -> weight
    predictions: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict:
        return {"model": "per-element linear (counts of H, C, N, O, F)", "seed": self.seed,
                "split_sizes": self.split_sizes, "test_errors": self.errors, "coefficients": self.coef}


def run_baseline(table: MoleculeTable, targets: Sequence[str] = TARGETS, seed: int = 0,
                 n_train: int | None = None) -> BaselineResult:
    """Train on the training split (or its first ``n_train`` random molecules), test on test."""
    split = standard_split(table, seed)
    train = split["train"]
    if n_train is not None and n_train < len(train):
        train = np.sort(np.random.default_rng(seed).permutation(train)[:n_train])
    test = split["test"]
    model = ElementCountRegressor()
    Y = np.column_stack([table.properties[t] for t in targets])
    model.fit(table.take(train), Y[train])
    pred = model.predict(table.take(test))
    errors, coef, preds = {}, {}, {}
    symbols = ("H", "C", "N", "O", "F")
    for j, t in enumerate(targets):
        errors[t] = error_summary(t, Y[test, j], pred[:, j])
        unit, factor = report_unit(t)
        coef[t] = {s: float(w) for s, w in zip(symbols, model.coef_[j])} | {"intercept": float(model.intercept_[j])}
        preds[t] = (Y[test, j] * factor, pred[:, j] * factor)
    sizes = {"train": int(len(train)), "val": int(len(split["val"])), "test": int(len(test))}
    return BaselineResult(errors, sizes, seed, coef, preds)
