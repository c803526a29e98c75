import numpy as np
import pytest

from hohenberg.errors import InputError
from hohenberg.molecules import Molecule, MoleculeTable
from hohenberg.units import QM9_ELEMENTS


def _random_molecules(n, seed=0):
    rng = np.random.default_rng(seed)
    mols = []
    for i in range(n):
        k = int(rng.integers(1, 7))
        numbers = rng.choice(QM9_ELEMENTS, size=k)
        if numbers.sum() % 2:  # closed shell: an even electron count
            numbers = np.append(numbers, 1)
        m = Molecule(numbers, rng.normal(size=(len(numbers), 3)), name=f"m{i}",
                     properties={"homo_eV": float(rng.normal())},
                     atom_properties={"q_e": rng.normal(size=len(numbers))},
                     info={"smiles": "C" * (i % 4 + 1)}, vectors={"freq_cm1": rng.normal(size=i % 5)})
        mols.append(m)
    return mols


def _same(a: Molecule, b: Molecule):
    assert a.name == b.name
    np.testing.assert_array_equal(a.numbers, b.numbers)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert a.properties == b.properties and a.info == b.info
    for k in a.atom_properties:
        np.testing.assert_array_equal(a.atom_properties[k], b.atom_properties[k])
    for k in a.vectors:
        np.testing.assert_array_equal(a.vectors[k], b.vectors[k])


def test_table_roundtrip_and_selection(tmp_path):
    mols = _random_molecules(50)
    table = MoleculeTable.from_molecules(mols, meta={"source": "test"})
    assert len(table) == 50 and table.offsets[-1] == sum(m.n_atoms for m in mols)
    for i in (0, 17, 49, -1):
        _same(table[i], mols[i])
    idx = np.array([40, 3, 3, 12])
    for row, i in zip(table[idx], idx):
        _same(row, mols[i])
    mask = np.zeros(50, bool)
    mask[[1, 5, 9]] = True
    assert [m.name for m in table[mask]] == ["m1", "m5", "m9"]
    assert [m.name for m in table[10:13]] == ["m10", "m11", "m12"]
    path = table.save(tmp_path / "t.npz")
    loaded = MoleculeTable.load(path)
    assert loaded.meta == {"source": "test"}
    for a, b in zip(loaded, mols):
        _same(a, b)
    both = MoleculeTable.concat([table[:20], table[20:]])
    for a, b in zip(both, mols):
        _same(a, b)
    np.testing.assert_array_equal(table.index_of(["m7", "m2"]), [7, 2])
    with pytest.raises(KeyError, match="'nope' is not in the table"):
        table.index_of(["nope"])


def test_element_counts():
    table = MoleculeTable.from_molecules([Molecule([6, 1, 1, 1, 1], np.eye(5, 3)), Molecule([8, 1, 1], np.eye(3))])
    np.testing.assert_array_equal(table.element_counts([1, 6, 8, 9]), [[4, 1, 0, 0], [2, 0, 1, 0]])


def test_corrupt_table_is_a_clear_error(tmp_path):
    path = MoleculeTable.from_molecules(_random_molecules(5)).save(tmp_path / "t.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="t.npz: not a"):
        MoleculeTable.load(path)
    (tmp_path / "x.npz").write_bytes(b"hello")
    with pytest.raises(InputError, match="x.npz: not a readable molecule table"):
        MoleculeTable.load(tmp_path / "x.npz")
    with pytest.raises(InputError, match="no such table file"):
        MoleculeTable.load(tmp_path / "missing.npz")
