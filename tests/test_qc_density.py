"""Densities on grids: electron counts, equality with cubegen, promolecule and potentials."""

import numpy as np
import pytest
from pyscf.tools import cubegen

from hohenberg.grids import Grid
from hohenberg.molecules import Molecule
from hohenberg.molecules.cube import read_cube, write_cube
from hohenberg.qc.density import becke_electron_count, density_at, density_on_grid
from hohenberg.qc.potentials import smeared_nuclear_potential
from hohenberg.qc.promolecule import promolecule_at, promolecule_density, radial_table
from hohenberg.qc.scf import run_scf
from hohenberg.units import BOHR_ANGSTROM

METHANOL = Molecule([6, 8, 1, 1, 1, 1], [[-0.0467, 0.6642, 0.0], [-0.0467, -0.7569, 0.0], [-1.0868, 0.9756, 0.0],
                                          [0.4349, 1.0710, 0.8913], [0.4349, 1.0710, -0.8913], [0.8570, -1.0831, 0.0]],
                    name="methanol")


@pytest.fixture(scope="module")
def scf_result():
    return run_scf(METHANOL, "hf/6-31g*")


def test_becke_grid_integrates_to_electron_count(scf_result):
    assert becke_electron_count(scf_result) == pytest.approx(18, abs=1e-4)


def test_equals_cubegen_on_the_same_points(scf_result):
    mol = scf_result.mol
    ref = cubegen.density(mol, "/dev/null", scf_result.dm, nx=20, ny=18, nz=16, margin=2.5)
    coords = cubegen.Cube(mol, 20, 18, 16, margin=2.5).get_coords()  # bohr, endpoints included
    ours = density_at(mol, scf_result.mo_coeff, scf_result.mo_occ, coords, block=500)
    np.testing.assert_allclose(ours, ref.ravel(), rtol=0, atol=1e-8)


def test_uniform_grid_voxel_sum_and_deformation_density(scf_result):
    grid = Grid.around(METHANOL.positions, spacing=0.18, n=48)
    rho = density_on_grid(scf_result, grid)
    pro = promolecule_density(METHANOL.numbers, METHANOL.positions, grid, "b3lyp/6-31g*")
    # the cusps are under-sampled at 0.18 A: a voxel sum misses the count by a few percent ...
    assert abs(grid.integrate(rho) - 18) > 0.05
    # ... but the errors cancel in the deformation density, which integrates to zero
    assert abs(grid.integrate(rho - pro)) < 0.1
    assert rho.min() >= 0


def test_cube_roundtrip_is_exact_for_float32(scf_result, tmp_path):
    grid = Grid.around(METHANOL.positions, spacing=0.3, n=20)
    rho = density_on_grid(scf_result, grid).astype(np.float32)
    cube = read_cube(write_cube(tmp_path / "m.cube", METHANOL, grid, rho))
    np.testing.assert_array_equal(cube.values.astype(np.float32), rho)
    assert cube.grid.same_as(grid, atol=1e-6)


def test_promolecule_tables_hold_the_electrons():
    table = radial_table("b3lyp/6-31g(2df,p)")
    for z in (1, 6, 7, 8, 9, 16, 17):
        assert table.electrons(z) == pytest.approx(z, abs=1e-6)
    with pytest.raises(Exception, match="no promolecule table for Br"):
        table.row(35)


def test_promolecule_is_rendered_exactly_for_any_rotation_and_translation():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    shift = np.array([0.3, -1.2, 2.0])
    pts = rng.normal(scale=1.5, size=(500, 3))
    a = promolecule_at(METHANOL.numbers, METHANOL.positions, pts)
    b = promolecule_at(METHANOL.numbers, METHANOL.positions @ q.T + shift, pts @ q.T + shift)
    np.testing.assert_allclose(a, b, rtol=1e-10)


def test_promolecule_close_to_scf_density_far_from_bonds(scf_result):
    """Near a nucleus the atom dominates: promolecule and SCF density agree within 5 %."""
    near_o = METHANOL.positions[1] + np.array([[0.05, 0, 0], [0, 0.05, 0], [0, 0, -0.05]])
    rho = density_at(scf_result.mol, scf_result.mo_coeff, scf_result.mo_occ, near_o / BOHR_ANGSTROM)
    pro = promolecule_at(METHANOL.numbers, METHANOL.positions, near_o, "b3lyp/6-31g*")
    np.testing.assert_allclose(pro, rho, rtol=0.05)


def test_smeared_nuclear_potential():
    grid = Grid.cube(np.zeros(3), spacing=0.1, n=21)  # the centre point is exactly at the origin
    v = smeared_nuclear_potential([8], [[0.0, 0.0, 0.0]], grid, sigma=0.2)
    centre = v[10, 10, 10]
    s_bohr = 0.2 / BOHR_ANGSTROM
    assert centre == pytest.approx(8 * np.sqrt(2 / np.pi) / s_bohr, rel=1e-9)
    assert np.isfinite(v).all() and v.max() == centre
    far = v[0, 10, 10]  # 1 A away: essentially the bare Coulomb potential 8/r
    assert far == pytest.approx(8 / (1.0 / BOHR_ANGSTROM), rel=1e-6)
    clipped = smeared_nuclear_potential([8], [[0.0, 0.0, 0.0]], grid, sigma=0.2, clip_hartree=10.0)
    assert clipped.max() == 10.0
