"""Learning curves from Lightning's ``metrics.csv`` as PNG (one panel per metric)."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from hohenberg.reports.figures import save_figure


def read_epoch_metrics(path: str | Path) -> dict[str, list[tuple[int, float]]]:
    """``metric -> [(epoch, value), ...]`` from a CSVLogger file (empty cells skipped)."""
    out: dict[str, list[tuple[int, float]]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            epoch = row.get("epoch")
            if not epoch:
                continue
            for k, v in row.items():
                if k not in ("epoch", "step") and v not in ("", None):
                    out.setdefault(k, []).append((int(float(epoch)), float(v)))
    return out


def learning_curves(path: str | Path, runs: Mapping[str, str | Path], metrics: Sequence[str],
                    title: str = "", log_y: bool = True) -> Path:
    """One panel per metric, one line per run (``runs[label] = metrics.csv``), x = epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    many = len(runs) > 4  # a long legend goes beside the panels instead of over the curves
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.0 * len(metrics) + (3.5 if many else 0), 3.2),
                             squeeze=False)
    data = {label: read_epoch_metrics(p) for label, p in runs.items()}
    # tab20 keeps up to 20 runs apart (the default cycle repeats after 10)
    colors = {label: plt.cm.tab20(i % 20) for i, label in enumerate(data)}
    for ax, metric in zip(axes[0], metrics):
        for label, d in data.items():
            if metric in d:
                ep, val = zip(*d[metric])
                ax.plot(ep, val, label=label, lw=1.2, color=colors[label])
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        if log_y:
            ax.set_yscale("log")
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    if many:
        # every run once, also those with only some of the metrics (e.g. trained on one target)
        legend = {}
        for ax in axes[0]:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                legend.setdefault(label, handle)
        fig.legend(list(legend.values()), list(legend), fontsize=7, loc="center right")
        fig.tight_layout(rect=(0, 0, 1 - 3.5 / fig.get_figwidth(), 1))
    else:
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
    return save_figure(fig, path, tight=False)
