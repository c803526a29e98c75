"""``hohenberg materials`` commands: JSON output, figures, clear errors."""

import json

from typer.testing import CliRunner

from hohenberg.cli.materials import app

runner = CliRunner()


def test_dband_json_and_figures(tmp_path):
    r = runner.invoke(app, ["dband", "--model", "gbr", "--train-fraction", "0.25", "--repeats", "3", "--json", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["repeats"] == 3 and 0.1 < data["rmse_mean_eV"] < 0.6
    assert (tmp_path / "dband_parity.png").stat().st_size > 1000
    assert (tmp_path / "dband_parity.csv").exists() and (tmp_path / "dband.json").exists()


def test_dband_table_output():
    r = runner.invoke(app, ["dband", "--model", "ridge", "--repeats", "2"])
    assert r.exit_code == 0 and "rmse_mean_eV" in r.output


def test_bad_model_is_a_clear_error():
    r = runner.invoke(app, ["dband", "--model", "xgb"])
    assert r.exit_code != 0 and "unknown model 'xgb'" in r.output


def test_screen_json():
    r = runner.invoke(app, ["screen", "--metals", "Pt,Au,Os,Re", "--top", "3", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["n_candidates"] == 10 and len(data["ranking"]) == 3
    assert {"host", "guest", "pred_eV", "std_eV", "p_in_window"} <= set(data["ranking"][0])


def test_uncertainty_json():
    r = runner.invoke(app, ["uncertainty", "--dataset", "dband", "--model", "gpr", "--repeats", "2", "--method", "split", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert 0.4 < data["coverage_68"] < 0.95


def test_ofm_command(tmp_path):
    from ase import Atoms
    from ase.io import write

    p = tmp_path / "POSCAR"
    write(p, Atoms("Na", cell=[3, 3, 3], pbc=True), format="vasp")
    r = runner.invoke(app, ["ofm", str(p), "--json"])
    assert r.exit_code == 0, r.output
    nz = [[a, b, round(v, 6)] for a, b, v in json.loads(r.output)["nonzero"]]
    assert nz == [["s1", "1", 1.0], ["s1", "s1", 2.0]]


def test_bo_simulate_rejects_unknown_pool():
    r = runner.invoke(app, ["bo-simulate", "--pool", "nope", "--seeds", "1"])
    assert r.exit_code != 0 and "pool must be 'dband' or 'her'" in r.output


def test_adsorption_oc20_and_bandgap_json():
    r = runner.invoke(app, ["adsorption", "--dataset", "oc20", "--models", "mean,ols", "--splits", "3", "--json"])
    assert r.exit_code == 0, r.output
    errs = {e["model"]: e["rmse_mean_eV"] for e in json.loads(r.output)["errors"]}
    assert errs["ols"] < errs["mean"]
    r = runner.invoke(app, ["bandgap", "--model", "ridge", "--n-rows", "200", "--splits", "3", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["n"] == 200 and d["mae_eV"] < d["mean_predictor_mae_eV"]
