import numpy as np
import pytest

from hohenberg.molecules import Molecule

WATER = Molecule([8, 1, 1], [[0, 0, 0.1173], [0, 0.7572, -0.4692], [0, -0.7572, -0.4692]], name="water")


def test_basic_facts():
    assert WATER.n_atoms == 3 and WATER.n_electrons == 10
    assert WATER.formula == "H2O"
    assert Molecule([6, 1, 1, 1, 1], np.zeros((5, 3)) + np.arange(5)[:, None]).formula == "CH4"


@pytest.mark.parametrize("kwargs, message", [
    (dict(numbers=[8, 1], positions=np.zeros((3, 3))), "2 atomic numbers but 3 positions"),
    (dict(numbers=[0], positions=np.zeros((1, 3))), "atomic numbers must be in 1..118"),
    (dict(numbers=[1], positions=[[0, 0, np.nan]]), "NaN"),
    (dict(numbers=[1], positions=[[0, 0, 0]], spin=0), "cannot have spin"),
])
def test_invalid_molecules_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Molecule(**kwargs)


def test_ase_roundtrip_keeps_everything():
    mol = WATER.copy()
    mol.properties["U0_eV"] = -2080.0
    mol.atom_properties["mulliken_charge_e"] = np.array([-0.6, 0.3, 0.3])
    back = Molecule.from_ase(mol.to_ase())
    assert back.name == "water"
    np.testing.assert_array_equal(back.numbers, mol.numbers)
    np.testing.assert_allclose(back.positions, mol.positions)
    assert back.properties["U0_eV"] == -2080.0
    np.testing.assert_allclose(back.atom_properties["mulliken_charge_e"], [-0.6, 0.3, 0.3])


def test_pyscf_roundtrip_and_electron_count():
    pmol = WATER.to_pyscf(basis="sto-3g")
    assert pmol.nelectron == 10 and pmol.nao == 7
    back = Molecule.from_pyscf(pmol)
    np.testing.assert_allclose(back.positions, WATER.positions, atol=1e-10)
    np.testing.assert_array_equal(back.numbers, WATER.numbers)
    radical = Molecule([6, 1, 1, 1], [[0, 0, 0], [1.08, 0, 0], [-0.54, 0.93, 0], [-0.54, -0.93, 0]], spin=1)
    assert radical.to_pyscf().spin == 1


def test_rdkit_roundtrip_perceives_bonds():
    from rdkit import Chem

    rd = WATER.to_rdkit()
    assert rd.GetNumBonds() == 2
    assert Chem.MolToSmiles(Chem.RemoveHs(rd)) == "O"
    back = Molecule.from_rdkit(rd)
    np.testing.assert_allclose(back.positions, WATER.positions)


def test_rdkit_from_template_assigns_bond_orders(qm9_table):
    from rdkit import Chem

    mol = qm9_table[3]  # acetylene, C#C
    rd = mol.to_rdkit(smiles=mol.info["smiles"])
    assert Chem.MolToSmiles(Chem.RemoveHs(rd)) == "C#C"
    with pytest.raises(ValueError, match="atoms with hydrogens"):
        mol.to_rdkit(smiles="CC")
