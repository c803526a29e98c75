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


def test_runner_split_helpers_restrict_cut_and_read_back(tmp_path):
    """What the graph, volumetric and HK-map runners share: a split restricted to what a store
    holds and cut to sizes (errors naming the part), the ids of a stored part read back."""
    from hohenberg.datasets.splits import check_part, evaluation_ids, read_id_lists, sized_parts, write_split_ids
    from hohenberg.errors import HohenbergError

    parts = {"train": list("abcdef"), "val": ["g", "h"], "test": ["i", "j"]}
    cut = sized_parts(parts, {"train": 3, "val": None, "test": 1}, lambda ids, n: ids[:n])
    assert cut == {"train": ["a", "b", "c"], "val": ["g", "h"], "test": ["i"]}
    with pytest.raises(HohenbergError, match="asked for 7 train molecules; the store holds 6"):
        sized_parts(parts, {"train": 7}, lambda ids, n: ids[:n])
    with pytest.raises(HohenbergError, match="no molecule of the val split"):
        sized_parts({**parts, "val": []}, {}, lambda ids, n: ids[:n])
    with pytest.raises(InputError, match="split must be test, val, train or all, not 'dev'"):
        check_part("dev")
    write_split_ids(tmp_path, parts, "random", 0)
    assert evaluation_ids(tmp_path, "test", ["j", "x", "i"]) == ["i", "j"]  # the file's order, held ids only
    assert evaluation_ids(tmp_path, "all", ["x"]) == ["x"]
    with pytest.raises(InputError, match="store.*holds none of the model's val molecules"):
        evaluation_ids(tmp_path, "val", ["a"], where="store")
    with pytest.raises(InputError, match="no split.json"):
        evaluation_ids(tmp_path / "old", "test", ["a"])
    assert evaluation_ids(tmp_path / "old", "test", ["a"], rebuild=lambda: {"test": ["a"]}) == ["a"]
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({"train100": list("ab"), "train": list("abc"), "val": ["g"], "test": ["i"]}))
    assert read_id_lists(nested)["train"] == list("abc")


def test_saved_models_with_unreadable_configuration_or_weights_are_errors(tmp_path):
    """The one loader of the runners' model directories: a configuration this version cannot
    read, weights that do not fit it and another kind of model are errors naming the file."""
    from hohenberg.training.checkpoint import load_built_model, save_model_file

    def read(config: dict) -> int:
        return int(config["width"])

    def load():
        return load_built_model(tmp_path, "linear", "a test", read, lambda width: torch.nn.Linear(width, 1))

    save_model_file(tmp_path / "model.pt", "linear", {"width": 3}, torch.nn.Linear(3, 1).state_dict(), {"seed": 1})
    model, provenance = load()
    assert model.in_features == 3 and not model.training and provenance == {"seed": 1}
    save_model_file(tmp_path / "model.pt", "linear", {"wide": 3}, torch.nn.Linear(3, 1).state_dict(), {})
    with pytest.raises(InputError, match="model.pt: not a linear model this version reads"):
        load()
    save_model_file(tmp_path / "model.pt", "linear", {"width": 4}, torch.nn.Linear(3, 1).state_dict(), {})
    with pytest.raises(InputError, match="weights do not fit"):
        load()
    save_model_file(tmp_path / "model.pt", "hkmap", {"width": 3}, torch.nn.Linear(3, 1).state_dict(), {})
    with pytest.raises(InputError, match="a 'hkmap' model, not a 'linear' one"):
        load()


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
    from hohenberg.cli.graph import train_graph
    from hohenberg.cli.models import evaluate, predict
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


@pytest.fixture(scope="module")
def own_store(own_table, tmp_path_factory):
    """hf/sto-3g densities of 12 of the table's molecules with S, Cl or Br, through the batch runner."""
    from hohenberg.qc.batch import BatchConfig, run_batch

    has = [i for i in range(len(own_table)) if set(own_table[i].numbers.tolist()) & {16, 17, 35}]
    rows = sorted(has, key=lambda i: own_table.n_atoms[i])[:12]
    root = tmp_path_factory.mktemp("own") / "store"
    summary = run_batch(iter(own_table.take(rows)), root, BatchConfig(level="hf/sto-3g", spacing=0.7, size=20))
    assert summary.done == 12 and summary.failed == 0
    return root, [str(own_table.ids[i]) for i in rows]


def test_promolecule_tables_cover_every_element_up_to_krypton():
    from hohenberg.qc.promolecule import radial_table

    for level, extra in (("hf/sto-3g", (53,)), ("pbe/def2-svp", ()), ("b3lyp/6-31g*", ())):
        table = radial_table(level)
        assert set(range(1, 37)) | set(extra) <= set(table.numbers), level
        for z in (16, 17, 26, 35, *extra):
            assert table.electrons(z) == pytest.approx(z, rel=1e-6)


def test_hkmap_and_volumetric_models_train_on_an_own_store(own_table, own_store, tmp_path):
    from hohenberg.hkmap.model import HKConfig
    from hohenberg.hkmap.run import HKRunConfig, evaluate_hkmap, load_hkmap, make_dataset, train_hkmap
    from hohenberg.training.trainer import TrainConfig
    from hohenberg.volumetric.data import ViewConfig
    from hohenberg.volumetric.models import VolumetricModelConfig
    from hohenberg.volumetric.networks import EncoderConfig
    from hohenberg.volumetric.run import VolumetricRunConfig, train_volumetric

    store, ids = own_store
    view = ViewConfig(channels=("promolecule",), size=20, spacing=0.7, max_shift=0.2)
    encoder = EncoderConfig(arch="residual", widths=(8, 16), stem_width=4)
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ids[:8], "val": ids[:8], "test": ids[8:]}))
    train = TrainConfig(max_epochs=60, batch_size=4, lr=1e-2, patience=80, accelerator="cpu", devices=1)
    cfg = HKRunConfig(model=HKConfig(encoder=encoder, view=view, target="ratio"), split_file=str(split), n_val=4,
                      epoch_size=None, augment=False, cache_dir=str(tmp_path / "cache"), train=train)
    train_hkmap(store, cfg, tmp_path / "hk", resume=False)
    model, _ = load_hkmap(tmp_path / "hk")
    on_train = evaluate_hkmap(model, make_dataset(store, ids[:8], model.cfg, tmp_path / "cache"))
    # the map learns the SCF density of sulfur, chlorine and bromine compounds from their promolecule
    assert on_train["test_nmae_percent"]["mean"] < 0.9 * on_train["promolecule_nmae_percent"]["mean"]

    split.write_text(json.dumps({"train": ids[:6], "val": ids[6:8], "test": ids[8:]}))
    vcfg = VolumetricRunConfig(
        model=VolumetricModelConfig(encoder=EncoderConfig(arch="resse", widths=(8, 16)),
                                    view=ViewConfig(channels=("density", "promolecule"), size=16, spacing=0.8, max_shift=0.3),
                                    targets=("logp_1", "mr_cm3mol")),
        train=TrainConfig(max_epochs=2, batch_size=4, accelerator="cpu", devices=1), split=str(split))
    summary = train_volumetric(store, own_table, vcfg, tmp_path / "vol", resume=False)
    assert set(summary["test_errors"]) == {"logp_1", "mr_cm3mol"} and summary["n_test"] == 4
    assert summary["baseline_test_errors"]["logp_1"]["n"] == 4
    stored = json.loads((tmp_path / "vol" / "split.json").read_text())
    assert sorted(stored["test"]) == sorted(ids[8:]) and stored["kind"].endswith("split.json")

    # new molecules: the density is computed (SCF at the store's level) or predicted by the HK map
    from hohenberg.families.volumetric import predict as predict_volumetric
    from hohenberg.volumetric.run import load_volumetric, predict_views
    from hohenberg.volumetric.data import StoreVolumes

    in_store = [own_table[int(own_table.index_of([i])[0])] for i in ids[8:10]]
    by_scf = predict_volumetric(tmp_path / "vol", in_store, "scf")
    assert by_scf["density_source"].startswith("SCF density at hf/sto-3g")
    model, _ = load_volumetric(tmp_path / "vol")
    stored_pred = predict_views(model, StoreVolumes(store, ids[8:10], own_table, (), promolecule_level="hf/sto-3g",
                                                    cache_dir=tmp_path / "pc"))["mean"]
    # the same molecule through the store (compressed grid) and computed on the spot agree
    np.testing.assert_allclose(by_scf["mean"], stored_pred, rtol=2e-2, atol=2e-2)
    by_hk = predict_volumetric(tmp_path / "vol", in_store, f"hkmap:{tmp_path / 'hk'}")
    assert "Hohenberg-Kohn map" in by_hk["density_source"] and np.all(np.isfinite(by_hk["mean"]))
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", "from hohenberg.cli.main import main; main()", "predict",
                          str(tmp_path / "vol"), "CCSC", "--density", f"hkmap:{tmp_path / 'hk'}", "--json"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    answer = json.loads(res.stdout)
    assert answer["model_type"] == "volumetric" and "no SCF" in answer["density_source"]
    assert np.isfinite(answer["molecules"][0]["logp_1"]) and answer["molecules"][0]["formula"] == "C3H8S"


def test_graph_training_refuses_an_element_beyond_the_offsets_naming_the_molecule(tmp_path):
    from hohenberg.graph.run import GraphRunConfig, train_graph_model
    from hohenberg.molecules.molecule import Molecule

    mols = [Molecule([1, 1], [[0, 0, 0], [0, 0, 0.74]], name=f"h2-{i}", properties={"x_eV": 1.0}) for i in range(9)]
    mols.append(Molecule([92, 9, 9, 9, 9, 9, 9], np.eye(7, 3) * 2.0, name="UF6", properties={"x_eV": 1.0}))
    with pytest.raises(InputError, match=r"molecule UF6 \(row 10\): element U \(Z = 92\)"):
        train_graph_model(MoleculeTable.from_molecules(mols), GraphRunConfig(), tmp_path)
    assert not list(tmp_path.glob("member_*"))
