"""The README's "Your own molecules" example on a slice: SMILES -> gfn2-xtb labels -> table -> graph model -> predict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tblite")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nci-small.smi"


def hohenberg(*args) -> dict:
    """The real entry point in a subprocess, as a user runs it; its JSON output."""
    proc = subprocess.run([sys.executable, "-c", "from hohenberg.cli.main import main; main()",
                           *map(str, args), "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_smiles_file_to_labels_to_model_to_predictions(tmp_path):
    from hohenberg.molecules.smiles import molecule_from_smiles
    from hohenberg.molecules.table import MoleculeTable
    from hohenberg.qc.xtb import run_xtb

    smi = tmp_path / "mols.smi"
    smi.write_text("\n".join(EXAMPLE.read_text().splitlines()[:160]) + "\n")
    batch = hohenberg("qc", "batch", smi, "--level", "gfn2-xtb", "--out", tmp_path / "store", "--workers", 2)
    assert batch["done"] == 160 and batch["failed"] == 0
    made = hohenberg("data", "from-store", tmp_path / "store", "--out", tmp_path / "table.npz")
    assert made["molecules"] == 160 and made["level"] == "gfn2-xtb"
    table = MoleculeTable.load(tmp_path / "table.npz")
    assert {15, 16, 17} <= set(np.unique(table.numbers).tolist())  # P, S and Cl: not QM9's elements
    first = table[int(table.index_of(["NCI-1"])[0])]  # rows are in commit order: two workers finish in any order
    assert first.info["smiles"] == EXAMPLE.read_text().split()[0]
    again = run_xtb(molecule_from_smiles(first.info["smiles"]), "gfn2-xtb")
    assert first.properties["homo_eV"] == pytest.approx(again.homo_eV, abs=1e-6)

    model = tmp_path / "gin"
    summary = hohenberg("train", "graph", tmp_path / "table.npz", "--out", model, "--targets", "homo_eV,gap_eV",
                        "--hidden", 64, "--layers", 3, "--epochs", 40, "--patience", 40, "--batch-size", 16,
                        "--lr", "3e-3", "--ensemble", 2)
    test_ids = json.loads((model / "split.json").read_text())["test"]
    train_ids = json.loads((model / "split.json").read_text())["train"]
    homo = dict(zip(map(str, table.ids), table.properties["homo_eV"]))
    mean_predictor = np.mean([abs(homo[i] - np.mean([homo[j] for j in train_ids])) for i in test_ids])
    assert summary["test_errors"]["homo_eV"]["mae_meV"] < 1000 * mean_predictor

    out = hohenberg("predict", model, "CCSCC", "ClC(Cl)Cl", "c1ccsc1")
    assert [m["formula"] for m in out["molecules"]] == ["C4H10S", "CHCl3", "C4H4S"]
    for m in out["molecules"]:
        assert np.isfinite(m["homo_eV"]) and np.isfinite(m["homo_eV_std"]) and m["gap_eV"] > 0


@pytest.mark.slow
def test_extxyz_of_your_own_to_every_trainer_and_predict(tmp_path):
    """An extended XYZ written by ASE (energies in kcal/mol) -> data import -> baseline, graph, subgraph -> predict."""
    import ase
    import ase.io
    from rdkit import Chem
    from rdkit.Chem import Crippen

    from hohenberg.molecules.smiles import molecule_from_smiles
    from hohenberg.units import KCALMOL_EV

    frames = []
    for line in EXAMPLE.read_text().splitlines()[:120]:
        smi, name = line.split()
        mol = molecule_from_smiles(smi, name=name)
        atoms = ase.Atoms(numbers=mol.numbers, positions=mol.positions)
        atoms.info.update({"name": name, "logp_1": Crippen.MolLogP(Chem.MolFromSmiles(smi)),
                           "ea_kcalmol": -10.0 * mol.n_atoms + Crippen.MolMR(Chem.MolFromSmiles(smi))})
        frames.append(atoms)
    path = tmp_path / "mine.extxyz"
    ase.io.write(path, frames, format="extxyz")
    made = hohenberg("data", "import", path, "--out", tmp_path / "mine.npz", "--id-column", "name")
    assert made["molecules"] == 120
    from hohenberg.molecules.table import MoleculeTable

    table = MoleculeTable.load(tmp_path / "mine.npz")
    assert set(table.properties) >= {"logp_1", "ea_eV"}
    assert table.properties["ea_eV"][0] == pytest.approx(frames[0].info["ea_kcalmol"] * KCALMOL_EV, rel=1e-12)
    base = hohenberg("train", "baseline", tmp_path / "mine.npz", "--split", "scaffold", "--out", tmp_path / "base")
    assert set(base["test_errors"]) == {"logp_1", "ea_eV"} and base["split"] == "scaffold"
    graph = hohenberg("train", "graph", tmp_path / "mine.npz", "--out", tmp_path / "gin", "--split", "scaffold",
                      "--hidden", 32, "--layers", 2, "--epochs", 5)
    assert set(graph["model"]["targets"]) == {"logp_1", "ea_eV"}
    sub = hohenberg("train", "subgraph", tmp_path / "mine.npz", "--target", "logp_1", "--model", "sparse",
                    "--split", tmp_path / "gin" / "split.json", "--out", tmp_path / "sparse")
    mae = [v for k, v in sub["test"].items() if k.startswith("mae_")]  # the key carries the target's unit
    assert sub["n_test"] == graph["provenance"]["split_sizes"]["test"] and len(mae) == 1 and np.isfinite(mae[0])
    out = hohenberg("predict", tmp_path / "gin", "CCSC")
    assert np.isfinite(out["molecules"][0]["logp_1"]) and np.isfinite(out["molecules"][0]["ea_eV"])
