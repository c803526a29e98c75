"""PNG figures (parity, learning curve, importances, partial dependence), each written beside a
CSV of the numbers it shows."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hohenberg.reports.figures import save_figure  # noqa: E402


def _save(fig, data: pd.DataFrame, path: Path) -> Path:
    path = save_figure(fig, path, dpi=120)
    data.to_csv(path.with_suffix(".csv"), index=False)
    return path


def parity_plot(y_true, y_pred, path, title: str = "", unit: str = "eV", hue=None) -> Path:
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    data = pd.DataFrame({f"true_{unit}": y_true, f"pred_{unit}": y_pred})
    if hue is not None:
        data["group"] = np.asarray(hue)
        for g, part in data.groupby("group"):
            ax.scatter(part.iloc[:, 0], part.iloc[:, 1], s=10, alpha=0.6, label=str(g))
        ax.legend(fontsize=7)
    else:
        ax.scatter(y_true, y_pred, s=10, alpha=0.6)
    lo, hi = np.nanmin([y_true.min(), y_pred.min()]), np.nanmax([y_true.max(), y_pred.max()])
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    rmse = float(np.sqrt(np.mean((y_pred - y_true) ** 2)))
    ax.set(xlabel=f"reference ({unit})", ylabel=f"predicted ({unit})", title=f"{title} RMSE {rmse:.3f} {unit}")
    return _save(fig, data, path)


def learning_curve_plot(curve: pd.DataFrame, path, x: str = "train_fraction", title: str = "") -> Path:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, part in curve.groupby("model") if "model" in curve else [("", curve)]:
        ax.errorbar(part[x], part["rmse_mean_eV"], yerr=part["rmse_std_eV"], marker="o", capsize=3, label=name)
    ax.set(xlabel=x.replace("_", " "), ylabel="test RMSE (eV)", title=title)
    if "model" in curve:
        ax.legend(fontsize=7)
    return _save(fig, curve, path)


def importance_plot(importances: pd.DataFrame, path, title: str = "", top: int = 15) -> Path:
    """Horizontal bars of ``importance_mean`` (+- ``importance_std``) by ``feature``."""
    data = importances.sort_values("importance_mean", ascending=False).head(top)
    fig, ax = plt.subplots(figsize=(5.5, 0.3 * len(data) + 1.2))
    ax.barh(data["feature"][::-1], data["importance_mean"][::-1], xerr=data.get("importance_std", pd.Series(0, index=data.index))[::-1])
    ax.set(xlabel="importance", title=title)
    return _save(fig, importances, path)


def partial_dependence_plot(model, X: pd.DataFrame, features, path, title: str = "") -> Path:
    """Partial dependence of a fitted pipeline on the named columns (scikit-learn's display)."""
    from sklearn.inspection import PartialDependenceDisplay

    fig, ax = plt.subplots(figsize=(3.2 * len(features), 3))
    disp = PartialDependenceDisplay.from_estimator(model, X, list(features), ax=ax, grid_resolution=30)
    rows = []
    for f, res in zip(features, disp.pd_results):
        for v, a in zip(res["grid_values"][0], res["average"][0]):
            rows.append({"feature": f, "value": v, "partial_dependence_eV": a})
    fig.suptitle(title)
    return _save(fig, pd.DataFrame(rows), path)
