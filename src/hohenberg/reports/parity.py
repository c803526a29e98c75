"""Parity plots: :func:`hohenberg.reports.figures.parity_grid`, importable here as well."""

from hohenberg.reports.figures import parity_grid

__all__ = ["parity_grid"]
