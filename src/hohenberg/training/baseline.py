"""Fit the per-element linear baseline on a table's split and measure it on the test split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hohenberg.datasets.splits import resolve_kind, split_table, subset
from hohenberg.datasets.targets import table_elements, table_targets
from hohenberg.models.baseline import ElementCountRegressor
from hohenberg.models.metrics import error_summary, report_unit
from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import symbol


@dataclass
class BaselineResult:
    errors: dict[str, dict[str, float]]  # target -> {mae_<unit>, rmse_<unit>, n}
    split_sizes: dict[str, int]
    seed: int
    coef: dict[str, dict[str, float]] = field(default_factory=dict)  # target -> element -> weight
    predictions: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    split: str = "standard"
    elements: tuple[int, ...] = ()
    split_ids: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict:
        names = ", ".join(symbol(z) for z in self.elements)
        return {"model": f"per-element linear (counts of {names})", "split": self.split, "seed": self.seed,
                "split_sizes": self.split_sizes, "test_errors": self.errors, "coefficients": self.coef}


def run_baseline(table: MoleculeTable, targets: Sequence[str] | None = None, seed: int = 0,
                 n_train: int | None = None, split: str = "auto") -> BaselineResult:
    """Train on the training split (or ``n_train`` random molecules of it), test on test.

    Every target of the table by default; counts of every element of the training molecules;
    molecules without a value of a target are left out of that target's fit and test."""
    targets = table_targets(table) if targets is None else tuple(targets)
    parts = split_table(table, split, seed)
    train, test = subset(parts["train"], n_train, seed), parts["test"]
    elements = table_elements(table.take(train))
    model = ElementCountRegressor(elements)
    X_train, X_test = table.take(train).element_counts(elements), table.take(test).element_counts(elements)
    errors, coef, preds = {}, {}, {}
    for t in targets:
        y = np.asarray(table.properties[t], dtype=np.float64)
        ok = np.isfinite(y[train])
        model.fit(X_train[ok], y[train][ok])
        pred = model.predict(X_test)
        errors[t] = error_summary(t, y[test], pred)
        unit, factor = report_unit(t)
        coef[t] = {symbol(z): float(w) for z, w in zip(elements, model.coef_[0])} | {"intercept": float(model.intercept_[0])}
        preds[t] = (y[test] * factor, pred * factor)
    sizes = {"train": int(len(train)), "val": int(len(parts["val"])), "test": int(len(test))}
    ids = {k: [str(table.ids[i]) for i in v] for k, v in (("train", train), ("val", parts["val"]), ("test", test))}
    return BaselineResult(errors, sizes, seed, coef, preds, resolve_kind(table, split), elements, ids)
