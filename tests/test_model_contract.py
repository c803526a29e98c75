"""One contract for every model family: a directory any ``train`` command writes has a manifest
(kind, targets with units, split, checksums), loads through ``hohenberg.load_model``, predicts and
evaluates with the same numbers in Python and on the command line, and is refused (naming the
file) once a file it lists is changed."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

import hohenberg
from hohenberg.cli.main import app
from hohenberg.errors import InputError
from hohenberg.manifest import MANIFEST, read_manifest
from volumetric_helpers import STORE_SIZE, STORE_SPACING, build_store

FAST = ("--accelerator", "cpu")


def _run(*args) -> dict:
    res = CliRunner().invoke(app, [str(a) for a in args])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def data(qm9_table, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("contract")
    table = tmp / "t.npz"
    qm9_table.save(table)
    store = build_store(qm9_table, tmp / "store", n=40)
    net = tmp / "mmp.npz"
    _run("data", "network", table, "--kind", "mmp", "--out", net, "--json")
    return tmp, table, store, net


def _train(kind, data):
    """Train a tiny model of ``kind`` with its `train` command; (directory, inputs to predict,
    evaluate arguments, evaluate options)."""
    tmp, table, store, net = data
    out = tmp / kind
    if kind == "graph":
        _run("train", "graph", table, "--out", out, "--targets", "homo_eV,U0_eV", "--hidden", 16, "--layers", 1,
             "--epochs", 2, "--n-train", 80, "--n-val", 20, "--n-test", 20, "--ensemble", 2, *FAST, "--json")
        return out, ["CCO", "c1ccccc1"], table, {}
    if kind == "volumetric":  # channels rendered from the atoms: no store
        _run("train", "volumetric", table, "--out", out, "--inputs", "promolecule", "--targets", "gap_eV",
             "--widths", "4,8", "--size", 12, "--spacing", 0.9, "--epochs", 1, "--n-train", 40, "--n-val", 10,
             "--n-test", 10, *FAST, "--json")
        return out, ["CCO"], table, {}
    if kind == "hkmap":
        _run("train", "hkmap", store, "--out", out, "--n-val", 2, "--size", STORE_SIZE, "--spacing", STORE_SPACING,
             "--widths", "4,8", "--stem-width", 4, "--max-epochs", 1, *FAST, "--json")
        return out, ["CCO"], store, {}
    if kind in ("pairs", "network"):
        _run("train", kind, net, "--table", table, "--target", "U0_eV,gap_eV", "--hidden", 16, "--layers", 1,
             "--epochs", 2, "--ensemble", 2, "--out", out, "--json")
        inputs = (["CCO>>CCN"] if kind == "pairs" else [json.loads((out / "split.json").read_text())["test"][0]])
        return out, inputs, net, {"table": table}
    _run("train", "subgraph", table, "--target", "gap_eV", "--out", out, "--model", "sparse", "--limit", 150,
         "--max-size", 3, "--json")
    return out, ["CCO", "CC(=O)O"], table, {}


KINDS = ("graph", "volumetric", "hkmap", "pairs", "network", "subgraph")


@pytest.mark.parametrize("kind", KINDS)
def test_every_family_saves_loads_predicts_and_evaluates_through_one_contract(kind, data, tmp_path):
    out, inputs, eval_data, eval_opts = _train(kind, data)
    manifest = read_manifest(out)
    assert manifest is not None and manifest.kind == kind
    assert all(t["unit"] for t in manifest.targets), manifest.targets  # every target names its unit
    assert set(manifest.sha256) >= {p.name for p in out.iterdir() if p.suffix == ".pt"}
    assert manifest.split is not None and manifest.split["sizes"]["test"] > 0

    model = hohenberg.load_model(out)
    assert model.kind == kind and model.targets == manifest.target_names
    df = model.predict(inputs)
    assert len(df) == len(inputs) and "warnings" in df.columns
    result = model.predict_result(inputs)
    for c in result.columns:  # every value column has its sigma column (NaN where the family gives none)
        assert c in df.columns and f"{c}_std" in df.columns and np.isfinite(df[c]).all()
    cli = _run("predict", out, *inputs, "--json")
    key = "pairs" if kind == "pairs" else "molecules"
    for c in result.columns:  # the command line prints the library's numbers
        assert [r[c] for r in cli[key]] == pytest.approx(list(df[c]), rel=1e-9)

    flags = [a for k, v in eval_opts.items() for a in (f"--{k}", v)]
    ev = model.evaluate(eval_data, **eval_opts)
    ev_cli = _run("evaluate", out, eval_data, *flags, "--json")
    if kind == "hkmap":
        assert ev_cli["test_nmae_percent"]["mean"] == pytest.approx(ev["test_nmae_percent"]["mean"], rel=1e-6)
    else:
        assert set(ev["errors"])
        for t, e in ev["errors"].items():
            assert ev_cli["errors"][t] == pytest.approx(e, rel=1e-9), t
        trained = manifest.card["metrics"].get("test_errors")
        for t, e in (trained or {}).items():  # evaluating the test part repeats training's own figures
            assert ev["errors"][t] == pytest.approx(e, rel=1e-6), t

    # the same directory as an older version wrote it (no manifest) loads and answers the same
    older = tmp_path / "older"
    shutil.copytree(out, older)
    (older / MANIFEST).unlink()
    again = hohenberg.load_model(older)
    assert again.kind == kind and again.targets == manifest.target_names
    for c in result.columns:
        assert list(again.predict(inputs)[c]) == pytest.approx(list(df[c]), rel=1e-9)

    # a changed weight or model file is refused, naming it
    damaged = tmp_path / "damaged"
    shutil.copytree(out, damaged)
    victim = sorted(n for n in manifest.sha256 if n.endswith((".pt", "model.json")))[0]
    with open(damaged / victim, "r+b") as fh:
        fh.seek(-3, 2)
        byte = fh.read(1)
        fh.seek(-3, 2)
        fh.write(bytes([byte[0] ^ 1]))
    with pytest.raises(InputError, match=f"{victim}: checksum differs"):
        hohenberg.load_model(damaged)


@pytest.mark.parametrize("name,kind", [("qm9", "graph"), ("qm9-promolecule-cnn", "volumetric"), ("hkmap", "hkmap")])
def test_every_shipped_model_loads_by_name_with_its_manifest(name, kind):
    model = hohenberg.load_model(name)
    assert model.kind == kind and model.name == name and model.manifest.sha256
    assert model.card.get("name") == name


def test_a_directory_without_manifest_loads_and_upgrade_writes_the_same_manifest(data, tmp_path):
    """Directories written before manifests existed still load (their kind told from their files);
    `hohenberg model upgrade` writes the manifest once and refuses to overwrite one."""
    out, inputs, _, _ = _train("subgraph", data)
    old = tmp_path / "old"
    shutil.copytree(out, old)
    (old / MANIFEST).unlink()
    before = hohenberg.load_model(out).predict(inputs)
    assert hohenberg.load_model(old).predict(inputs)["gap_eV"].tolist() == pytest.approx(before["gap_eV"].tolist())
    up = _run("model", "upgrade", old, "--json")
    assert up["kind"] == "subgraph" and set(up["sha256"]) >= {"model.json", "split.json"}
    res = CliRunner().invoke(app, ["model", "upgrade", str(old)])
    assert isinstance(res.exception, InputError) and "exists already" in str(res.exception)
    info = _run("model", "info", old, "--json")
    assert info["targets"] == [{"name": "gap_eV", "unit": "eV"}]


def test_options_a_family_does_not_take_are_refused_by_name(data):
    out, inputs, _, _ = _train("subgraph", data)
    with pytest.raises(InputError, match="takes no option tta"):
        hohenberg.load_model(out).predict(inputs, tta=4)
    res = CliRunner().invoke(app, ["predict", str(out), "CCO", "--tta", "4"])
    assert isinstance(res.exception, InputError) and "--tta" in str(res.exception)
    from hohenberg.molecules.smiles import molecule_from_smiles

    with pytest.raises(InputError, match="reads SMILES strings, not a Molecule"):
        hohenberg.load_model(out).predict([molecule_from_smiles("CCO")])


def test_one_molecule_given_alone_is_one_row():
    """A single SMILES, Molecule or ase.Atoms (which iterates over its atoms) is one input."""
    from ase.build import molecule

    from hohenberg.molecules.smiles import molecule_from_smiles

    model = hohenberg.load_model("qm9")
    for one in ("CCO", molecule_from_smiles("CCO"), molecule("H2O")):
        assert len(model.predict(one, geometry="mmff" if isinstance(one, str) else None)) == 1
