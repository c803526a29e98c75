"""The QM9 model that ships in the package: it loads, its checksums match its card, it reproduces
the card's test MAE on the shipped test slice, its domain warnings fire, and the README's Python
example runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import hohenberg
from hohenberg.datasets.qm9 import TARGETS
from hohenberg.errors import InputError
from hohenberg.pretrained import shipped_dir

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model():
    return hohenberg.load_model("qm9")


def test_shipped_model_loads_with_a_complete_card(model):
    card = model.card
    assert model.targets == TARGETS and card["members"] == len(model.predictor.members) >= 3
    assert card["split"]["sizes"] == {"train": 110000, "val": 10000, "test": 10831}
    for t in TARGETS:
        unit = "meV" if t.endswith("_eV") else t.rsplit("_", 1)[1]
        assert card["test_mae"][t][f"mae_{unit}"] > 0 and card["test_mae"][t]["n"] == 10831
        cov = card["test_coverage"][t]
        assert 0 < cov["within_1_sigma"] < cov["within_2_sigma"] <= 1
    assert card["budget"]["hardware"] and card["command"].startswith("hohenberg train graph")
    folder = shipped_dir("qm9")
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size < 25e6
    # every weight file is listed with its SHA-256, and load_model checked them
    assert sorted(card["sha256"]) == sorted(p.name for p in folder.glob("member_*.pt"))


def test_card_test_mae_is_reproduced_on_the_shipped_test_slice(model):
    from hohenberg.molecules.table import MoleculeTable

    card = model.card["test_slice"]
    sl = MoleculeTable.load(shipped_dir("qm9") / card["file"])
    assert len(sl) == card["molecules"] == 200
    df = model.predict(list(sl))
    for t in TARGETS:
        mae = float(np.mean(np.abs(df[t].to_numpy() - sl.properties[t])))
        assert mae == pytest.approx(card["mae_target_unit"][t], rel=1e-4), t  # float32 sums may differ by CPU


def test_python_api_takes_smiles_molecules_and_ase_atoms(model):
    from ase.build import molecule as ase_molecule

    from hohenberg.molecules.smiles import molecule_from_smiles

    df = model.predict(["CCO", molecule_from_smiles("c1ccccc1", name="benzene"), ase_molecule("H2O")])
    assert list(df["formula"]) == ["C2H6O", "C6H6", "H2O"]
    assert list(df["geometry"]) == ["xtb", "mmff", "given"]  # SMILES relaxed by GFN2-xTB; objects kept
    for t in TARGETS:
        assert (df[f"{t}_std"] > 0).all() and np.isfinite(df[t]).all()
    # ethanol, QM9 (B3LYP): HOMO -7.3, LUMO 1.8-2.2, gap 9.0-9.5 eV; benzene gap about 6.8 eV
    assert -8.0 < df["homo_eV"][0] < -6.5 and 8.0 < df["gap_eV"][0] < 10.5 and 5.8 < df["gap_eV"][1] < 7.8
    assert df["warnings"][2] == "" and all("not the training kind" in w for w in df["warnings"][:2])


def test_domain_warnings_fire_and_foreign_elements_are_refused(model):
    df = model.predict(["CCCCCCCCCCCC", "[NH4+]", "[CH3]", "CO"])
    w = list(df["warnings"])
    assert "12 heavy atoms" in w[0] and "charge +1" in w[1] and "spin 2S=1" in w[2]
    assert w[3].startswith("geometry xtb") and "heavy atoms" not in w[3]  # from SMILES: only the geometry
    with pytest.raises(InputError, match="Cl never seen in training"):
        model.predict(["CCCl"])


def test_cli_predicts_13_targets_with_the_shipped_model_and_no_model_dir(tmp_path):
    from hohenberg.cli.main import app

    res = CliRunner().invoke(app, ["predict", "CCO", "--json", "--out", str(tmp_path / "p.csv")])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    mol = payload["molecules"][0]
    assert all(t in mol and mol[f"{t}_std"] > 0 for t in TARGETS)
    assert payload["uncertainty"].startswith("calibrated") and "zero-point" in payload["energies"]
    assert mol["geometry"] == "xtb" and mol["error"] == ""
    assert (tmp_path / "p.csv").read_text().splitlines()[0].startswith("name,smiles,formula,geometry")
    human = CliRunner().invoke(app, ["predict", "CCCCCCCCCCCC"])
    assert human.exit_code == 0 and "outside the training domain" in human.stdout and "± " in human.stdout


def test_readme_python_example_runs(capsys):
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- readme-python-example.*?-->\s*```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) <= 6
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "homo_eV" in out and "CCO" in out


def test_demo_step_reports_named_test_molecules(qm9_table, tmp_path):
    from hohenberg.demo import shipped_model_step

    payload = shipped_model_step(qm9_table, tmp_path, n=3)
    assert len(payload["molecules"]) == 3
    for m in payload["molecules"]:
        assert abs(m["homo_eV"] - m["qm9"]["homo_eV"]) < 1.0  # eV; the model's MAE is ~0.1 eV
    assert json.loads((tmp_path / "shipped_model.json").read_text())["molecules"][0]["qm9_id"]


def test_nan_weights_are_an_error_not_null_predictions(tmp_path):
    import shutil

    import torch

    from hohenberg.errors import InputError
    from hohenberg.graph.predictor import EnsemblePredictor
    from hohenberg.molecules.smiles import molecule_from_smiles
    from hohenberg.pretrained import shipped_dir

    src = shipped_dir("qm9")
    shutil.copytree(src, tmp_path / "m")
    saved = torch.load(tmp_path / "m" / "member_0.pt", weights_only=True)
    key = next(k for k, v in saved["state_dict"].items() if v.dtype == torch.float32 and v.ndim == 2)
    saved["state_dict"][key] = torch.full_like(saved["state_dict"][key], float("nan"))
    torch.save(saved, tmp_path / "m" / "member_0.pt")
    predictor = EnsemblePredictor.load(tmp_path / "m", verify=False)
    with pytest.raises(InputError, match="NaN or infinite values for 1 of 1"):
        predictor.predict([molecule_from_smiles("CCO")])
