"""``train graph``, ``evaluate`` and ``predict`` end to end on the 299-molecule fixture."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from hohenberg.cli.graph import train_graph
from hohenberg.cli.models import evaluate, predict
from hohenberg.errors import InputError
from hohenberg.graph.run import GraphRunConfig, split_rows

TARGETS = ("homo_eV", "lumo_eV", "gap_eV")
torch.set_num_threads(1)  # 2 shared cores: intra-op threads only contend

app = typer.Typer()
app.command("train-graph")(train_graph)
app.command("evaluate")(evaluate)
app.command("predict")(predict)
runner = CliRunner()


def _run(*args):
    res = runner.invoke(app, [str(a) for a in args])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture(scope="module")
def trained(qm9_table, tmp_path_factory):
    """A 2-member GIN ensemble (2D bond graph, Gasteiger feature set), 30 epochs on 251 molecules."""
    tmp = tmp_path_factory.mktemp("graph_cli")
    table = tmp / "fixture.npz"
    qm9_table.save(table)
    out = tmp / "model"
    res = _run("train-graph", table, "--out", out, "--model", "gin", "--views", "bond", "--features", "gasteiger",
               "--targets", ",".join(TARGETS), "--hidden", "32", "--layers", "2", "--epochs", "30", "--bond-lengths",
               "--no-environment", "--no-atomwise", "--lr-schedule", "plateau",
               "--batch-size", "16", "--lr", "2e-3", "--ensemble", "2", "--accelerator", "cpu", "--json")
    return table, out, json.loads(res.stdout)


def test_trained_model_beats_the_mean_predictor_on_held_out_molecules(trained, qm9_table):
    _, out, summary = trained
    rows = split_rows(qm9_table, GraphRunConfig())
    assert summary["provenance"]["split_sizes"] == {"train": 251, "val": 23, "test": 25}
    for t in TARGETS:
        y = qm9_table.properties[t]
        mean_mae = np.abs(y[rows["test"]] - y[rows["train"]].mean()).mean() * 1000
        mae = summary["test_errors"][t]["mae_meV"]
        # measured with --bond-lengths (seeds 0, 1): 0.50/0.56 (HOMO), 0.32/0.33 (LUMO), 0.36/0.33 (gap)
        # of the mean predictor's MAE
        assert mae < 0.7 * mean_mae, (t, mae, mean_mae)
    for name in ("member_0.pt", "member_1.pt", "model.json", "parity.png", "learning_curve.png",
                 "test_predictions.csv", "member_0/metrics.csv"):
        assert (out / name).exists(), name
    assert summary["train_molecules_per_s"] > 0 and len(summary["fits"]) == 2


def test_evaluate_reproduces_the_training_test_errors(trained, tmp_path):
    table, out, summary = trained
    res = _run("evaluate", out, table, "--json", "--out", tmp_path)
    payload = json.loads(res.stdout)
    assert payload["n_molecules"] == 25 and payload["ensemble"] == 2
    for t in TARGETS:
        assert payload["errors"][t]["mae_meV"] == pytest.approx(summary["test_errors"][t]["mae_meV"], rel=1e-6)
    assert (tmp_path / "parity.png").exists() and (tmp_path / "evaluation.json").exists()
    human = _run("evaluate", out, table)
    assert "homo" in human.stdout and "meV" in human.stdout


def test_predict_smiles_with_uncertainty_and_geometry_warning(trained):
    _, out, _ = trained
    res = runner.invoke(app, ["predict", str(out), "CC(=O)O", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    mol = payload["molecules"][0]
    assert payload["ensemble"] == 2 and mol["formula"] == "C2H4O2"
    # acetic acid: B3LYP HOMO about -7.3 eV, gap about 7 eV; the ensemble spread is a positive number
    assert -9.0 < mol["homo_eV"] < -5.5 and 4.0 < mol["gap_eV"] < 10.0
    assert all(mol[f"{t}_std"] > 0 for t in TARGETS)
    assert mol["geometry"] == "xtb" and any("B3LYP" in w and "geometry xtb" in w for w in mol["warnings"])


def test_predict_xyz_file_and_errors(trained, tmp_path, qm9_xyz_dir):
    _, out, _ = trained
    res = _run("predict", out, qm9_xyz_dir / "dsgdb9nsd_000003.xyz", "--json")  # water (QM9 B3LYP geometry)
    payload = json.loads(res.stdout)
    mol = payload["molecules"][0]
    assert mol["formula"] == "H2O" and mol["geometry"] == "given" and not payload["warnings"] and not mol["warnings"]
    with pytest.raises(InputError, match="element.s. Cl never seen in training"):
        _run("predict", out, "CCCl")
    with pytest.raises(InputError, match="not a model directory"):
        _run("predict", tmp_path, "CCO")
    with pytest.raises(InputError, match="unknown view"):
        _run("train-graph", trained[0], "--out", tmp_path / "m", "--views", "ring")


def test_packaged_model_card_calibration_checksums_and_slice(trained, qm9_table, tmp_path):
    """package_model: the card's slice MAE is what prediction from the slice file gives; sigmas are
    calibrated on validation molecules; a changed weight file is refused."""
    import hohenberg
    from hohenberg.graph.ship import package_model

    table, out, _ = trained
    dest = tmp_path / "shipped"
    card = package_model(out, qm9_table, dest, command="hohenberg train graph ...", hardware="test machine",
                         slice_path=dest / "test_slice.npz", slice_size=12)
    assert set(card["targets"]) == set(TARGETS) and card["members"] == 2
    assert card["split"]["sizes"] == {"train": 251, "val": 23, "test": 25}
    for t in TARGETS:
        assert card["calibration"][t]["a"] > 0
        assert 0 <= card["test_coverage"][t]["within_1_sigma"] <= card["test_coverage"][t]["within_2_sigma"] <= 1
    assert (dest / "MODEL_CARD.md").read_text().count("meV") >= 3
    model = hohenberg.load_model(dest)
    from hohenberg.molecules.table import MoleculeTable

    sl = MoleculeTable.load(dest / "test_slice.npz")
    df = model.predict(list(sl))
    for t in TARGETS:
        mae = np.abs(df[t].to_numpy() - sl.properties[t]).mean()
        assert mae == pytest.approx(card["test_slice"]["mae_target_unit"][t], rel=1e-9)
        # calibrated sigma = sqrt((a s)^2 + b^2) >= b > 0 for every molecule
        assert (df[f"{t}_std"] >= card["calibration"][t]["b"] - 1e-12).all()
    res = _run("predict", "--model", dest, "CCO", "--json")
    payload = json.loads(res.stdout)
    assert payload["uncertainty"].startswith("calibrated") and payload["molecules"][0]["geometry"] == "xtb"
    with open(dest / "member_1.pt", "r+b") as fh:  # one flipped byte
        fh.seek(200)
        byte = fh.read(1)
        fh.seek(200)
        fh.write(bytes([byte[0] ^ 1]))
    with pytest.raises(InputError, match="checksum differs"):
        hohenberg.load_model(dest)


def test_members_trained_in_parallel_processes_are_reused_by_the_ensemble_run(qm9_table, tmp_path):
    table = tmp_path / "t.npz"
    qm9_table.save(table)
    args = ["train-graph", table, "--out", tmp_path / "m", "--targets", "homo_eV,U0_eV", "--hidden", "16",
            "--layers", "2", "--epochs", "2", "--ensemble", "2", "--accelerator", "cpu", "--json"]
    one = json.loads(_run(*args, "--member", "1").stdout)
    assert one["member"] == 1 and not (tmp_path / "m" / "member_0.pt").exists()
    before = (tmp_path / "m" / "member_1.pt").stat().st_mtime_ns
    full = json.loads(_run(*args).stdout)
    assert (tmp_path / "m" / "member_1.pt").stat().st_mtime_ns == before  # loaded, not trained again
    assert full["fits"][1] == one["fit"] and full["fits"][0]["seed"] == 0
    # the defaults are the best configuration: GIN on bonds with lengths, environment, atom-wise energies
    assert full["model"]["model"] == "gin" and full["model"]["environment"] and full["model"]["bond_lengths"]
    assert full["model"]["extensive_readout"] == "atomwise" and full["train"]["lr_schedule"] == "cosine"
    with pytest.raises(InputError, match="--member must be"):
        _run(*args, "--member", "2")
