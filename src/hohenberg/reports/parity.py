"""Parity plots (predicted vs reference) as PNG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hohenberg.reports.figures import save_figure


def parity_grid(path: str | Path, panels: Mapping[str, tuple[np.ndarray, np.ndarray, str]], title: str = "") -> Path:
    """One parity panel per target: ``panels[name] = (y_true, y_pred, unit)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(panels)
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    for ax, (name, (yt, yp, unit)) in zip(axes.flat, panels.items()):
        ax.scatter(yt, yp, s=3, alpha=0.5)
        lo, hi = float(np.min([yt.min(), yp.min()])), float(np.max([yt.max(), yp.max()]))
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(f"reference ({unit})", fontsize=8)
        ax.set_ylabel(f"predicted ({unit})", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)
