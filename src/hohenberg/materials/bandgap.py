"""Band gaps from composition (regression) and metal / non-metal classification, with splits
grouped by chemical system (all compositions of one element set held out together, so doping
series such as Hg(1-x)Cd(x)Te cannot leak between train and test)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.impute import SimpleImputer

from hohenberg.materials.featurize import composition_features
from hohenberg.materials.models import make_model
from hohenberg.materials.protocols import grouped_cv_predict, summarize_errors


@dataclass(frozen=True)
class BandgapConfig:
    model: str = "et"
    n_splits: int = 5
    n_rows: int | None = None  # random subset for quick runs
    seed: int = 0


def _subset(df: pd.DataFrame, config: BandgapConfig) -> pd.DataFrame:
    if config.n_rows is not None and config.n_rows < len(df):
        return df.sample(n=config.n_rows, random_state=config.seed).reset_index(drop=True)
    return df.reset_index(drop=True)


def bandgap_regression(df: pd.DataFrame, config: BandgapConfig = BandgapConfig()) -> tuple[dict, pd.DataFrame]:
    """Grouped-CV errors (eV) of the model and of the mean predictor; out-of-fold predictions."""
    df = _subset(df, config)
    X = composition_features(df["composition"]).to_numpy()
    y = df["Eg_eV"].to_numpy()
    g = df["chem_system"].to_numpy()
    pred = grouped_cv_predict(make_model(config.model), X, y, g, config.n_splits)
    base = grouped_cv_predict(make_model("mean"), X, y, g, config.n_splits)
    e, b = summarize_errors(y, pred), summarize_errors(y, base)
    summary = {
        "model": config.model,
        "n": len(y),
        "n_chem_systems": int(len(set(g))),
        "mae_eV": e["mae_eV"],
        "rmse_eV": e["rmse_eV"],
        "r2": e["r2"],
        "mean_predictor_mae_eV": b["mae_eV"],
    }
    return summary, pd.DataFrame({"composition": df["composition"], "y_true_eV": y, "y_pred_eV": pred})


def metal_classification(df: pd.DataFrame, config: BandgapConfig = BandgapConfig()) -> dict:
    """Grouped-CV accuracy / F1 / ROC AUC of extra trees for non-metal (1) vs metal (0)."""
    df = _subset(df, config)
    X = composition_features(df["composition"]).to_numpy()
    y = df["is_nonmetal"].to_numpy().astype(int)
    clf = Pipeline([("impute", SimpleImputer(strategy="median")),
                    ("est", ExtraTreesClassifier(n_estimators=200, random_state=config.seed, n_jobs=1))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        proba = cross_val_predict(clf, X, y, groups=df["chem_system"], cv=GroupKFold(config.n_splits), method="predict_proba")[:, 1]
    pred = (proba >= 0.5).astype(int)
    return {
        "n": len(y),
        "accuracy": float(accuracy_score(y, pred)),
        "f1_nonmetal": float(f1_score(y, pred)),
        "roc_auc": float(roc_auc_score(y, proba)),
        "majority_class_accuracy": float(max(np.mean(y), 1 - np.mean(y))),
    }
