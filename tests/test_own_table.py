"""Models on a table that is not QM9: other elements, other targets, random and scaffold splits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from hohenberg.datasets.splits import (murcko_scaffold, random_split, scaffold_split, split_from_file,
                                       split_molecules, split_table)
from hohenberg.datasets.targets import extensive_targets, is_extensive, table_elements, table_targets
from hohenberg.errors import InputError
from hohenberg.molecules.table import MoleculeTable

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "nci-small.smi"
torch.set_num_threads(1)
runner = CliRunner()


def _own_table(n: int = 160) -> MoleculeTable:
    """NCI molecules (with S, Cl, Br, P) and two RDKit targets: Crippen logP and molar refractivity."""
    from rdkit import Chem
    from rdkit.Chem import Crippen

    from hohenberg.molecules.smiles import molecule_from_smiles

    mols = []
    for line in EXAMPLES.read_text().splitlines()[:n]:
        smi, name = line.split()
        mol = molecule_from_smiles(smi, name=name)
        rd = Chem.MolFromSmiles(smi)
        mol.properties["logp_1"] = Crippen.MolLogP(rd)
        mol.properties["mr_cm3mol"] = Crippen.MolMR(rd)
        mols.append(mol)
    return MoleculeTable.from_molecules(mols, {"source": "nci-small", "source_kind": "smi"})


@pytest.fixture(scope="module")
def own_table() -> MoleculeTable:
    return _own_table()


def test_random_split_is_a_seeded_partition():
    a, b = random_split(1000, seed=3), random_split(1000, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert [len(a[k]) for k in ("train", "val", "test")] == [800, 100, 100]
    assert len(np.unique(np.concatenate(list(a.values())))) == 1000
    assert not np.array_equal(a["test"], random_split(1000, seed=4)["test"])


def test_scaffold_split_shares_no_scaffold_between_parts(own_table):
    smiles = list(own_table.text["smiles"])
    parts = scaffold_split(smiles, seed=0)
    assert sum(len(v) for v in parts.values()) == len(smiles)
    scaf = {k: {murcko_scaffold(smiles[i]) for i in v} for k, v in parts.items()}
    assert not scaf["train"] & scaf["test"] and not scaf["train"] & scaf["val"] and not scaf["val"] & scaf["test"]
    assert abs(len(parts["train"]) - 0.8 * len(smiles)) <= 0.1 * len(smiles)
    # chemprop's rule: the largest scaffold set (benzene derivatives or acyclics) is in training
    groups = {}
    for i, s in enumerate(smiles):
        groups.setdefault(murcko_scaffold(s), []).append(i)
    biggest = max(groups.values(), key=len)
    assert set(biggest) <= set(parts["train"].tolist())


def test_split_file_and_its_errors(own_table, tmp_path):
    ids = [str(i) for i in own_table.ids]
    path = tmp_path / "split.json"
    path.write_text(json.dumps({"train": ids[:100], "val": ids[100:120], "test": ids[120:]}))
    rows = split_from_file(path, own_table)
    assert rows["train"].tolist() == list(range(100)) and rows["test"].tolist() == list(range(120, len(ids)))
    assert split_table(own_table, str(path))["val"].tolist() == list(range(100, 120))
    path.write_text(json.dumps({"train": ids[:10] + ["nope"], "test": ids[10:]}))
    with pytest.raises(InputError, match="'nope' is not in the table"):
        split_from_file(path, own_table)
    path.write_text(json.dumps({"train": ids[:10], "test": ids[5:]}))
    with pytest.raises(InputError, match="in both train and test"):
        split_from_file(path, own_table)
    with pytest.raises(InputError, match="needs a QM9 table"):
        split_table(own_table, "standard")
    # the same split for molecules given as ids + SMILES (a CSV): positions into the ids
    path.write_text(json.dumps({"train": ids[:100], "val": [], "test": ids[100:]}))
    by_ids = split_molecules(ids[::-1], [""] * len(ids), str(path))
    assert sorted(ids[::-1][i] for i in by_ids["test"]) == sorted(ids[100:])


def test_targets_elements_and_extensive_names(own_table, qm9_table):
    assert table_targets(own_table) == ("logp_1", "mr_cm3mol")
    assert len(table_targets(qm9_table)) == 13
    assert {16, 17} <= set(table_elements(own_table))
    assert is_extensive("U0_eV") and is_extensive("energy_eV") and is_extensive("G_eV")
    assert not is_extensive("homo_eV") and not is_extensive("gap_eV") and not is_extensive("energy_D")
    assert extensive_targets(("homo_eV", "logp_1"), ["logp_1"]) == ("logp_1",)
    with pytest.raises(ValueError, match="not among the targets"):
        extensive_targets(("homo_eV",), ["U0_eV"])


def test_graph_model_on_an_own_table_beats_the_element_baseline(own_table, tmp_path):
    from hohenberg.cli.graph import evaluate, predict, train_graph
    from hohenberg.training.baseline import run_baseline

    app = typer.Typer()
    app.command("train-graph")(train_graph)
    app.command("evaluate")(evaluate)
    app.command("predict")(predict)
    table = tmp_path / "own.npz"
    own_table.save(table)
    model = tmp_path / "model"
    res = runner.invoke(app, ["train-graph", str(table), "--out", str(model), "--hidden", "64", "--layers", "3",
                              "--epochs", "40", "--patience", "40", "--batch-size", "16", "--lr", "3e-3",
                              "--split", "scaffold", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["model"]["targets"] == ["logp_1", "mr_cm3mol"]
    assert {16, 17} <= set(summary["model"]["elements"])  # S and Cl have their own slots
    assert summary["provenance"]["split"] == "scaffold"
    split = json.loads((model / "split.json").read_text())
    assert split["kind"] == "scaffold" and len(split["test"]) == summary["provenance"]["split_sizes"]["test"]
    base = run_baseline(own_table, ("logp_1",), split="scaffold")
    ours = summary["test_errors"]["logp_1"]["mae_1"]
    assert ours < 0.8 * base.errors["logp_1"]["mae_1"], (ours, base.errors["logp_1"])
    # evaluate finds the same test molecules through split.json, in a reordered table
    reordered = tmp_path / "reordered.npz"
    own_table.take(np.arange(len(own_table))[::-1]).save(reordered)
    res = runner.invoke(app, ["evaluate", str(model), str(reordered), "--json"])
    assert res.exit_code == 0, res.output
    ev = json.loads(res.stdout)
    assert ev["n_molecules"] == len(split["test"])
    assert ev["errors"]["logp_1"]["mae_1"] == pytest.approx(ours, rel=1e-5)
    # predict: a larger molecule is answered with a warning; an unseen element is refused, named
    res = runner.invoke(app, ["predict", str(model), "CCCCCCCCCCCCCCCCSCl", "--json"])
    assert res.exit_code == 0, res.output
    warned = json.loads(res.stdout)["molecules"][0]["warnings"]
    assert any("heavy atoms" in w for w in warned)
    res = runner.invoke(app, ["predict", str(model), "C[Si](C)(C)C", "--json"])
    assert isinstance(res.exception, InputError) and "element(s) Si never seen in training" in str(res.exception)
