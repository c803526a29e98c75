"""Coverage study of the predictive intervals on held-out data (raw vs conformal)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit

from hohenberg.materials.adsorption import adsorption_design
from hohenberg.materials.dband import BEST_SIX, overlayer_design
from hohenberg.materials.datasets import load_adsorption, load_overlayer
from hohenberg.materials.models import make_model
from hohenberg.materials.protocols import summarize_errors
from hohenberg.materials.uncertainty import ConformalRegressor, conformal_coverage, coverage, predict_mean_std


def _tasks(dataset: str, repeats: int, seed: int):
    """Yield (X_train, y_train, X_test, y_test) of each held-out split."""
    if dataset == "dband":
        df = load_overlayer("absolute")
        X, y = overlayer_design(df, BEST_SIX), df["target_eV"].to_numpy()
        for tr, te in ShuffleSplit(repeats, test_size=0.5, random_state=seed).split(X):
            yield X[tr], y[tr], X[te], y[te], None
    elif dataset == "adsorption":
        df = load_adsorption()
        for _, part in df.groupby("adsorbate"):
            X = adsorption_design(part).to_numpy()
            y = part["adsorption_energy_eV"].to_numpy()
            split = GroupShuffleSplit(repeats, test_size=0.25, random_state=seed)
            groups = part["Material"].to_numpy()
            for tr, te in split.split(X, y, groups):
                yield X[tr], y[tr], X[te], y[te], groups[tr]
    else:
        raise ValueError("dataset must be 'dband' or 'adsorption'")


def coverage_study(dataset: str = "dband", model: str = "gpr", repeats: int = 5, seed: int = 0, method: str = "cv") -> dict:
    """Pooled held-out coverage of mu +- z sigma (raw) and of the conformal intervals
    (``method`` 'cv': 5-fold out-of-fold calibration; 'split': 25 % kept back; whole materials
    held out for adsorption), plus mean std and RMSE (eV) of the raw model."""
    raw, conf, sds, truth, preds = [], [], [], [], []
    for Xtr, ytr, Xte, yte, gtr in _tasks(dataset, repeats, seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m = make_model(model).fit(Xtr, ytr)
            c = ConformalRegressor(make_model(model), method=method, random_state=seed).fit(Xtr, ytr, groups=gtr)
        mu, sd = predict_mean_std(m, Xte)
        raw.append(coverage(yte, mu, sd))
        mu_c, sd_c = predict_mean_std(c.estimator_, Xte)
        conf.append(conformal_coverage(yte, mu_c, sd_c, c.calibration_scale_))
        sds.append(sd)
        truth.append(yte)
        preds.append(mu)
    mean = lambda rows, k: float(np.mean([r[k] for r in rows]))  # noqa: E731
    return {
        "dataset": dataset,
        "model": model,
        "conformal_method": method,
        "splits": len(raw),
        "coverage_68": mean(raw, "coverage_68"),
        "coverage_95": mean(raw, "coverage_95"),
        "conformal_coverage_68": mean(conf, "conformal_coverage_68"),
        "conformal_coverage_95": mean(conf, "conformal_coverage_95"),
        "mean_std_eV": float(np.mean(np.concatenate(sds))),
        "rmse_eV": summarize_errors(np.concatenate(truth), np.concatenate(preds))["rmse_eV"],
    }
