"""Every reader on good input, and on truncated, malformed and inconsistent input."""

import numpy as np
import pytest

from hohenberg.errors import InputError
from hohenberg.grids import Grid
from hohenberg.molecules import Molecule
from hohenberg.molecules.cube import read_cube, write_cube
from hohenberg.molecules.formats import read_molecules
from hohenberg.molecules.qm9xyz import read_qm9_xyz
from hohenberg.molecules.sdf import read_sdf, write_sdf
from hohenberg.molecules.smiles import molecule_from_smiles, read_smiles
from hohenberg.molecules.xyz import read_xyz, write_xyz
from hohenberg.units import ANGSTROM_BOHR

WATER_XYZ = "3\nwater\nO 0.0 0.0 0.1173\nH 0.0 0.7572 -0.4692\nH 0.0 -0.7572 -0.4692\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_xyz_multiframe_and_roundtrip(tmp_path):
    p = write(tmp_path, "w.xyz", WATER_XYZ + "2\nH2\nH 0 0 0\n1 0 0 0.74\n\n")
    mols = read_xyz(p)
    assert [m.formula for m in mols] == ["H2O", "H2"] and mols[0].name == "water"
    out = write_xyz(mols, tmp_path / "out.xyz")
    back = read_xyz(out)
    np.testing.assert_allclose(back[1].positions, mols[1].positions, atol=1e-10)


def test_extxyz_properties_and_per_atom_columns(tmp_path):
    mol = Molecule([8, 1, 1], [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, -0.7572, -0.4692]], name="w",
                   properties={"U0_eV": -2079.5}, atom_properties={"q_e": np.array([-0.6, 0.3, 0.3])})
    p = write_xyz([mol], tmp_path / "w.extxyz", extended=True)
    [back] = read_xyz(p)
    assert back.properties["U0_eV"] == pytest.approx(-2079.5)
    np.testing.assert_allclose(back.atom_properties["q_e"], [-0.6, 0.3, 0.3])
    np.testing.assert_allclose(back.positions, mol.positions)


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("3\nwater\nO 0 0 0\nH 0 0 1\n", "frame declares 3 atoms but the file ends after 2"),
    ("x\nwater\n", "atom count: expected a whole number, found 'x'"),
    ("2\nc\nO 0 0 0\nH 0 0\n", "atom line needs a symbol and 3 coordinates"),
    ("2\nc\nO 0 0 0\nH 0 nan 1\n", "coordinate: 'nan' is not a finite number"),
    ("2\nc\nO 0 0 0\nXx 0 0 1\n", "unknown element 'Xx'"),
    ("2\nc\nO 0 0 0\nH 0 1.0*^x 1\n", "coordinate: '1.0\\*\\^x' is not a number"),
    ("-2\nc\n", "atom count must be positive"),
])
def test_xyz_errors_name_file_and_line(tmp_path, text, message):
    p = write(tmp_path, "bad.xyz", text)
    with pytest.raises(InputError, match=message) as exc:
        read_xyz(p)
    assert str(exc.value).startswith(str(p))


def test_xyz_error_line_number(tmp_path):
    p = write(tmp_path, "bad.xyz", WATER_XYZ + "2\nsecond\nO 0 0 0\nQ 0 0 1\n")
    with pytest.raises(InputError) as exc:
        read_xyz(p)
    assert exc.value.line == 9 and f"{p}:9:" in str(exc.value)


def test_binary_file_is_rejected(tmp_path):
    p = tmp_path / "b.xyz"
    p.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(InputError, match="binary data"):
        read_xyz(p)


def test_qm9_xyz_with_fortran_exponents(qm9_xyz_dir):
    files = [p for p in sorted(qm9_xyz_dir.glob("*.xyz")) if "*^" in p.read_text()]
    assert files, "the fixture must exercise Mathematica exponents"
    rec = read_qm9_xyz(files[0])
    token = next(t for t in files[0].read_text().split() if "*^" in t)
    mant, exp = token.split("*^")
    parsed = np.concatenate([rec.positions.ravel(), rec.mulliken, rec.scalars])
    assert np.isclose(parsed, float(mant) * 10 ** int(exp), rtol=1e-12, atol=0).any()


@pytest.mark.parametrize("mutate, message", [
    (lambda L: L[:4], "truncated"),
    (lambda L: [L[0], "gdb 4\t1.0\t2.0"] + L[2:], "line 2 must be 'gdb <index>' and 15 properties"),
    (lambda L: L[:2] + ["C\t0.5\t0.0\t1.0"] + L[3:], "atom line must be 'symbol x y z charge'"),
    (lambda L: L[:2] + ["Zz\t0.5\t0.0\t1.0\t0.1"] + L[3:], "unknown element 'Zz'"),
    (lambda L: L[:2] + ["C\t0.5\tNaN\t1.0\t0.1"] + L[3:], "not a finite number"),
    (lambda L: L[:2] + ["C\t0.5\t1.2*^-x\t1.0\t0.1"] + L[3:], "is not a number"),
    (lambda L: L[:6] + ["1.0\t2.0"] + L[7:], "4 atoms need 6 \\(or 7 if linear\\) frequencies, found 2"),
    (lambda L: ["5"] + L[1:], "has 10 lines"),
])
def test_qm9_xyz_errors(tmp_path, qm9_xyz_dir, mutate, message):
    lines = (qm9_xyz_dir / "dsgdb9nsd_000004.xyz").read_text().splitlines()
    p = write(tmp_path, "dsgdb9nsd_000004.xyz", "\n".join(mutate(lines)) + "\n")
    with pytest.raises(InputError, match=message) as exc:
        read_qm9_xyz(p)
    assert str(p) in str(exc.value)


def test_read_molecules_detects_qm9_layout(qm9_xyz_dir):
    [mol] = read_molecules(qm9_xyz_dir / "dsgdb9nsd_000004.xyz")
    assert mol.name == "dsgdb9nsd_000004" and mol.formula == "C2H2"
    assert mol.properties["homo_eV"] == pytest.approx(-0.2845 * 27.211386245988)


def test_smiles_embedding_gives_chemical_geometry():
    mol = molecule_from_smiles("CCO", name="ethanol")
    assert mol.formula == "C2H6O" and mol.n_atoms == 9
    d = np.linalg.norm(mol.positions[0] - mol.positions[1])
    assert 1.48 < d < 1.55  # C-C single bond, Angstrom
    again = molecule_from_smiles("CCO")
    np.testing.assert_allclose(again.positions, mol.positions)  # seeded: reproducible


def test_smiles_file_and_errors(tmp_path):
    p = write(tmp_path, "m.smi", "smiles name\nC methane\n# comment\nO=C=O co2\n")
    assert [m.name for m in read_smiles(p)] == ["methane", "co2"]
    bad = write(tmp_path, "bad.smi", "C\nC1CC\n")
    with pytest.raises(InputError, match=r"bad.smi:2: invalid SMILES 'C1CC'"):
        read_smiles(bad)
    with pytest.raises(InputError, match="invalid SMILES"):
        read_molecules("not_a_smiles((")


def test_sdf_roundtrip_and_errors(tmp_path):
    mols = [molecule_from_smiles("CCO", name="ethanol"), molecule_from_smiles("c1ccccc1", name="benzene")]
    mols[0].properties["U0_eV"] = -4200.0
    p = write_sdf(mols, tmp_path / "m.sdf")
    back = read_sdf(p)
    assert [m.name for m in back] == ["ethanol", "benzene"] and back[0].properties["U0_eV"] == -4200.0
    np.testing.assert_allclose(back[1].positions, mols[1].positions, atol=1e-4)
    text = p.read_text()
    second = text.index("$$$$") + 5
    broken = text[:second] + "benzene\n  junk\n\n  6  6  0  0  0  0  0  0  0  0999 V2000\n$$$$\n"
    bad = write(tmp_path, "bad.sdf", broken)
    with pytest.raises(InputError, match=r"bad.sdf:\d+: record 2:"):
        read_sdf(bad)


def _gaussian_density(grid: Grid, center, n_electrons: float, sigma_bohr: float = 0.8):
    r2 = (((grid.points() - center) * ANGSTROM_BOHR) ** 2).sum(1)
    rho = n_electrons * np.exp(-r2 / (2 * sigma_bohr**2)) / (2 * np.pi * sigma_bohr**2) ** 1.5
    return rho.reshape(grid.shape)


def test_cube_roundtrip_density_integrates_to_electron_count(tmp_path):
    mol = Molecule([8, 1, 1], [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, -0.7572, -0.4692]], name="water")
    grid = Grid.around(mol.positions, spacing=0.2, n=40)
    rho = _gaussian_density(grid, mol.positions.mean(0), 10.0)
    assert grid.integrate(rho) == pytest.approx(10.0, rel=1e-4)
    p = write_cube(tmp_path / "w.cube", mol, grid, rho)
    cube = read_cube(p)
    assert cube.grid.same_as(grid, atol=1e-6)
    np.testing.assert_allclose(cube.molecule.positions, mol.positions, atol=1e-6)
    np.testing.assert_allclose(cube.values, rho, rtol=1e-5, atol=1e-12)
    assert cube.grid.integrate(cube.values) == pytest.approx(10.0, rel=1e-4)


def test_cube_errors(tmp_path):
    mol = Molecule([1, 1], [[0, 0, 0], [0, 0, 0.74]])
    grid = Grid.around(mol.positions, 0.5, 4)
    good = write_cube(tmp_path / "g.cube", mol, grid, np.ones(grid.shape)).read_text().splitlines()
    cases = {
        "trunc": (good[:-2], "needs 64 values, found"),
        "nan": (good[:-1] + ["NaN 1 1 1"], "NaN or infinity"),
        "word": (good[:-1] + ["1.0 abc"], "not a number"),
        "atoms": (good[:6], "file ends inside the atom list"),
        "short": (good[:3], "at least 6 header lines"),
    }
    for name, (lines, message) in cases.items():
        p = write(tmp_path, f"{name}.cube", "\n".join(lines) + "\n")
        with pytest.raises(InputError, match=message):
            read_cube(p)


def test_unknown_format(tmp_path):
    p = write(tmp_path, "m.pdbx", "x")
    with pytest.raises(InputError, match="unknown molecule format '.pdbx'"):
        read_molecules(p)
    with pytest.raises(InputError, match="no such file"):
        read_molecules(tmp_path / "missing.xyz")


@pytest.mark.parametrize("header, message", [
    ("spin=-2 charge=0", "cannot be negative"), ("charge=0.5", "charge must be a whole number, not 0.5"),
])
def test_extxyz_charge_and_spin_are_read_and_checked_never_dropped_or_truncated(tmp_path, header, message):
    from hohenberg.errors import InputError
    from hohenberg.molecules.xyz import read_xyz

    path = tmp_path / "w.extxyz"
    path.write_text(f"3\n{header}\nO 0 0 0\nH 0 0 0.96\nH 0 0.93 -0.24\n")
    with pytest.raises(InputError, match=message):
        read_xyz(path)
    path.write_text("2\ncharge=1 spin=1\nH 0 0 0\nH 0 0 0.74\n")
    (ion,) = read_xyz(path)
    assert (ion.charge, ion.spin, ion.n_electrons) == (1, 1, 1)  # H2+, not a neutral H2
