"""Error metrics reported in the units of DESIGN.md: energies in meV, the rest in their own unit."""

from __future__ import annotations

import numpy as np

from hohenberg.units import EV_MEV, unit_of


def report_unit(target: str) -> tuple[str, float]:
    """(unit, factor) in which errors of ``target`` are reported: eV quantities go to meV."""
    unit = unit_of(target)
    return ("meV", EV_MEV) if unit == "eV" else (unit, 1.0)


def target_label(target: str) -> str:
    """``homo_eV`` -> ``homo``."""
    return target.rsplit("_", 1)[0] if "_" in target else target


def error_summary(target: str, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE and RMSE in the report unit, with the unit in the keys (``mae_meV``); molecules without
    a reference value (NaN) are not counted."""
    unit, factor = report_unit(target)
    y_true = np.asarray(y_true, dtype=np.float64)
    known = np.isfinite(y_true)
    err = (np.asarray(y_pred, dtype=np.float64)[known] - y_true[known]) * factor
    return {f"mae_{unit}": float(np.mean(np.abs(err))), f"rmse_{unit}": float(np.sqrt(np.mean(err**2))),
            "n": int(len(err))}
