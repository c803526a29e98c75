"""Density slices (the mid plane of a grid) as PNG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hohenberg.reports.figures import save_figure


def slice_panels(path: str | Path, fields: Mapping[str, np.ndarray], title: str = "", axis: int = 2) -> Path:
    """One panel per field: the middle plane normal to ``axis``; log scale for densities."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import SymLogNorm

    fig, axes = plt.subplots(1, len(fields), figsize=(3.6 * len(fields), 3.4), squeeze=False)
    for ax, (name, values) in zip(axes[0], fields.items()):
        plane = np.take(values, values.shape[axis] // 2, axis=axis)
        signed = plane.min() < 0
        norm = SymLogNorm(linthresh=1e-3, vmin=-abs(plane).max(), vmax=abs(plane).max()) if signed else \
            matplotlib.colors.LogNorm(vmin=max(plane.max() * 1e-5, 1e-8), vmax=plane.max())
        im = ax.imshow(np.clip(plane, None if signed else 1e-8, None).T, origin="lower",
                       cmap="RdBu_r" if signed else "viridis", norm=norm)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)
