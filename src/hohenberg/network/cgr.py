"""Condensed graph of reaction (CGR): reactant and product on one graph, by an atom mapping.

As chemprop's reaction mode (``reac_diff``): one node per heavy atom of the reactant, plus one per
product atom without a partner; a node carries the reactant's atom features, the change to the
product's (``x_P - x_R``; a side on which the atom is absent reads zeros) and two presence flags.
An edge joins two atoms bonded on either side and carries the bond features on the reactant
side and their change (a formed bond: zeros then the product bond; a broken one: the reactant
bond then its negative); so a bond edit is visible on the one edge where it happens.

Hydrogens are implicit (their count is an atom feature): which hydrogen moves in an
isomerisation is not known, the heavy-atom mapping is.

Mappings (heavy-atom index of A -> heavy-atom index of B) come from how an edge was found
(:func:`edge_mapping`): the shared constant part of a matched pair, the shared skeleton of two
isomers, the atom-map numbers of a mapped reaction SMILES, or else a maximum common substructure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hohenberg.graph.features import N_BOND_FEATURES, atom_features, bond_features, n_atom_inputs, select_features

CGR_FEATURES = "gasteiger"


def heavy_mol(smiles: str):
    """RDKit molecule (heavy atoms, implicit hydrogens) of a SMILES; None when RDKit cannot read it."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    return Chem.RemoveHs(mol)


def _constant_mapping(mol_a, mol_b, constant: str) -> dict[int, int] | None:
    """A matched pair: the constant part (attachment point removed) matched in both."""
    from rdkit import Chem

    patt = Chem.MolFromSmarts(constant)
    if patt is None:
        return None
    rw = Chem.RWMol(patt)
    for atom in sorted((a.GetIdx() for a in rw.GetAtoms() if a.GetAtomicNum() == 0), reverse=True):
        rw.RemoveAtom(atom)
    patt = rw.GetMol()
    ma, mb = mol_a.GetSubstructMatch(patt), mol_b.GetSubstructMatch(patt)
    if not ma or not mb:
        return None
    return dict(zip(ma, mb))


def _skeleton_mapping(mol_a, mol_b, key: str) -> dict[int, int] | None:
    """Two isomers: the skeletons (minus one bond each) that gave their shared key, mapped by
    canonical atom ranks (equal ranks of isomorphic graphs are an isomorphism)."""
    from rdkit import Chem

    from hohenberg.network.build import skeleton, skeleton_keys

    want = key.split("|", 2)[-1]
    same = "|=|" in key

    def ranks(mol):
        for k, removed in skeleton_keys(mol):
            if k == want and (removed is None) == same:
                rw = skeleton(mol)
                if removed is not None:
                    rw.RemoveBond(*removed)
                rw.UpdatePropertyCache(strict=False)
                Chem.FastFindRings(rw)
                return list(Chem.CanonicalRankAtoms(rw, breakTies=True))
        return None

    ra, rb = ranks(mol_a), ranks(mol_b)
    if ra is None or rb is None or len(ra) != len(rb):
        return None
    where_b = {r: i for i, r in enumerate(rb)}
    return {i: where_b[r] for i, r in enumerate(ra)}


def _atom_map_numbers(mol_a, mol_b) -> dict[int, int] | None:
    nums_b = {a.GetAtomMapNum(): a.GetIdx() for a in mol_b.GetAtoms() if a.GetAtomMapNum()}
    out = {a.GetIdx(): nums_b[a.GetAtomMapNum()] for a in mol_a.GetAtoms() if a.GetAtomMapNum() in nums_b}
    return out or None


def _mcs_mapping(mol_a, mol_b, timeout: int = 2) -> dict[int, int]:
    from rdkit import Chem
    from rdkit.Chem import rdFMCS

    res = rdFMCS.FindMCS([mol_a, mol_b], timeout=timeout, atomCompare=rdFMCS.AtomCompare.CompareElements,
                         bondCompare=rdFMCS.BondCompare.CompareAny, ringMatchesRingOnly=False)
    if not res.numAtoms:
        return {}
    patt = Chem.MolFromSmarts(res.smartsString)
    ma, mb = mol_a.GetSubstructMatch(patt), mol_b.GetSubstructMatch(patt)
    return dict(zip(ma, mb)) if ma and mb else {}


def edge_mapping(mol_a, mol_b, kind: str | None = None, key: str | None = None) -> tuple[dict[int, int], str]:
    """Heavy-atom mapping A -> B and where it came from (``constant``, ``skeleton``, ``atom-map``, ``mcs``)."""
    found = None
    if kind == "mmp" and key:
        found, how = _constant_mapping(mol_a, mol_b, key), "constant"
    elif kind == "isomers" and key:
        found, how = _skeleton_mapping(mol_a, mol_b, key), "skeleton"
    if found is None:
        found, how = _atom_map_numbers(mol_a, mol_b), "atom-map"
    if found is None:
        found, how = _mcs_mapping(mol_a, mol_b), "mcs"
    # a mapping joins atoms of one element only
    found = {i: j for i, j in found.items()
             if mol_a.GetAtomWithIdx(i).GetAtomicNum() == mol_b.GetAtomWithIdx(j).GetAtomicNum()}
    return found, how


def _bond_table(mol) -> dict[tuple[int, int], np.ndarray]:
    index, attr = bond_features(mol)
    return {(int(i), int(j)): attr[k] for k, (i, j) in enumerate(index.T)}


def cgr_tensors(mol_a, mol_b, mapping: dict[int, int], elements) -> dict[str, torch.Tensor]:
    """The CGR of A -> B (module docstring) as tensors: ``x`` (n, 2F + 2), ``edge_index`` (2, E),
    ``edge_attr`` (E, 12), ``z`` (n,), and ``node_of_a`` / ``node_of_b`` (atom -> CGR node)."""
    na, nb = mol_a.GetNumAtoms(), mol_b.GetNumAtoms()
    za = torch.as_tensor([a.GetAtomicNum() for a in mol_a.GetAtoms()], dtype=torch.long)
    zb = torch.as_tensor([a.GetAtomicNum() for a in mol_b.GetAtoms()], dtype=torch.long)
    xa = select_features(torch.from_numpy(atom_features(mol_a)), za, CGR_FEATURES, elements)
    xb = select_features(torch.from_numpy(atom_features(mol_b)), zb, CGR_FEATURES, elements)
    node_of_a = np.arange(na)
    node_of_b = np.full(nb, -1)
    for i, j in mapping.items():
        node_of_b[j] = i
    extra = np.flatnonzero(node_of_b < 0)
    node_of_b[extra] = na + np.arange(len(extra))
    n = na + len(extra)
    f = xa.shape[1]
    xr = torch.zeros(n, f)
    xp = torch.zeros(n, f)
    xr[:na] = xa
    xp[torch.as_tensor(node_of_b)] = xb
    in_r = torch.zeros(n, 1)
    in_r[:na] = 1
    in_p = torch.zeros(n, 1)
    in_p[torch.as_tensor(node_of_b)] = 1
    z = torch.cat([za, zb[torch.as_tensor(extra, dtype=torch.long)]])
    br, bp = _bond_table(mol_a), _bond_table(mol_b)
    pairs = {}
    for (i, j), v in br.items():
        pairs.setdefault((i, j), [None, None])[0] = v
    for (i, j), v in bp.items():
        pairs.setdefault((int(node_of_b[i]), int(node_of_b[j])), [None, None])[1] = v
    zero = np.zeros(N_BOND_FEATURES, np.float32)
    index = np.asarray(list(pairs), dtype=np.int64).reshape(-1, 2).T.copy()
    attr = np.asarray([np.concatenate([r if r is not None else zero,
                                       (p if p is not None else zero) - (r if r is not None else zero)])
                       for r, p in pairs.values()], dtype=np.float32).reshape(-1, 2 * N_BOND_FEATURES)
    return {"x": torch.cat([xr, xp - xr, in_r, in_p], dim=1), "z": z,
            "edge_index": torch.from_numpy(index), "edge_attr": torch.from_numpy(attr),
            "node_of_a": torch.as_tensor(node_of_a), "node_of_b": torch.as_tensor(node_of_b)}


def cgr_width(elements) -> int:
    """Node feature width of a CGR over ``elements``."""
    return 2 * n_atom_inputs(CGR_FEATURES, elements) + 2


CGR_EDGE_WIDTH = 2 * N_BOND_FEATURES


@dataclass
class CGRBatch:
    x: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    batch: torch.Tensor
    num_graphs: int


def collate_cgr(graphs) -> CGRBatch:
    sizes = torch.as_tensor([g["x"].shape[0] for g in graphs])
    starts = torch.cumsum(sizes, 0) - sizes
    return CGRBatch(torch.cat([g["x"] for g in graphs]),
                    torch.cat([g["edge_index"] + s for g, s in zip(graphs, starts.tolist())], dim=1),
                    torch.cat([g["edge_attr"] for g in graphs]),
                    torch.repeat_interleave(torch.arange(len(graphs)), sizes), len(graphs))
