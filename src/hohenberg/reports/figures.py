"""Matplotlib figures as PNG: parity plots, learning curves, importances, partial dependence.

Every figure is written atomically and closed; the single-panel ones also write a CSV of the
numbers they show beside the PNG (same name, ``.csv``).  Matplotlib is imported on first use,
with the file-only Agg backend, so importing this module never needs a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path, dpi: int = 110, tight: bool = True) -> Path:
    """Save ``fig`` as PNG via a temp file + rename (no half-written image), then close it."""
    plt = _pyplot()
    if tight:
        fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    tmp.replace(path)
    return path


def save_with_data(fig, data, path: str | Path) -> Path:
    """``fig`` as PNG and ``data`` (a DataFrame of what it shows) as CSV beside it."""
    path = save_figure(fig, path, dpi=120)
    data.to_csv(path.with_suffix(".csv"), index=False)
    return path


def parity_axes(ax, y_true, y_pred, unit: str, size: float = 10, alpha: float = 0.6, lw: float = 1.0,
                fontsize: float | None = None, points: bool = True) -> None:
    """Predicted against reference on ``ax`` (``points=False``: the caller drew them), with the
    diagonal and unit-labelled axes."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if points:
        ax.scatter(y_true, y_pred, s=size, alpha=alpha)
    lo, hi = float(np.nanmin([y_true.min(), y_pred.min()])), float(np.nanmax([y_true.max(), y_pred.max()]))
    ax.plot([lo, hi], [lo, hi], "k--", lw=lw)
    ax.set_xlabel(f"reference ({unit})", fontsize=fontsize)
    ax.set_ylabel(f"predicted ({unit})", fontsize=fontsize)


def parity_grid(path: str | Path, panels: Mapping[str, tuple[np.ndarray, np.ndarray, str]], title: str = "") -> Path:
    """One parity panel per target: ``panels[name] = (y_true, y_pred, unit)``."""
    plt = _pyplot()
    n = len(panels)
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    for ax, (name, (yt, yp, unit)) in zip(axes.flat, panels.items()):
        parity_axes(ax, yt, yp, unit, size=3, alpha=0.5, lw=0.8, fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def target_parity(path: str | Path, targets: Sequence[str], y_true: np.ndarray, y_pred: np.ndarray,
                  title: str = "") -> Path:
    """:func:`parity_grid` of the columns of ``y_true`` and ``y_pred`` ``(n, len(targets))``, one panel
    per target in its table unit: energies in eV (absolute values; their errors are reported in meV)."""
    from hohenberg.models.metrics import target_label
    from hohenberg.units import unit_of

    return parity_grid(path, {target_label(t): (y_true[:, j], y_pred[:, j], unit_of(t)) for j, t in enumerate(targets)},
                       title)


def parity_plot(y_true, y_pred, path, title: str = "", unit: str = "eV", hue=None) -> Path:
    """One parity panel, RMSE in the title, points coloured by ``hue`` groups; CSV beside it."""
    import pandas as pd

    from hohenberg.models.metrics import regression_errors

    plt = _pyplot()
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    data = pd.DataFrame({f"true_{unit}": y_true, f"pred_{unit}": y_pred})
    if hue is None:
        parity_axes(ax, y_true, y_pred, unit)
    else:
        data["group"] = np.asarray(hue)
        for g, part in data.groupby("group"):
            ax.scatter(part.iloc[:, 0], part.iloc[:, 1], s=10, alpha=0.6, label=str(g))
        parity_axes(ax, y_true, y_pred, unit, points=False)
        ax.legend(fontsize=7)
    rmse = regression_errors(y_true, y_pred, unit)[f"rmse_{unit}"]
    ax.set_title(f"{title} RMSE {rmse:.3f} {unit}")
    return save_with_data(fig, data, path)


def learning_curve_plot(curve, path, x: str = "train_fraction", title: str = "", unit: str = "eV") -> Path:
    """Mean test RMSE (``rmse_mean_<unit>``, error bars ``rmse_std_<unit>``) against ``x``, one
    line per ``model`` when the frame has that column; CSV beside it."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, part in curve.groupby("model") if "model" in curve else [("", curve)]:
        ax.errorbar(part[x], part[f"rmse_mean_{unit}"], yerr=part[f"rmse_std_{unit}"], marker="o", capsize=3, label=name)
    ax.set(xlabel=x.replace("_", " "), ylabel=f"test RMSE ({unit})", title=title)
    if "model" in curve:
        ax.legend(fontsize=7)
    return save_with_data(fig, curve, path)


def importance_plot(importances, path, title: str = "", top: int = 15) -> Path:
    """Horizontal bars of ``importance_mean`` (+- ``importance_std``) by ``feature``; CSV beside it."""
    import pandas as pd

    plt = _pyplot()
    data = importances.sort_values("importance_mean", ascending=False).head(top)
    fig, ax = plt.subplots(figsize=(5.5, 0.3 * len(data) + 1.2))
    ax.barh(data["feature"][::-1], data["importance_mean"][::-1], xerr=data.get("importance_std", pd.Series(0, index=data.index))[::-1])
    ax.set(xlabel="importance", title=title)
    return save_with_data(fig, importances, path)


def partial_dependence_plot(model, X, features, path, title: str = "", unit: str = "eV") -> Path:
    """Partial dependence of a fitted pipeline on the named columns (scikit-learn's display);
    CSV of the curves beside it."""
    import pandas as pd
    from sklearn.inspection import PartialDependenceDisplay

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.2 * len(features), 3))
    disp = PartialDependenceDisplay.from_estimator(model, X, list(features), ax=ax, grid_resolution=30)
    rows = []
    for f, res in zip(features, disp.pd_results):
        for v, a in zip(res["grid_values"][0], res["average"][0]):
            rows.append({"feature": f, "value": v, f"partial_dependence_{unit}": a})
    fig.suptitle(title)
    return save_with_data(fig, pd.DataFrame(rows), path)
