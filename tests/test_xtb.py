"""xTB levels (tblite): reference numbers, frontier orbitals, dipoles, charges, relaxation; ``qc batch``
on molecule files with resume and id checks; a store back into a table."""

import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from hohenberg.cli.main import app, main
from hohenberg.errors import HohenbergError, InputError
from hohenberg.molecules.molecule import Molecule
from hohenberg.molecules.table import MoleculeTable
from hohenberg.qc.inputs import read_batch_input
from hohenberg.qc.levels import parse_level
from hohenberg.qc.xtb import frontier_orbitals, optimize_geometry, run_xtb

runner = CliRunner()

WATER = Molecule([8, 1, 1], [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, -0.7572, -0.4692]], name="water")
_A = 0.629118  # methane: C-H 1.0897 A along the cube diagonals (Td)
METHANE = Molecule([6, 1, 1, 1, 1], [[0, 0, 0], [_A, _A, _A], [-_A, -_A, _A], [-_A, _A, -_A], [_A, -_A, -_A]],
                   name="methane")

# tblite 0.8.0 at these geometries (computed once; accuracy 1.0, 300 K electronic temperature)
REFERENCE = {  # (molecule, level): (energy_eV, homo_eV, lumo_eV, mu_D)
    ("water", "gfn2-xtb"): (-137.97181728, -12.17693783, 2.45276562, 2.2711),
    ("water", "gfn1-xtb"): (-156.97270693, -13.62070787, -4.29356223, 2.8397),
    ("methane", "gfn2-xtb"): (-113.60956688, -12.70511753, 4.27115075, 0.0),
    ("methane", "gfn1-xtb"): (-116.30795635, -13.95222677, -3.96773188, 0.0),
}


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def run_main(monkeypatch, capsys, *args):
    """The real entry point (errors become exit 2 there, not in the typer app)."""
    monkeypatch.setattr(sys, "argv", ["hohenberg", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr()


@pytest.mark.parametrize("mol", [WATER, METHANE], ids=lambda m: m.name)
@pytest.mark.parametrize("level", ["gfn2-xtb", "gfn1-xtb"])
def test_reference_numbers_and_invariants(mol, level):
    r = run_xtb(mol, level)
    energy, homo, lumo, mu = REFERENCE[(mol.name, level)]
    assert r.energy_eV == pytest.approx(energy, abs=1e-5)
    assert r.homo_eV == pytest.approx(homo, abs=1e-4) and r.lumo_eV == pytest.approx(lumo, abs=1e-4)
    assert r.homo_eV < r.lumo_eV and r.gap_eV == r.lumo_eV - r.homo_eV
    assert r.mu_D == pytest.approx(mu, abs=0.01)
    assert r.charges_e.sum() == pytest.approx(mol.charge, abs=1e-8)
    s = r.summary()
    assert s["level"] == level and s["gap_eV"] == s["lumo_eV"] - s["homo_eV"]
    assert {"energy_eV", "homo_eV", "lumo_eV", "gap_eV", "mu_D", "dipole_D", "mulliken_charges_e", "wall_s",
            "scf_cycles"} <= set(s)


def test_dipoles_charges_and_open_shells():
    assert 1.8 < run_xtb(WATER).mu_D < 2.9 and run_xtb(METHANE).mu_D < 1e-6  # Td: no dipole
    cation = Molecule([7, 1, 1, 1, 1], METHANE.positions, charge=1, name="ammonium")
    assert run_xtb(cation).charges_e.sum() == pytest.approx(1.0, abs=1e-8)
    methyl = Molecule([6, 1, 1, 1], [[0, 0, 0], [1.08, 0, 0], [-0.54, 0.935, 0], [-0.54, -0.935, 0]], spin=1,
                      name="methyl")
    r = run_xtb(methyl)
    assert r.orbital_occupations.sum() == pytest.approx(7.0)  # valence electrons only
    # the singly occupied orbital is the HOMO: the highest holding more than half an electron
    somo = np.flatnonzero(np.isclose(r.orbital_occupations, 1.0, atol=0.1))
    assert r.homo_eV == pytest.approx(r.orbital_energies_eV[somo[-1]]) and r.homo_eV < r.lumo_eV


def test_frontier_orbitals_with_fractional_occupations():
    eps = np.array([-10.0, -5.0, -4.9, 1.0])
    assert frontier_orbitals(eps, [2, 1.4, 0.6, 0]) == (-4.9, 1.0)  # both smeared orbitals above 0.5
    assert frontier_orbitals(eps, [2, 1.6, 0.4, 0]) == (-5.0, -4.9)
    assert np.isnan(frontier_orbitals(eps, [2, 2, 2, 2])[1])


def test_levels_dispatch_and_refusals():
    level = parse_level("GFN2-xTB")
    assert level.is_xtb and level.name == "gfn2-xtb" and not level.has_density
    assert parse_level("b3lyp/6-31g*").has_density
    with pytest.raises(HohenbergError, match="no options"):
        parse_level("gfn2-xtb+df")
    with pytest.raises(HohenbergError, match="not an xTB level"):
        run_xtb(WATER, "hf/sto-3g")
    from hohenberg.qc.scf import run_scf

    with pytest.raises(HohenbergError, match="semi-empirical"):
        run_scf(WATER, "gfn2-xtb")


def test_optimize_geometry_lowers_the_energy():
    stretched = WATER.copy()
    stretched.positions = stretched.positions * 1.1
    relaxed = optimize_geometry(stretched, fmax=0.02)
    assert run_xtb(relaxed).energy_eV < run_xtb(stretched).energy_eV - 0.01
    assert relaxed.info["geometry"] == "gfn2-xtb-opt" and relaxed.name == "water"
    with pytest.raises(HohenbergError, match="did not converge"):
        optimize_geometry(stretched, steps=1, fmax=1e-6)


SMILES = "# five small molecules\nO water\nC methane\nCCS\nClCCl dcm\nCC(=O)Cl acetyl_chloride\n"


def test_batch_smiles_resume_and_table_from_store(tmp_path):
    smi = tmp_path / "five.smi"
    smi.write_text(SMILES)
    out = tmp_path / "store"
    first = json.loads(invoke("qc", "batch", smi, "--out", out, "--level", "gfn2-xtb", "--json"))
    assert (first["computed_now"], first["failed"], first["density"]) == (5, 0, False)
    again = json.loads(invoke("qc", "batch", smi, "--out", out, "--level", "gfn2-xtb", "--json"))
    assert (again["computed_now"], again["already_done"]) == (0, 5)  # resume: nothing recomputed

    table_path = tmp_path / "xtb.npz"
    made = json.loads(invoke("data", "from-store", out, "--out", table_path, "--json"))
    assert made["molecules"] == 5 and made["failed"] == 0 and made["level"] == "gfn2-xtb"
    table = MoleculeTable.load(table_path)
    assert sorted(table.ids) == sorted(["water", "methane", "five-2", "dcm", "acetyl_chloride"])
    assert table.meta["level"] == "gfn2-xtb" and table.meta["source_kind"] == "qc-store"
    assert json.loads(table.meta["target_provenance"])["homo_eV"] == {"source": str(out), "level": "gfn2-xtb"}
    row = int(table.index_of(["five-2"])[0])
    mol = table.molecule(row)
    direct = run_xtb(mol)  # the stored geometry gives the stored number
    # equal up to the order of tblite's OpenMP sums (1e-13 eV seen), not bit for bit
    assert table.properties["homo_eV"][row] == pytest.approx(direct.homo_eV, abs=1e-9)
    np.testing.assert_allclose(mol.atom_properties["mulliken_charge_e"], direct.charges_e, atol=1e-9)
    assert mol.atom_properties["mulliken_charge_e"].sum() == pytest.approx(0.0, abs=1e-8)


def test_batch_optimize_records_geometry_and_failures_are_not_rows(tmp_path):
    from hohenberg.qc.batch import BatchConfig, run_batch
    from hohenberg.store import StoreReader
    from hohenberg.store.to_table import store_failures, table_from_store

    bad = WATER.copy()
    bad.name = "too-close"
    bad.positions[1] = bad.positions[0]  # two atoms in one place
    config = BatchConfig(level="gfn1-xtb", density=False, optimize="gfn2-xtb")
    summary = run_batch([WATER, bad], tmp_path, config)
    assert (summary.computed, summary.failed) == (1, 1)
    rec = StoreReader(tmp_path)["water"]
    assert rec.meta["geometry"] == "gfn2-xtb-opt" and rec.meta["level"] == "gfn1-xtb"
    relaxed = Molecule(rec["numbers"], rec["positions"])
    assert float(rec["energy_eV"]) == pytest.approx(run_xtb(relaxed, "gfn1-xtb").energy_eV, abs=1e-8)
    assert not np.allclose(rec["positions"], WATER.positions)  # the stored positions are the relaxed ones
    assert len(table_from_store(tmp_path)) == 1 and list(store_failures(tmp_path)) == ["too-close"]
    with pytest.raises(HohenbergError, match="no density grid"):
        run_batch([WATER], tmp_path / "dens", BatchConfig(level="gfn2-xtb", density=True))


def test_batch_inputs_ids_and_errors(tmp_path, monkeypatch, capsys):
    from hohenberg.molecules.xyz import write_xyz

    smi = tmp_path / "five.smi"
    smi.write_text(SMILES)
    code, io = run_main(monkeypatch, capsys, "qc", "batch", smi, "--out", tmp_path / "s", "--level", "gfn2-xtb",
                        "--ids", "water,no-such-molecule")
    assert code == 2 and "no-such-molecule" in io.err and "Traceback" not in io.err
    dup = tmp_path / "dup.smi"
    dup.write_text("O water\nCC water\n")
    code, io = run_main(monkeypatch, capsys, "qc", "batch", dup, "--out", tmp_path / "s", "--level", "gfn2-xtb")
    assert code == 2 and "'water' appears twice" in io.err
    bad = tmp_path / "bad.smi"
    bad.write_text("O\nC1CC\n")
    with pytest.raises(InputError, match=r"bad.smi:2: invalid SMILES"):
        read_batch_input(bad)

    # xyz: one file of two unnamed frames, and a folder of files named by their stems
    frames = tmp_path / "two.xyz"
    a, b = WATER.copy(), METHANE.copy()
    a.name = b.name = ""
    write_xyz([a, b], frames)
    assert [m.name for m in read_batch_input(frames)] == ["two-0", "two-1"]
    folder = tmp_path / "xyzdir"
    folder.mkdir()
    write_xyz([WATER], folder / "w.xyz")
    write_xyz([METHANE], folder / "m.xyz")
    assert [m.name for m in read_batch_input(folder)] == ["m", "w"]
    assert [m.name for m in read_batch_input(folder, ids=["w"])] == ["w"]
    assert len(read_batch_input(smi, limit=2)) == 2
    out = json.loads(invoke("qc", "batch", folder, "--out", tmp_path / "fs", "--level", "gfn2-xtb", "--limit", "1",
                            "--json"))
    assert out["computed_now"] == 1

    # a table: ids from the table, an unknown one named
    table = tmp_path / "t.npz"
    MoleculeTable.from_molecules([WATER, METHANE]).save(table)
    assert [m.name for m in read_batch_input(table, ids=["methane"])] == ["methane"]
    with pytest.raises(InputError, match="'ethane' is not in this table"):
        read_batch_input(table, ids=["ethane"])


def test_qc_run_and_density_refusal(monkeypatch, capsys):
    out = json.loads(invoke("qc", "run", "O", "--smiles", "--level", "gfn2-xtb", "--json"))
    assert out["level"] == "gfn2-xtb" and out["homo_eV"] < out["lumo_eV"]
    code, io = run_main(monkeypatch, capsys, "qc", "density", "O", "--smiles", "--level", "gfn2-xtb", "--out", "x.cube")
    assert code == 2 and "no electron density" in io.err


def test_xtb_columns_join_the_qm9_table_by_id_on_the_same_structures(qm9_table, tmp_path):
    """`qc batch TABLE --level gfn2-xtb` then `data from-store` and `data join`: the table gains
    xtb_ columns for the molecules computed (NaN for the others), each equal to a fresh xTB run on
    that row's own geometry; a table of other structures under the same ids is refused by name."""
    table_path = tmp_path / "qm9.npz"
    qm9_table.take(np.arange(12)).save(table_path)
    store = tmp_path / "store"
    done = json.loads(invoke("qc", "batch", table_path, "--level", "gfn2-xtb", "--limit", 8, "--out", store, "--json"))
    assert (done["computed_now"], done["failed"]) == (8, 0)
    invoke("data", "from-store", store, "--out", tmp_path / "xtb.npz")
    res = json.loads(invoke("data", "join", table_path, tmp_path / "xtb.npz", "--out", tmp_path / "both.npz", "--json"))
    assert res["matched"] == 8 and {"xtb_homo_eV", "xtb_gap_eV", "xtb_mulliken_charge_e"} <= set(res["columns_added"])
    both = MoleculeTable.load(tmp_path / "both.npz")
    assert np.isfinite(both.properties["xtb_homo_eV"][:8]).all() and np.isnan(both.properties["xtb_homo_eV"][8:]).all()
    assert both.properties["homo_eV"] == pytest.approx(qm9_table.properties["homo_eV"][:12])  # QM9's own kept
    mol = both.molecule(3)
    direct = run_xtb(mol)
    assert both.properties["xtb_gap_eV"][3] == pytest.approx(direct.gap_eV, abs=1e-9)
    np.testing.assert_allclose(mol.atom_properties["xtb_mulliken_charge_e"], direct.charges_e, atol=1e-9)
    moved = MoleculeTable.load(tmp_path / "xtb.npz")
    moved.positions[moved.offsets[2]] += 0.1  # molecule 2's first atom elsewhere: another structure
    moved.save(tmp_path / "moved.npz")
    for other, base, message in ((tmp_path / "moved.npz", table_path, f"molecule {qm9_table.ids[2]}: not the same structure"),
                                 (tmp_path / "xtb.npz", tmp_path / "both.npz", "exist already")):
        res = runner.invoke(app, ["data", "join", str(base), str(other), "--out", str(tmp_path / "x.npz")])
        assert isinstance(res.exception, InputError) and message in str(res.exception)
    assert not (tmp_path / "x.npz").exists()
