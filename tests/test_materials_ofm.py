"""Orbital-field matrix on hand-built structures, checked against hand computations."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from hohenberg.materials.ofm import ORBITAL_LABELS, orbital_field_matrix, orbital_vector, voronoi_neighbours

COLS = ["1"] + ORBITAL_LABELS


def entry(m, row, col):
    return m[ORBITAL_LABELS.index(row), COLS.index(col)]


def test_orbital_vector():
    v = orbital_vector("Fe")  # [Ar] 3d6 4s2
    assert v.sum() == 2 and v[ORBITAL_LABELS.index("s2")] == 1 and v[ORBITAL_LABELS.index("d6")] == 1


def test_simple_cubic_by_hand():
    # one Na atom per cube of side 3 A: 6 equal facets (solid angle 4 pi / 6 each), r = 3 A;
    # field = 6 * 1 * (1/3) * O(Na) = 2 at s1
    atoms = Atoms("Na", cell=np.eye(3) * 3.0, pbc=True)
    nb = voronoi_neighbours(atoms)[0]
    assert len(nb) == 6 and sum(t for *_, t in nb) == pytest.approx(4 * np.pi)
    m = orbital_field_matrix(atoms)
    assert entry(m, "s1", "1") == 1.0 and entry(m, "s1", "s1") == pytest.approx(2.0)
    assert np.count_nonzero(m) == 2


def test_rocksalt_by_hand():
    a = 5.64
    m = orbital_field_matrix(bulk("NaCl", "rocksalt", a=a))
    # each ion: 6 counter-ions at a/2, equal facets; mean over the 2 atoms halves each block
    field = 6 / (a / 2) / 2
    assert entry(m, "s1", "1") == 0.5 and entry(m, "s2", "1") == 0.5 and entry(m, "p5", "1") == 0.5
    assert entry(m, "s1", "s2") == pytest.approx(field) and entry(m, "s1", "p5") == pytest.approx(field)
    assert entry(m, "s2", "s1") == pytest.approx(field) and entry(m, "p5", "s1") == pytest.approx(field)
    assert entry(m, "s1", "s1") == 0  # Na has no Na facet neighbours
    assert np.count_nonzero(m) == 7


def test_bcc_weights_by_hand():
    a = 2.87
    nb = voronoi_neighbours(bulk("Fe", "bcc", a=a))[0]
    assert len(nb) == 14  # 8 hexagonal + 6 square facets
    r = sorted({round(d, 6) for _, d, _ in nb})
    assert r == pytest.approx([a * np.sqrt(3) / 2, a], abs=1e-6)
    assert sum(t for *_, t in nb) == pytest.approx(4 * np.pi)


def test_molecule_is_refused():
    with pytest.raises(ValueError, match="periodic"):
        orbital_field_matrix(Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]]))


def test_matches_matminer_when_installed():
    # matminer 0.10.1 needs pandas < 3, so it is not a project dependency; this runs where it is
    # importable (the note records a run in a separate environment: agreement to 4e-5).
    mm = pytest.importorskip("matminer.featurizers.structure")
    from pymatgen.io.ase import AseAtomsAdaptor

    from hohenberg.units import ANGSTROM_BOHR, atomic_number

    f = mm.OrbitalFieldMatrix(period_tag=False)
    for atoms in (bulk("NaCl", "rocksalt", a=5.64), bulk("Fe", "bcc", a=2.87)):
        ref = np.array(f.featurize(AseAtomsAdaptor.get_structure(atoms))).reshape(32, 32)
        vectors = {e: np.asarray(f.ohvs[atomic_number(e)]).ravel() for e in set(atoms.get_chemical_symbols())}
        ours = (orbital_field_matrix(atoms, vectors)[:, 1:] / ANGSTROM_BOHR).T
        np.testing.assert_allclose(ours, ref, atol=1e-4)
