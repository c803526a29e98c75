"""d-band centres: paper protocol headline, leave-one-metal-out, data loading."""

import numpy as np
import pytest

from hohenberg.errors import InputError
from hohenberg.materials.dband import BEST_SIX, DbandConfig, lomo, overlayer_design, paper_protocol
from hohenberg.materials.datasets import load_overlayer, read_overlayer_matrix
from hohenberg.materials.models import MODEL_NAMES, make_model
from hohenberg.materials.protocols import leave_one_metal_out_splits


def test_overlayer_table():
    df = load_overlayer("absolute")
    assert len(df) == 121 and df["pure"].sum() == 11
    # Pd on Au: clean Pd (-1.83) + shift (+0.35); Pt on Ru: clean Pt (-2.25) - 0.61
    pdau = df[(df.host == "Au") & (df.guest == "Pd")].iloc[0]
    assert pdau.dband_centre_eV == pytest.approx(-1.83 + 0.35)
    ptru = df[(df.host == "Ru") & (df.guest == "Pt")].iloc[0]
    assert ptru.shift_eV == pytest.approx(-0.61)


def test_bad_matrix_names_file_and_line(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(",Fe,Co\nFe,-0.9,0.1\nCo,,-1.1\n")
    with pytest.raises(InputError, match=r"m.csv:3: missing value for host Co"):
        read_overlayer_matrix(p)


def test_headline_gbr_six_descriptors_25_percent():
    # paper: GBR, six descriptors, 25 % training, average RMSE < 0.5 eV; target <= 0.35 eV.
    # 12 repeats keep the test fast; the 50-repeat figure is in docs/notes/materials.md.
    r = paper_protocol(DbandConfig("gbr", "absolute", BEST_SIX, 0.25, 12, seed=0))
    base = paper_protocol(DbandConfig("mean", "absolute", BEST_SIX, 0.25, 12, seed=0))
    assert r["rmse_mean_eV"] < 0.40
    assert base["rmse_mean_eV"] - r["rmse_mean_eV"] > 0.9


def test_every_model_is_a_pipeline_that_fits():
    df = load_overlayer()
    X, y = overlayer_design(df, BEST_SIX), df["target_eV"].to_numpy()
    for name in MODEL_NAMES:
        m = make_model(name)
        assert m.fit(X[:60], y[:60]) is m
        assert np.isfinite(m.predict(X[60:])).all()


def test_leave_one_metal_out_holds_out_every_pair_of_a_metal():
    df = load_overlayer()
    splits, metals = leave_one_metal_out_splits(df.host, df.guest, return_metals=True)
    assert len(splits) == 11 and metals[0] == "Ag"
    for (train, test), m in zip(splits, metals):
        assert len(test) == 21 and len(train) == 100
        assert ((df.host.iloc[test] == m) | (df.guest.iloc[test] == m)).all()
        assert not ((df.host.iloc[train] == m) | (df.guest.iloc[train] == m)).any()


def test_lomo_ridge_nested_beats_mean():
    s, pred = lomo("ridge", "absolute", BEST_SIX, nested=True)
    assert len(pred) == 11 * 21 and s["nested_search"]
    assert s["rmse_eV"] < 0.6  # measured 0.45 eV; the mean predictor is ~1.45 eV
