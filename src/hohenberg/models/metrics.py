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


def regression_errors(y_true, y_pred, unit: str, factor: float = 1.0, r2: bool = False) -> dict[str, float]:
    """MAE and RMSE of ``y_pred`` (times ``factor``, into ``unit``) with the unit in the keys
    (``mae_eV``, ``rmse_eV``), R^2 with ``r2`` (NaN when the reference does not vary), and the
    count ``n``.  Rows without a reference value (NaN) are not counted."""
    y_true = np.asarray(y_true, dtype=np.float64)
    known = np.isfinite(y_true)
    y_true = y_true[known]
    residual = np.asarray(y_pred, dtype=np.float64)[known] - y_true
    err = residual * factor
    out = {f"mae_{unit}": float(np.mean(np.abs(err))), f"rmse_{unit}": float(np.sqrt(np.mean(err**2)))}
    if r2:
        ss = ((y_true - y_true.mean()) ** 2).sum()
        out["r2"] = float(1 - (residual**2).sum() / ss) if ss > 0 else float("nan")
    out["n"] = int(len(err))
    return out


def error_summary(target: str, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE and RMSE of ``target`` in its report unit, with the unit in the keys (``mae_meV``);
    molecules without a reference value (NaN) are not counted."""
    unit, factor = report_unit(target)
    return regression_errors(y_true, y_pred, unit, factor)
