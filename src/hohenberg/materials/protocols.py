"""Evaluation protocols: repeated random splits, descriptor-subset search, leave-one-metal-out
with nested hyper-parameter search, grouped splits.  Functions take a model (pipeline) and
arrays and return plain numbers / frames; splitting and scoring are scikit-learn's.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, GroupKFold, ShuffleSplit, cross_val_predict, cross_validate

from hohenberg.models.metrics import regression_errors

RMSE = "neg_root_mean_squared_error"


@dataclass(frozen=True)
class RepeatedSplitConfig:
    """The d-band paper's protocol: ``repeats`` random splits with ``train_fraction`` for training."""

    train_fraction: float = 0.25
    repeats: int = 50
    seed: int = 0


def repeated_split_rmse(model, X, y, config: RepeatedSplitConfig = RepeatedSplitConfig()) -> np.ndarray:
    """Test RMSE of each of ``config.repeats`` random splits (eV when ``y`` is in eV)."""
    cv = ShuffleSplit(n_splits=config.repeats, train_size=config.train_fraction, random_state=config.seed)
    with warnings.catch_warnings():
        # GP noise levels hitting a bound on tiny training sets is expected, not actionable
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_validate(model, X, y, cv=cv, scoring=RMSE, n_jobs=1)["test_score"]
    return -scores


def learning_curve_rmse(model, X, y, fractions: Sequence[float], repeats: int = 10, seed: int = 0) -> pd.DataFrame:
    """Average and spread of test RMSE against training fraction (repeated random splits)."""
    rows = []
    for f in fractions:
        r = repeated_split_rmse(model, X, y, RepeatedSplitConfig(f, repeats, seed))
        rows.append({"train_fraction": f, "n_train": int(round(f * len(y))), "rmse_mean_eV": r.mean(), "rmse_std_eV": r.std()})
    return pd.DataFrame(rows)


def descriptor_subset_search(
    model,
    make_X: Callable[[Sequence[str]], np.ndarray],
    y,
    descriptors: Sequence[str],
    sizes: Sequence[int] | None = None,
    config: RepeatedSplitConfig = RepeatedSplitConfig(repeats=5),
) -> pd.DataFrame:
    """Average RMSE of every descriptor subset of the given sizes (exhaustive, as in the paper).

    ``make_X(subset)`` builds the design matrix of a subset (e.g. host and guest values of each
    descriptor).  The same random splits are used for every subset, so differences between
    subsets are not split noise.  Selecting the best subset on these splits is optimistic; score
    the winner again on fresh seeds (``evaluate_subset``) before quoting it.
    """
    sizes = sizes or range(1, len(descriptors) + 1)
    rows = []
    for k in sizes:
        for subset in itertools.combinations(descriptors, k):
            r = repeated_split_rmse(model, make_X(subset), y, config)
            rows.append({"size": k, "descriptors": subset, "rmse_mean_eV": r.mean(), "rmse_std_eV": r.std()})
    return pd.DataFrame(rows).sort_values(["size", "rmse_mean_eV"]).reset_index(drop=True)


def best_per_size(search: pd.DataFrame) -> pd.DataFrame:
    """Best subset of each size from :func:`descriptor_subset_search`."""
    return search.loc[search.groupby("size")["rmse_mean_eV"].idxmin()].reset_index(drop=True)


def leave_one_metal_out_splits(hosts: Sequence[str], guests: Sequence[str], return_metals: bool = False):
    """One split per metal: every pair that contains the metal (as host or guest) is held out.

    A list of (train, test) index arrays, usable as ``cv=`` of scikit-learn; with
    ``return_metals`` also the held-out metal of each split.
    """
    hosts, guests = np.asarray(hosts), np.asarray(guests)
    splits, metals = [], []
    for metal in sorted(set(hosts) | set(guests)):
        test = (hosts == metal) | (guests == metal)
        if test.all() or not test.any():
            continue
        splits.append((np.flatnonzero(~test), np.flatnonzero(test)))
        metals.append(metal)
    return (splits, metals) if return_metals else splits


def leave_one_metal_out(model, X, y, hosts, guests, param_grid: dict | None = None) -> pd.DataFrame:
    """Leave-one-metal-out test predictions, hyper-parameters chosen by an inner
    leave-one-metal-out search on the training metals only (nested, so nothing of the held-out
    metal leaks into model selection).  One row per (held-out metal, pair)."""
    X, y, hosts, guests = np.asarray(X, float), np.asarray(y, float), np.asarray(hosts), np.asarray(guests)
    rows = []
    splits, metals = leave_one_metal_out_splits(hosts, guests, return_metals=True)
    for (train, test), metal in zip(splits, metals):
        est = clone(model)
        if param_grid:
            inner = leave_one_metal_out_splits(hosts[train], guests[train])
            est = GridSearchCV(est, param_grid, cv=inner, scoring=RMSE, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X[train], y[train])
        pred = est.predict(X[test])
        for i, p in zip(test, pred):
            rows.append({"held_out": metal, "host": hosts[i], "guest": guests[i], "y_true_eV": y[i], "y_pred_eV": p})
    return pd.DataFrame(rows)


def summarize_errors(y_true, y_pred) -> dict[str, float]:
    """MAE, RMSE (eV, as every materials target) and R^2 of predictions."""
    return regression_errors(y_true, y_pred, "eV", r2=True)


def grouped_cv_predict(model, X, y, groups, n_splits: int = 5) -> np.ndarray:
    """Out-of-fold predictions with whole groups (materials, formulas) held out together."""
    cv = GroupKFold(n_splits=n_splits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_predict(model, X, y, groups=groups, cv=cv, n_jobs=1)
