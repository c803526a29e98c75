"""Calibrated sigmas from an ensemble spread: the 1- and 2-sigma fractions hit their targets."""

from __future__ import annotations

import numpy as np
import pytest

from hohenberg.models.calibration import SigmaCalibration, fit_sigma_calibration, within


def _errors(n, rng, a=3.0, b=0.1, tails=None):
    spread = rng.gamma(2.0, 0.05, n)
    sigma = np.sqrt((a * spread) ** 2 + b ** 2)
    z = rng.standard_normal(n) if tails is None else rng.standard_t(tails, n) * np.sqrt((tails - 2) / tails)
    return z * sigma, spread


def test_gaussian_errors_recover_the_true_sigma_and_coverage():
    rng = np.random.default_rng(0)
    err, spread = _errors(20000, rng)
    cal = fit_sigma_calibration(err[:10000], spread[:10000])
    assert cal.a == pytest.approx(3.0, rel=0.1) and cal.b == pytest.approx(0.1, rel=0.2)
    sigma = cal(spread[10000:])  # held-out half
    assert within(err[10000:], sigma, 1) == pytest.approx(0.683, abs=0.015)
    assert within(err[10000:], sigma, 2) == pytest.approx(0.954, abs=0.01)


def test_heavy_tails_both_fractions_within_five_points_where_one_scale_misses_one():
    rng = np.random.default_rng(1)
    err, spread = _errors(20000, rng, tails=4)
    cal = fit_sigma_calibration(err[:10000], spread[:10000])
    sigma = cal(spread[10000:])
    assert abs(within(err[10000:], sigma, 1) - 0.683) < 0.05
    assert abs(within(err[10000:], sigma, 2) - 0.954) < 0.05
    # the raw spread is far too small: the point of calibrating
    assert within(err[10000:], spread[10000:], 1) < 0.4


def test_calibration_is_a_pure_function_of_the_spread():
    cal = SigmaCalibration(2.0, 0.5)
    assert np.allclose(cal(np.array([0.0, 1.0, np.nan])), [0.5, np.sqrt(4.25), 0.5])
    assert cal.to_dict() == {"a": 2.0, "b": 0.5}
    with pytest.raises(ValueError, match="at least 10"):
        fit_sigma_calibration(np.ones(5), np.ones(5))
