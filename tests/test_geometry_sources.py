"""Geometry sources of the shipped QM9 model's input: a molecule without a geometry is a row with its
reason while the batch is answered, GFN2-xTB relaxes below MMFF94, given-only input refuses SMILES,
and each source gets its own sigma calibration and a warning."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import hohenberg
from hohenberg.errors import InputError
from hohenberg.molecules.geometry_source import describe_geometry, geometry_source
from hohenberg.qc.geometry import GEOMETRIES, Failure, prepare_molecules, xtb_geometry
from cli_helpers import cli

torch.set_num_threads(1)
CAGE = "C12C3C4C1C3C24"  # a C6 cage of fused three- and four-membered rings: no 3D embedding exists


@pytest.fixture(scope="module")
def model():
    return hohenberg.load_model("qm9")


def test_prepare_molecules_records_each_source_and_fails_the_cage_alone():
    from ase.build import molecule as ase_molecule

    got = prepare_molecules(["CCO", CAGE, ase_molecule("H2O")], "auto")
    assert [type(g).__name__ for g in got] == ["Molecule", "Failure", "Molecule"]
    ethanol, cage, water = got
    assert ethanol.info["geometry"] == "xtb" and ethanol.info["geometry_start"] == "mmff"
    assert "GFN2-xTB" in describe_geometry(ethanol) and "MMFF94" in describe_geometry(ethanol)
    assert water.info["geometry"] == "given" and geometry_source(water) == "given"
    assert isinstance(cage, Failure) and cage.input == CAGE and "could not embed" in cage.reason
    assert cage.to_record() == {"name": CAGE, "smiles": CAGE, "geometry": "auto", "error": cage.reason}
    assert [m.info["geometry"] for m in prepare_molecules(["CCO"], "mmff")] == ["mmff"]
    assert prepare_molecules([water], "xtb")[0].info["geometry"] == "xtb"  # given geometries relaxed too
    with pytest.raises(InputError, match="geometry must be one of auto, xtb, mmff, given"):
        prepare_molecules(["CCO"], "b3lyp")
    assert GEOMETRIES == ("auto", "xtb", "mmff", "given")


def test_older_provenance_texts_map_to_source_keys():
    from hohenberg.molecules.molecule import Molecule

    def source(text):
        return geometry_source(Molecule([1, 1], [[0, 0, 0], [0, 0, 0.74]], info={"geometry": text} if text else {}))

    assert source("rdkit-etkdg-mmff94") == "mmff" and source("rdkit-etkdg-uff") == "uff"
    assert source("gfn2-xtb-opt") == "xtb" and source("rdkit-etkdg-mmff94 + gfn2-xtb-opt") == "xtb"
    assert source("") == "given" and source("QM9's own (B3LYP/6-31G(2df,p))") == "given"


def test_xtb_geometry_is_lower_in_gfn2_energy_than_the_mmff_one():
    from hohenberg.qc.xtb import run_xtb

    for smiles in ("O", "CCO"):
        mmff = prepare_molecules([smiles], "mmff")[0]
        relaxed = xtb_geometry(mmff)
        assert relaxed.info["geometry"] == "xtb" and mmff.info["geometry"] == "mmff"
        assert float(relaxed.info["geometry_energy_eV"]) == pytest.approx(run_xtb(relaxed).energy_eV, abs=1e-4)
        assert run_xtb(relaxed).energy_eV < run_xtb(mmff).energy_eV - 1e-3  # eV


def test_dataframe_answers_the_batch_with_an_error_row_and_a_geometry_warning(model):
    df = model.predict(["CCO", CAGE, "CC(=O)C"])
    assert list(df["geometry"]) == ["xtb", "auto", "xtb"]
    assert list(df["error"].astype(bool)) == [False, True, False] and "could not embed" in df["error"][1]
    assert df.loc[1, "smiles"] == CAGE and np.isnan(df.loc[1, "homo_eV"]) and np.isnan(df.loc[1, "homo_eV_std"])
    assert np.isfinite(df.loc[[0, 2], "homo_eV"]).all()
    for w in df["warnings"][[0, 2]]:
        assert "geometry xtb" in w and "B3LYP" in w and "sigmas are calibrated for this source" in w
    mmff = model.predict(["CCO"], geometry="mmff")
    assert mmff["geometry"][0] == "mmff" and "geometry mmff" in mmff["warnings"][0]


def test_given_geometries_have_no_geometry_warning(model):
    from ase.build import molecule as ase_molecule

    df = model.predict([ase_molecule("H2O")], geometry="given")
    assert df["geometry"][0] == "given" and df["warnings"][0] == "" and df["error"][0] == ""


def test_sigma_follows_the_calibration_of_each_molecules_source(model):
    from hohenberg.models.calibration import SigmaCalibration

    card = model.card["calibration_by_geometry"]
    assert set(card) == {"mmff", "xtb"} and set(card["xtb"]) == set(model.targets)
    mol = prepare_molecules(["CC(=O)C"], "mmff")[0]
    given = mol.copy()
    given.info["geometry"] = "given"  # the same coordinates, declared to be of the training kind
    pred = model.predictor.predict([mol, given])
    assert pred.geometry == ["mmff", "given"]
    for j, t in enumerate(model.targets):
        mine = SigmaCalibration(**card["mmff"][t])(pred.spread[:1, j])
        base = SigmaCalibration(**model.card["calibration"][t])(pred.spread[1:, j])
        assert pred.sigma[0, j] == pytest.approx(mine[0]) and pred.sigma[1, j] == pytest.approx(base[0])
        assert pred.spread[0, j] == pred.spread[1, j]
    u0 = model.targets.index("U0_eV")
    assert pred.sigma[0, u0] > 2 * pred.sigma[1, u0]  # MMFF94 geometries: U0 errors several times larger


def test_cli_json_has_the_error_row_and_exits_0(tmp_path):
    code, out, err = cli("predict", "CCO", CAGE, "--json", "--out", tmp_path / "p.csv")
    assert code == 0, err
    mols = json.loads(out)["molecules"]
    assert [m["error"] != "" for m in mols] == [False, True] and mols[1]["homo_eV"] is None
    assert mols[0]["geometry"] == "xtb" and any("geometry xtb" in w for w in mols[0]["warnings"])
    header = (tmp_path / "p.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["name", "smiles", "formula", "geometry"] and header[-1] == "error"
    code, out, err = cli("predict", "CCO", CAGE)
    assert code == 0 and f"error: {CAGE} (geometry auto): RDKit could not embed" in " ".join(out.split())
    code, out, err = cli("predict", CAGE, "--json")
    assert code == 2 and "none was predicted" in err


def test_cli_given_refuses_smiles_in_one_line(tmp_path):
    code, out, err = cli("predict", "--geometry", "given", "CCO")
    assert code == 2 and "Traceback" not in err and err.startswith("error: CCO: molecule CCO: a SMILES has no 3D")
    code, _, err = cli("predict", "--geometry", "fast", "CCO")
    assert code == 2 and "--geometry must be one of auto, xtb, mmff, given" in err
