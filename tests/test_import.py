"""``hohenberg data import``: every format round-trips real numbers; every bad input is exit 2 naming
the file, the line / frame / record and the column; ``--on-error skip`` lists what it left out."""

from __future__ import annotations

import csv
import json

import ase.db
import ase.io
import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator

from hohenberg.datasets.importing import import_molecules, parse_units_option, scan_xyz
from hohenberg.errors import InputError
from hohenberg.molecules.table import MoleculeTable
from hohenberg.units import HARTREE_EV, KCALMOL_EV, KJMOL_EV, split_unit
from cli_helpers import cli



def fails(tmp_path, *args):
    """The stderr of an import that must fail with status 2 and write no table."""
    out = tmp_path / "t.npz"
    code, _, err = cli("data", "import", *args, "--out", out)
    assert code == 2, err
    assert not out.exists() and not list(tmp_path.glob(".t.npz*"))
    return err


def water(**info):
    atoms = molecule("H2O")
    atoms.info.update(info)
    return atoms


# -- units ------------------------------------------------------------------------------------
def test_unit_suffixes_and_option():
    assert split_unit("gap_Ha") == ("gap", "Ha") and split_unit("dH_kJ/mol") == ("dH", "kJ/mol")
    assert split_unit("energy_kcalmol") == ("energy", "kcal/mol") and split_unit("Cv_cal/molK") == ("Cv", "calmolK")
    assert split_unit("bond_d") == ("bond_d", None) and split_unit("logS_1") == ("logS", "1")
    assert parse_units_option("gap=Ha, e=kcal/mol") == {"gap": "Ha", "e": "kcal/mol"}
    for bad in ("gap", "gap=furlong", ","):
        with pytest.raises(ValueError):
            parse_units_option(bad)


# -- every format round-trips ------------------------------------------------------------------
def test_extxyz_round_trip(tmp_path):
    frames = [water(homo_Ha=-0.25, mu_D=1.85, name="w1"), water(homo_Ha=-0.5, mu_D=2.0, name="w2", charge=0)]
    for k, atoms in enumerate(frames):
        atoms.set_array("q_e", np.arange(3.0) + k)
    radical = molecule("CH3")
    radical.info.update(homo_Ha=-0.3, mu_D=0.0, name="me", multiplicity=2)
    radical.set_array("q_e", np.zeros(4))
    frames.append(radical)
    path = tmp_path / "w.extxyz"
    ase.io.write(path, frames, format="extxyz")
    table = import_molecules([path], level="wb97x/def2-svp").table
    assert list(table.ids) == ["w1", "w2", "me"]
    assert abs(table.properties["homo_eV"][0] - (-0.25 * HARTREE_EV)) < 1e-9
    assert np.allclose(table.properties["mu_D"], [1.85, 2.0, 0.0])
    assert np.allclose(table.positions[:3], frames[0].positions)
    assert np.allclose(table.atom_properties["q_e"][3:6], [1, 2, 3])
    assert list(table.spin) == [0, 0, 1]
    prov = json.loads(table.meta["target_provenance"])
    assert prov["homo_eV"] == {"source": "w.extxyz", "unit_in_file": "Ha", "level": "wb97x/def2-svp"}
    assert table.meta["source_kind"] == "extxyz" and json.loads(table.meta["sources"]) == ["w.extxyz"]


def test_sdf_tags_and_implicit_hydrogens(tmp_path):
    from rdkit import Chem
    from rdkit.Chem import AllChem

    path = tmp_path / "m.sdf"
    writer = Chem.SDWriter(str(path))
    for smiles, gap in [("CCO", 7.5), ("C[NH3+]", 8.25)]:
        mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
        AllChem.EmbedMolecule(mol, randomSeed=7)
        mol.SetProp("_Name", smiles)
        mol.SetProp("gap_eV", str(gap))
        mol.SetProp("dH_kJ/mol", "-100")
        writer.write(mol)
    heavy = Chem.RemoveHs(_embedded("CO"))  # hydrogens left implicit in the file
    heavy.SetProp("_Name", "methanol")
    heavy.SetProp("gap_eV", "9")
    heavy.SetProp("dH_kJ/mol", "1")
    writer.write(heavy)
    writer.close()
    table = import_molecules([path], id_column="title").table
    assert list(table.ids) == ["CCO", "C[NH3+]", "methanol"]
    assert np.allclose(table.properties["gap_eV"], [7.5, 8.25, 9.0])
    assert abs(table.properties["dH_eV"][0] - (-100 * KJMOL_EV)) < 1e-12
    assert list(table.charge) == [0, 1, 0] and list(table.spin) == [0, 0, 0]
    assert list(table.n_atoms) == [9, 8, 6]  # methanol's four hydrogens placed, not a radical
    assert table.meta["hydrogens_added"] == "1" and table.text["geometry"][2] == "file, hydrogens added by RDKit"


def _embedded(smiles):
    from rdkit import Chem
    from rdkit.Chem import AllChem

    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    AllChem.EmbedMolecule(mol, randomSeed=7)
    return mol


def test_csv_smiles_kcalmol_units_and_charge(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("name,SMILES,E_kcal/mol,logS,charge\nethanol,CCO,-10.5,0.5,0\n"
                    "ammonium,[NH4+],3,-1,1\noxygen,O=O,2,1.5,\n")
    table = import_molecules([path], units={"logS": "1"}).table
    assert list(table.ids) == ["ethanol", "ammonium", "oxygen"]
    assert abs(table.properties["E_eV"][0] - (-10.5 * KCALMOL_EV)) < 1e-12
    assert np.allclose(table.properties["logS_1"], [0.5, -1, 1.5])
    assert list(table.charge) == [0, 1, 0] and list(table.n_atoms) == [9, 5, 2]
    assert list(table.text["smiles"]) == ["CCO", "[NH4+]", "O=O"]
    again = import_molecules([path], units={"logS": "1"}).table  # fixed seed: same geometry
    assert np.array_equal(again.positions, table.positions)
    tsv = tmp_path / "m.tsv"
    tsv.write_text("smiles\tgap_meV\nC\t8500\n")
    assert import_molecules([tsv]).table.properties["gap_eV"][0] == pytest.approx(8.5)


def test_csv_optimize_relaxes_embedded_geometry_with_xtb(tmp_path):
    from hohenberg.qc.xtb import run_xtb

    path = tmp_path / "m.csv"
    path.write_text("name,smiles,gap_eV\nethanol,CCO,7.5\nacetone,CC(C)=O,6.0\nammonium,[NH4+],9.0\n")
    plain = import_molecules([path]).table
    out = tmp_path / "relaxed.npz"
    code, _, err = cli("data", "import", path, "--optimize", "gfn2-xtb", "--out", out, "--json")
    assert code == 0, err
    relaxed = MoleculeTable.load(out)
    assert list(relaxed.ids) == list(plain.ids) and np.array_equal(relaxed.numbers, plain.numbers)
    assert not np.allclose(relaxed.positions, plain.positions, atol=1e-3)
    assert set(relaxed.text["geometry"]) == {"rdkit-etkdg-mmff94 + gfn2-xtb-opt"}
    assert relaxed.meta["smiles_geometry_steps"] == "rdkit-etkdg-mmff94 + gfn2-xtb-opt"
    for before, after in zip(plain, relaxed):
        assert run_xtb(after).energy_eV < run_xtb(before).energy_eV
    assert "optimize must be one of gfn2-xtb, gfn1-xtb" in fails(tmp_path, path, "--optimize", "b3lyp")


def test_ase_db_round_trip(tmp_path):
    path = tmp_path / "m.db"
    with ase.db.connect(path) as db:
        for k, name in enumerate(["H2O", "NH3"]):
            atoms = molecule(name)
            atoms.calc = SinglePointCalculator(atoms, energy=-10.0 - k)
            db.write(atoms, gap_Ha=0.3 + k, mol_id=name, note="text is not a target")
        cation = molecule("NH3")
        cation.set_initial_charges([1, 0, 0, 0])
        cation.calc = SinglePointCalculator(cation, energy=-5.0, magmom=1.0)
        db.write(cation, gap_Ha=0.1, mol_id="NH3+")
    table = import_molecules([path]).table
    assert list(table.ids) == ["H2O", "NH3", "NH3+"]
    assert np.allclose(table.properties["gap_eV"], np.array([0.3, 1.3, 0.1]) * HARTREE_EV, atol=1e-9)
    assert np.allclose(table.properties["energy_eV"], [-10, -11, -5])
    assert list(table.charge) == [0, 0, 1] and list(table.spin) == [0, 0, 1]
    assert table.meta["source_kind"] == "ase-db"


def test_qm9_source_and_info_on_any_table(tmp_path, qm9_xyz_dir):
    out = tmp_path / "q.npz"
    code, text, err = cli("data", "import", qm9_xyz_dir, "--targets", "homo_eV,gap_eV", "--out", out, "--json")
    assert code == 0, err
    report = json.loads(text)
    assert report["molecules"] == 300 and report["source_kind"] == "qm9"
    assert report["targets"] == {"gap_eV": "eV", "homo_eV": "eV"}
    code, text, err = cli("data", "info", out, "--json")
    info = json.loads(text)
    assert info["split_sizes"] == {"train": 251, "val": 23, "test": 25} and set(info["targets"]) == {"homo_eV", "gap_eV"}
    assert info["target_provenance"]["gap_eV"]["level"] == "b3lyp/6-31g(2df,p)"


def test_several_files_concatenate_and_info(tmp_path):
    xyz = tmp_path / "a.extxyz"
    ase.io.write(xyz, [water(homo_eV=-7.0, name="w")], format="extxyz")
    sheet = tmp_path / "b.csv"
    sheet.write_text("smiles,homo_Ha\nC,-0.4\n")
    out = tmp_path / "t.npz"
    code, _, err = cli("data", "import", xyz, sheet, "--out", out, "--level", "pbe0")
    assert code == 0, err
    table = MoleculeTable.load(out)
    assert list(table.ids) == ["w", "b:2"] and np.allclose(table.properties["homo_eV"], [-7.0, -0.4 * HARTREE_EV])
    code, text, _ = cli("data", "info", out, "--json")
    info = json.loads(text)
    assert info["elements"] == {"H": 6, "C": 1, "O": 1} and info["charge"] == {"0": 2} and info["split_sizes"] == {}
    assert info["targets"]["homo_eV"]["count"] == 2
    assert info["target_provenance"]["homo_eV"]["unit_in_file"] == "eV, Ha"


# -- bad input: status 2, file and place named, nothing written ---------------------------------
def test_csv_bad_smiles_text_and_empty_targets(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("smiles,gap_eV\nCCO,7\nC1CC,8\n")
    err = fails(tmp_path, path)
    assert f"{path}:3" in err and "'smiles'" in err and "C1CC" in err
    path.write_text("smiles,gap_eV\nCCO,7\nCC,high\n")
    err = fails(tmp_path, path)
    assert f"{path}:3" in err and "'gap_eV'" in err and "'high' is not a number" in err
    for empty in ("", "nan"):
        path.write_text(f"smiles,gap_eV\nCCO,7\nCC,{empty}\n")
        err = fails(tmp_path, path)
        assert f"{path}:3" in err and "'gap_eV'" in err


def test_missing_unit_is_an_error_naming_the_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("smiles,gap\nC,7\n")
    err = fails(tmp_path, path)
    assert str(path) in err and "'gap'" in err and "carry no unit" in err
    code, _, err = cli("data", "import", path, "--units", "gap=Ha", "--out", tmp_path / "ok.npz")
    assert code == 0, err
    assert MoleculeTable.load(tmp_path / "ok.npz").properties["gap_eV"][0] == pytest.approx(7 * HARTREE_EV)


def _xyz(frames):
    return "".join(f"{n}\nProperties=species:S:1:pos:R:3 homo_eV={h}\n" + "".join(atoms) for n, h, atoms in frames)


WATER = ["O 0 0 0.119\n", "H 0 0.763 -0.477\n", "H 0 -0.763 -0.477\n"]


def test_extxyz_wrong_atom_counts(tmp_path):
    path = tmp_path / "w.extxyz"
    path.write_text(_xyz([(3, -7, WATER), (2, -8, WATER), (3, -9, WATER)]))  # frame 2 holds 3 atoms
    err = fails(tmp_path, path)
    assert str(path) in err and "frame 2" in err and "more atoms than its count" in err
    path.write_text(_xyz([(3, -7, WATER), (4, -8, WATER), (3, -9, WATER)]))  # frame 2 holds 3 atoms
    err = fails(tmp_path, path)
    assert str(path) in err and "frame 2" in err and "atom count 4 is wrong" in err
    path.write_text(_xyz([(3, -7, WATER), (4, -8, WATER)]))  # the last frame runs out of lines
    err = fails(tmp_path, path)
    assert "frame 2" in err and "file ends" in err
    frames, problems = scan_xyz(_xyz([(3, -7, WATER), (2, -8, WATER), (3, -9, WATER)]).splitlines())
    assert [f[0] for f in frames] == [1, 3] and [p[0] for p in problems] == [2]


def test_extxyz_unknown_element_empty_molecule_and_odd_electrons(tmp_path):
    path = tmp_path / "w.extxyz"
    path.write_text(_xyz([(3, -7, WATER), (3, -8, ["Xx 0 0 0\n"] + WATER[1:])]))
    err = fails(tmp_path, path)
    assert "frame 2" in err and "'species'" in err and "unknown element 'Xx'" in err
    path.write_text(_xyz([(3, -7, WATER)]) + "0\nhomo_eV=1\n")
    err = fails(tmp_path, path)
    assert "frame 2" in err and "empty molecule" in err
    methyl = molecule("CH3")
    methyl.info["homo_eV"] = -5.0
    ase.io.write(path, [water(homo_eV=-7.0), methyl], format="extxyz")
    err = fails(tmp_path, path)
    assert "frame 2" in err and "'spin'" in err and "9 electrons cannot have spin 2S=0" in err


def test_sdf_record_without_requested_tag(tmp_path):
    from rdkit import Chem

    path = tmp_path / "m.sdf"
    writer = Chem.SDWriter(str(path))
    for k, smiles in enumerate(["C", "CC"]):
        mol = _embedded(smiles)
        if k == 0:
            mol.SetProp("gap_eV", "7")
        writer.write(mol)
    writer.close()
    err = fails(tmp_path, path, "--targets", "gap_eV")
    assert str(path) in err and "record 2" in err and "'gap_eV'" in err and "empty value" in err
    err = fails(tmp_path, path, "--targets", "lumo_eV")
    assert "no column 'lumo_eV'" in err


def test_duplicate_ids_name_both_places(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("id,smiles,gap_eV\nm1,C,7\n")
    second.write_text("id,smiles,gap_eV\nm2,CC,8\nm1,CCC,9\n")
    err = fails(tmp_path, first, second)
    assert f"{second}:3" in err and "'m1'" in err and f"{first}:2" in err


def test_bad_option_values_are_usage_errors(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("smiles,gap_eV\nC,7\n")
    for option, value in [("--on-error", "ignore"), ("--units", "gap"), ("--units", "gap=parsec")]:
        code, _, err = cli("data", "import", path, option, value, "--out", tmp_path / "t.npz")
        assert code == 2 and option in err, err
        assert not (tmp_path / "t.npz").exists()
    with pytest.raises(InputError, match="unknown format"):
        import_molecules([path.with_suffix(".pdb").touch() or path.with_suffix(".pdb")])


# -- skip mode -----------------------------------------------------------------------------------
def test_skip_mode_lists_rows_and_writes_skipped_csv(tmp_path):
    sheet = tmp_path / "m.csv"
    sheet.write_text("smiles,gap_eV\nCCO,7\nC1CC,8\nCC,\nCCC,oops\nCN,9\n")
    xyz = tmp_path / "w.extxyz"
    xyz.write_text(_xyz([(3, -7, WATER), (2, -8, WATER), (3, -9, WATER)]))
    out = tmp_path / "t.npz"
    code, text, err = cli("data", "import", sheet, xyz, "--targets", "gap_eV,homo_eV", "--on-error", "skip",
                          "--out", out, "--json")
    assert code == 2 and "no column 'homo_eV'" in err  # a column missing from a whole file is not a row
    code, text, err = cli("data", "import", sheet, "--on-error", "skip", "--out", out, "--json")
    assert code == 0, err
    report = json.loads(text)
    assert report["molecules"] == 2 and report["skipped"] == 3
    assert [(r["number"], r["column"]) for r in report["skipped_rows"]] == [(3, "smiles"), (4, "gap_eV"), (5, "gap_eV")]
    with open(tmp_path / "t.skipped.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["kind"], r["number"], r["line"]) for r in rows] == [("line", "3", "3"), ("line", "4", "4"), ("line", "5", "5")]
    assert rows[2]["reason"].startswith("'oops' is not a number") and rows[0]["file"] == str(sheet)
    assert list(MoleculeTable.load(out).properties["gap_eV"]) == [7.0, 9.0]
    code, text, err = cli("data", "import", xyz, "--on-error", "skip", "--out", out, "--json")
    report = json.loads(text)
    assert code == 0 and report["molecules"] == 2 and report["skipped_rows"][0]["kind"] == "frame"
    assert report["skipped_rows"][0]["number"] == 2


def test_skip_mode_with_nothing_left_is_an_error(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("smiles,gap_eV\nC1CC,7\n")
    err = fails(tmp_path, path, "--on-error", "skip")
    assert "no molecules imported (1 left out)" in err
