"""Labelled undirected graphs for pattern search, and their construction from molecules.

A graph is a list of vertex labels and a list of labelled edges; both labels are small ints so
that DFS codes compare as plain tuples.  Molecules become heavy-atom graphs (hydrogens are
implicit, as in SMILES) with atom labels built from the element and, optionally, aromaticity
and formal charge, and bond labels 1, 2, 3 (single, double, triple) or 4 (aromatic).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Bond labels.  Aromatic gets its own label so that kekulé patterns never mix with aromatic ones.
SINGLE, DOUBLE, TRIPLE, AROMATIC = 1, 2, 3, 4
BOND_SYMBOL = {SINGLE: "-", DOUBLE: "=", TRIPLE: "#", AROMATIC: ":"}

# Atom labels pack (element, aromatic, charge) into one int: element * 1000 + aromatic * 100 +
# (charge + 50).  Sorting by this int sorts by element first, which keeps the minimum DFS codes
# readable (carbon patterns come first) and decoding trivial.
_AROMATIC_STEP = 100
_ELEMENT_STEP = 1000
_CHARGE_OFFSET = 50


@dataclass(frozen=True)
class LabelConfig:
    """Which atom attributes enter the vertex label (the element always does)."""

    aromatic: bool = True
    charge: bool = False


def encode_atom(element: int, aromatic: bool = False, charge: int = 0) -> int:
    return element * _ELEMENT_STEP + (_AROMATIC_STEP if aromatic else 0) + charge + _CHARGE_OFFSET


def decode_atom(label: int) -> tuple[int, bool, int]:
    """``(element, aromatic, charge)`` of an atom label made by :func:`encode_atom`."""
    element, rest = divmod(label, _ELEMENT_STEP)
    aromatic, charge = divmod(rest, _AROMATIC_STEP)
    return element, bool(aromatic), charge - _CHARGE_OFFSET


@dataclass(eq=False)
class LabeledGraph:
    """Undirected graph with int vertex and edge labels; ``adj[v]`` lists ``(w, edge_label)``."""

    labels: list[int]
    edges: list[tuple[int, int, int]]
    name: str = ""
    hydrogens: int = 0  # implicit and dropped explicit hydrogens (for composition features)
    adj: list[list[tuple[int, int]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.labels = [int(x) for x in self.labels]
        self.adj = [[] for _ in self.labels]
        seen = set()
        for u, v, e in self.edges:
            if u == v or not (0 <= u < len(self.labels) and 0 <= v < len(self.labels)):
                raise ValueError(f"bad edge ({u}, {v})")
            key = (min(u, v), max(u, v))
            if key in seen:
                raise ValueError(f"duplicate edge {key}")
            seen.add(key)
            self.adj[u].append((v, int(e)))
            self.adj[v].append((u, int(e)))

    @property
    def n_vertices(self) -> int:
        return len(self.labels)

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    def permuted(self, perm: Sequence[int]) -> LabeledGraph:
        """The same graph with vertex ``v`` renamed ``perm[v]`` (for invariance tests)."""
        labels = [0] * len(self.labels)
        for v, lab in enumerate(self.labels):
            labels[perm[v]] = lab
        return LabeledGraph(labels, [(perm[u], perm[v], e) for u, v, e in self.edges], self.name, self.hydrogens)


def bond_label(bond: Any) -> int:
    from rdkit import Chem

    if bond.GetIsAromatic():
        return AROMATIC
    bt = bond.GetBondType()
    if bt == Chem.BondType.DOUBLE:
        return DOUBLE
    if bt == Chem.BondType.TRIPLE:
        return TRIPLE
    # Dative, quadruple and the like are rare in organic sets; call them single rather than fail.
    return SINGLE


def from_rdkit(mol: Any, config: LabelConfig = LabelConfig(), name: str = "") -> LabeledGraph:
    """Heavy-atom graph of an RDKit molecule (explicit hydrogens are dropped)."""
    if not config.aromatic and any(b.GetIsAromatic() for b in mol.GetBonds()):
        from rdkit import Chem

        mol = Chem.Mol(mol)  # never modify the caller's molecule
        Chem.Kekulize(mol, clearAromaticFlags=True)
    keep = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() != 1]
    if not keep:  # H2 and friends: keep the hydrogens rather than return an empty graph
        keep = [a.GetIdx() for a in mol.GetAtoms()]
    index = {old: new for new, old in enumerate(keep)}
    labels = []
    for old in keep:
        a = mol.GetAtomWithIdx(old)
        labels.append(
            encode_atom(
                a.GetAtomicNum(),
                config.aromatic and a.GetIsAromatic(),
                a.GetFormalCharge() if config.charge else 0,
            )
        )
    edges = []
    for b in mol.GetBonds():
        u, v = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        if u in index and v in index:
            edges.append((index[u], index[v], bond_label(b)))
    n_h = sum(a.GetTotalNumHs(includeNeighbors=True) for a in mol.GetAtoms() if a.GetIdx() in index)
    return LabeledGraph(labels, edges, name, n_h)


def from_smiles(smiles: str, config: LabelConfig = LabelConfig(), name: str = "") -> LabeledGraph:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"cannot parse SMILES {smiles!r}")
    return from_rdkit(mol, config, name or smiles)


def to_graphs(items: Iterable[Any], config: LabelConfig = LabelConfig()) -> list[LabeledGraph]:
    """Graphs from SMILES strings, RDKit molecules, hohenberg Molecules or graphs (kept as is)."""
    out = []
    for item in items:
        if isinstance(item, LabeledGraph):
            out.append(item)
        elif isinstance(item, str):
            out.append(from_smiles(item, config))
        elif hasattr(item, "GetAtoms"):
            out.append(from_rdkit(item, config))
        elif hasattr(item, "to_rdkit"):
            smiles = getattr(item, "info", {}).get("smiles") if hasattr(item, "info") else None
            out.append(from_rdkit(item.to_rdkit(smiles), config, getattr(item, "name", "")))
        else:
            raise TypeError(f"cannot make a graph from {type(item).__name__}")
    return out
