"""The one metrics function: units in every key, references without a value skipped."""

import math

import numpy as np

from hohenberg.models.metrics import error_summary, regression_errors


def test_regression_errors_units_in_keys_and_nan_references_skipped():
    y = np.array([1.0, 2.0, 3.0, np.nan])
    p = np.array([1.5, 2.0, 2.0, 7.0])
    e = regression_errors(y, p, "eV", r2=True)
    assert list(e) == ["mae_eV", "rmse_eV", "r2", "n"]
    assert e["n"] == 3 and math.isclose(e["mae_eV"], 0.5) and math.isclose(e["rmse_eV"], math.sqrt(1.25 / 3))
    assert math.isclose(e["r2"], 1 - 1.25 / 2.0)
    assert math.isnan(regression_errors([2.0, 2.0], [1.0, 3.0], "eV", r2=True)["r2"])  # reference does not vary


def test_error_summary_reports_energies_in_mev():
    e = error_summary("homo_eV", np.array([0.0, 1.0]), np.array([0.1, 1.0]))
    assert set(e) == {"mae_meV", "rmse_meV", "n"} and math.isclose(e["mae_meV"], 50.0)
    assert set(error_summary("mu_D", [0.0], [1.0])) == {"mae_D", "rmse_D", "n"}
