"""Uncertainty: coverage arithmetic, conformal quantile, calibrated intervals on held-out data."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from hohenberg.materials.dband import BEST_SIX, overlayer_design
from hohenberg.materials.datasets import load_overlayer
from hohenberg.materials.models import make_model
from hohenberg.materials.uncertainty import ConformalRegressor, conformal_scale, coverage, predict_mean_std


def test_coverage_by_hand():
    y = np.array([0.0, 0.0, 0.0, 0.0])
    mu = np.array([0.5, 1.5, 2.5, -0.2])
    c = coverage(y, mu, np.ones(4))
    # |err| <= 0.994 (68 %): 0.5 and 0.2 -> 2/4; |err| <= 1.96 (95 %): also 1.5 -> 3/4
    assert c == {"coverage_68": 0.5, "coverage_95": 0.75}


def test_conformal_scale_rank():
    scores = np.arange(1, 20, dtype=float)  # 19 calibration points, |y - mu| / sigma = 1..19
    # rank ceil(20 * 0.9) = 18 -> 18th smallest score
    assert conformal_scale(scores, np.zeros(19), np.ones(19), 0.9) == 18.0
    assert conformal_scale(scores, np.zeros(19), np.ones(19), 0.99) == np.inf


def test_conformal_intervals_cover_on_synthetic_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(600, 2))
    y = np.sin(X[:, 0]) + 0.3 * rng.standard_normal(600)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0)
    c = ConformalRegressor(make_model("rf", n_estimators=50), calibration_fraction=0.3).fit(Xtr, ytr)
    lo, hi = c.predict_interval(Xte, 0.95)
    assert 0.90 <= np.mean((yte >= lo) & (yte <= hi)) <= 0.99
    lo, hi = c.predict_interval(Xte, 0.68)
    assert 0.60 <= np.mean((yte >= lo) & (yte <= hi)) <= 0.78


def test_gp_std_is_calibrated_on_held_out_dband():
    df = load_overlayer()
    X, y = overlayer_design(df, BEST_SIX), df["target_eV"].to_numpy()
    covs = []
    for seed in range(3):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=seed)
        mu, sd = predict_mean_std(make_model("gpr").fit(Xtr, ytr), Xte)
        covs.append(coverage(yte, mu, sd)["coverage_68"])
    # measured 0.68 (5 splits); a badly scaled std would be far off
    assert 0.5 <= np.mean(covs) <= 0.85


def test_gbr_has_no_std():
    df = load_overlayer()
    X, y = overlayer_design(df, BEST_SIX), df["target_eV"].to_numpy()
    with pytest.raises(TypeError, match="no predictive standard deviation"):
        predict_mean_std(make_model("gbr", n_estimators=10).fit(X, y), X)


def test_cv_conformal_on_small_data_gives_finite_95_interval():
    # 60 points: a 25 % split leaves 15 calibration points, too few for a 95 % quantile (inf);
    # 5-fold out-of-fold residuals use all 60
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(260, 1))
    y = X[:, 0] ** 2 + 0.2 * rng.standard_normal(260)
    split = ConformalRegressor(make_model("gpr"), method="split").fit(X[:60], y[:60])
    cv = ConformalRegressor(make_model("gpr"), method="cv").fit(X[:60], y[:60])
    assert split.calibration_scale_[0.95] == np.inf and cv.n_calibration_ == 60
    lo, hi = cv.predict_interval(X[60:], 0.95)
    assert np.isfinite(hi).all() and 0.88 <= np.mean((y[60:] >= lo) & (y[60:] <= hi)) <= 1.0
