"""Candidate molecules by chemically valid single edits of seed molecules.

The edits act on the kekulised heavy-atom graph (hydrogens implicit, filled in by valence):

* ``element``: an atom becomes another allowed element;
* ``add``: a new atom bonded to an existing one (single, double or triple bond);
* ``remove``: a terminal atom (one heavy neighbour) is deleted;
* ``bond``: a bond changes order (single, double, triple);
* ``close``: two atoms 3 to 6 bonds apart get a single bond (a ring of 3 to 7 atoms);
* ``open``: a ring bond is deleted.

An edit is kept only if RDKit sanitises the result (valences, aromaticity perception), it is one
connected, neutral, closed-shell molecule of allowed elements with at most ``max_heavy`` heavy
atoms; the SMILES kept are canonical, so a pool holds each molecule once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from hohenberg.units import QM9_ELEMENTS

DEFAULT_ELEMENTS = tuple(z for z in QM9_ELEMENTS if z > 1)  # QM9's heavy atoms
BOND_ORDERS = ("SINGLE", "DOUBLE", "TRIPLE")


def _bond_type(name: str):
    from rdkit import Chem

    return getattr(Chem.BondType, name)


def canonical(smiles: str) -> str | None:
    """Canonical SMILES, or None if RDKit cannot parse it."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    return None if mol is None else Chem.MolToSmiles(mol)


def is_valid(mol, max_heavy: int, elements: Sequence[int] = DEFAULT_ELEMENTS) -> bool:
    """The acceptance test of every edit (module docstring); ``mol`` sanitised or not."""
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    if mol is None or mol.GetNumAtoms() == 0 or mol.GetNumAtoms() > max_heavy:
        return False
    try:
        Chem.SanitizeMol(mol)
    except Exception:  # RDKit raises several types (valence, kekulisation)
        return False
    allowed = set(elements)
    if any(a.GetAtomicNum() not in allowed or a.GetFormalCharge() != 0 for a in mol.GetAtoms()):
        return False
    if Descriptors.NumRadicalElectrons(mol) != 0:
        return False
    return len(Chem.GetMolFrags(mol)) == 1


def _edits(mol, elements: Sequence[int]) -> Iterator:
    """Every single edit of the kekulised ``mol`` as a new (unsanitised) RWMol."""
    from rdkit import Chem

    n = mol.GetNumAtoms()
    for atom in mol.GetAtoms():  # element changes
        for z in elements:
            if z != atom.GetAtomicNum():
                rw = Chem.RWMol(mol)
                rw.GetAtomWithIdx(atom.GetIdx()).SetAtomicNum(int(z))
                rw.GetAtomWithIdx(atom.GetIdx()).SetNoImplicit(False)
                yield "element", rw
    for i in range(n):  # grow by one atom
        for z in elements:
            for order in BOND_ORDERS:
                rw = Chem.RWMol(mol)
                j = rw.AddAtom(Chem.Atom(int(z)))
                rw.AddBond(i, j, _bond_type(order))
                yield "add", rw
    for atom in mol.GetAtoms():  # shrink by a terminal atom
        if atom.GetDegree() == 1 and n > 1:
            rw = Chem.RWMol(mol)
            rw.RemoveAtom(atom.GetIdx())
            yield "remove", rw
    for bond in mol.GetBonds():
        for order in BOND_ORDERS:  # bond order changes
            if bond.GetBondType() != _bond_type(order):
                rw = Chem.RWMol(mol)
                rw.GetBondWithIdx(bond.GetIdx()).SetBondType(_bond_type(order))
                yield "bond", rw
        if bond.IsInRing():  # ring opening
            rw = Chem.RWMol(mol)
            rw.RemoveBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())
            yield "open", rw
    if n >= 3:  # ring closures: rings of 3..7 atoms
        dist = Chem.GetDistanceMatrix(mol)
        for i in range(n):
            for j in range(i + 1, n):
                if 2 <= dist[i, j] <= 6:
                    rw = Chem.RWMol(mol)
                    rw.AddBond(i, j, Chem.BondType.SINGLE)
                    yield "close", rw


def neighbours(smiles: str, max_heavy: int = 9, elements: Sequence[int] = DEFAULT_ELEMENTS) -> dict[str, str]:
    """Canonical SMILES of every valid single edit of ``smiles`` -> the kind of edit (first found)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return {}
        Chem.Kekulize(mol, clearAromaticFlags=True)
        own = Chem.MolToSmiles(Chem.MolFromSmiles(smiles))
        out: dict[str, str] = {}
        for kind, rw in _edits(mol, elements):
            new = rw.GetMol()
            for a in new.GetAtoms():
                a.SetNoImplicit(False)
                a.SetNumExplicitHs(0)
            if not is_valid(new, max_heavy, elements):
                continue
            smi = Chem.MolToSmiles(new)
            # round trip: what is written must parse back to a valid molecule
            if smi != own and smi not in out and is_valid(Chem.MolFromSmiles(smi), max_heavy, elements):
                out[smi] = kind
        return out
    finally:
        RDLogger.EnableLog("rdApp.*")


def mutation_pool(seeds: Iterable[str], size: int = 2000, rounds: int = 2, max_heavy: int = 9,
                  elements: Sequence[int] = DEFAULT_ELEMENTS, seed: int = 0) -> list[tuple[str, str]]:
    """Up to ``size`` new molecules ``(smiles, origin)`` reached from ``seeds`` by 1..``rounds``
    edits (breadth first; each round expands at most ``size`` parents, drawn at random with
    ``seed``); the seeds themselves are included first.  ``origin`` says how it was made:
    ``seed`` or ``<edits>:<parent smiles>``."""
    rng = np.random.default_rng(seed)
    found: dict[str, str] = {}
    frontier = []
    for s in seeds:
        c = canonical(s)
        if c is not None and c not in found:
            found[c] = "seed"
            frontier.append(c)
    for r in range(rounds):
        parents = frontier if len(frontier) <= size else [frontier[i] for i in rng.choice(len(frontier), size, replace=False)]
        nxt = []
        for parent in parents:
            for smi, kind in neighbours(parent, max_heavy, elements).items():
                if smi not in found:
                    found[smi] = f"{kind}:{parent}" if r == 0 else f"{r + 1} edits:{parent}"
                    nxt.append(smi)
        frontier = nxt
    seeds_ = [(s, o) for s, o in found.items() if o == "seed"]
    rest = [(s, o) for s, o in found.items() if o != "seed"]
    keep = max(size - len(seeds_), 0)
    if len(rest) > keep:
        # the closest molecules first (1 edit), then a random sample of farther ones
        one = [x for x in rest if " edits:" not in x[1]]
        more = [x for x in rest if " edits:" in x[1]]
        if len(one) >= keep:
            rest = [one[i] for i in sorted(rng.choice(len(one), keep, replace=False))]
        else:
            rest = one + [more[i] for i in sorted(rng.choice(len(more), keep - len(one), replace=False))]
    return seeds_ + rest
