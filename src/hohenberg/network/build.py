"""Networks of molecules from a table: matched molecular pairs and isomers.

**Matched molecular pairs** (``mmp``, Hussain and Rea 2010): every molecule is cut once at each
acyclic single bond that RDKit's ``rdMMPA.FragmentMol`` cuts (its default pattern: a bond from an
sp3/aromatic carbon to any atom), and at each C-H/X-H (hydrogen replacement), giving (constant,
variable) pairs, both with a ``[*:1]`` attachment point.  The variable part is the smaller side:
at most ``max_variable`` heavy atoms and no more than the constant part.  Two molecules that share
a constant part with different variable parts are a matched pair; the edge stores the
transformation as SMIRKS-like text ``[*:1]C>>[*:1]O`` (from the lower node index to the higher)
and the constant part, from which the atom mapping of the pair is recovered (:mod:`.cgr`).

**Isomers** (``isomers``): molecules of one formula are joined when their heavy-atom skeletons
(connectivity and elements, bond orders and hydrogens ignored) become identical after deleting
one bond from each: i.e. one bond moved (which includes moving a terminal heavy atom or group
from one atom to another), or the same skeleton with bond orders / hydrogens placed differently
(double-bond shifts, tautomers).  This is an exact graph-edit rule found by hashing (canonical
SMILES of every one-bond-deleted skeleton), so it needs no pairwise comparison of the up to
6,095 isomers of one formula in QM9.  Fingerprint k-nearest isomers were not built: the edit
rule gives pairs whose atom mapping is known, which the condensed graph of reaction needs.

A :class:`NetworkData` is written as an uncompressed ``.npz`` atomically; strings are stored as
UTF-8 bytes plus offsets, so loading never unpickles.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError
from hohenberg.fileio import atomic_open
from hohenberg.molecules.table import MoleculeTable, decode_text, encode_text

KINDS = ("mmp", "isomers")
FORMAT = "hohenberg.MoleculeNetwork"
FORMAT_VERSION = 1
H_VARIABLE = "[*:1][H]"


@dataclass(eq=False)
class NetworkData:
    """Molecules (``ids``, the table's ids) joined by undirected ``edges`` ``(E, 2)``, ``a < b``.

    ``transform[e]`` indexes ``transforms`` (text from node ``a`` to node ``b``), ``key[e]``
    indexes ``keys`` (the shared constant part, or the shared skeleton); ``meta``: kind, rule,
    parameters, source table, build time."""

    kind: str
    ids: np.ndarray
    edges: np.ndarray
    transform: np.ndarray
    transforms: np.ndarray
    key: np.ndarray
    keys: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.ids = np.asarray(self.ids, dtype=object)
        self.edges = np.asarray(self.edges, dtype=np.int64).reshape(-1, 2)
        self.transform = np.asarray(self.transform, dtype=np.int64)
        self.key = np.asarray(self.key, dtype=np.int64)
        self.transforms = np.asarray(self.transforms, dtype=object)
        self.keys = np.asarray(self.keys, dtype=object)
        if self.kind not in KINDS:
            raise ValueError(f"unknown network kind {self.kind!r}")
        if not (len(self.edges) == len(self.transform) == len(self.key)):
            raise ValueError("edges, transform and key disagree on the edge count")
        if len(self.edges) and (self.edges.min() < 0 or self.edges.max() >= len(self.ids)):
            raise ValueError("an edge names a node that is not in the network")

    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    def edge_text(self, e: int) -> str:
        return str(self.transforms[self.transform[e]])

    def edge_key(self, e: int) -> str:
        return str(self.keys[self.key[e]])

    def neighbours(self) -> list[np.ndarray]:
        """Neighbour node indices of every node (sorted)."""
        if not len(self.edges):
            return [np.zeros(0, np.int64) for _ in range(self.n_nodes)]
        src = np.concatenate([self.edges[:, 0], self.edges[:, 1]])
        dst = np.concatenate([self.edges[:, 1], self.edges[:, 0]])
        order = np.lexsort((dst, src))
        src, dst = src[order], dst[order]
        bounds = np.searchsorted(src, np.arange(self.n_nodes + 1))
        return [dst[bounds[i]:bounds[i + 1]] for i in range(self.n_nodes)]

    def subnetwork(self, nodes: np.ndarray) -> NetworkData:
        """The network induced on ``nodes`` (node indices; renumbered in the given order)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        new = np.full(self.n_nodes, -1, np.int64)
        new[nodes] = np.arange(len(nodes))
        keep = (new[self.edges[:, 0]] >= 0) & (new[self.edges[:, 1]] >= 0) if len(self.edges) else np.zeros(0, bool)
        e = new[self.edges[keep]]
        flip = e[:, 0] > e[:, 1]
        # the transformation text runs from a to b: a renumbering that swaps them reverses it
        text = [str(self.transforms[t]) for t in self.transform[keep]]
        text = [_reverse(t) if f else t for t, f in zip(text, flip)]
        vocab, idx = np.unique(np.asarray(text, dtype=object), return_inverse=True) if text else (np.zeros(0, object), np.zeros(0, np.int64))
        e = np.sort(e, axis=1)
        return NetworkData(self.kind, self.ids[nodes], e, idx, vocab, self.key[keep], self.keys,
                           dict(self.meta, subnetwork_of=self.meta.get("table", ""), nodes_from=int(self.n_nodes)))

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        arrays = {"edges": self.edges, "transform": self.transform, "key": self.key}
        for name, values in (("ids", self.ids), ("transforms", self.transforms), ("keys", self.keys)):
            arrays.update(encode_text(name, values))
        header = {"format": FORMAT, "version": FORMAT_VERSION, "kind": self.kind, "meta": self.meta}
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        with atomic_open(path) as fh:
            np.savez(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> NetworkData:
        path = Path(path)
        if not path.is_file():
            raise InputError(path, "no such network file")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            header = json.loads(arrays["header"].tobytes().decode())
            if header.get("format") != FORMAT:
                raise ValueError("not a molecule network (no network header)")
            text = {n: decode_text(arrays[f"{n}/blob"], arrays[f"{n}/offsets"]) for n in ("ids", "transforms", "keys")}
            return cls(header["kind"], text["ids"], arrays["edges"], arrays["transform"], text["transforms"],
                       arrays["key"], text["keys"], header.get("meta", {}))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(path, f"not a readable network file ({exc})") from None
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(path, f"not a valid network file ({exc})") from None


def _reverse(text: str) -> str:
    a, sep, b = text.partition(">>")
    return f"{b}>>{a}" if sep else text


# -- statistics ------------------------------------------------------------------------------
def network_statistics(net: NetworkData) -> dict:
    """Nodes, edges, connected components, isolated nodes, degree distribution, transformations."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = net.n_nodes
    deg = np.bincount(net.edges.ravel(), minlength=n) if n else np.zeros(0, np.int64)
    if n:
        adj = coo_matrix((np.ones(net.n_edges), (net.edges[:, 0], net.edges[:, 1])), shape=(n, n))
        n_comp, labels = connected_components(adj, directed=False)
        sizes = np.bincount(labels)
    else:
        n_comp, sizes = 0, np.zeros(0, np.int64)
    nonisolated = sizes[sizes > 1]
    q = (lambda p: float(np.percentile(deg, p))) if n else (lambda p: 0.0)
    top = np.bincount(net.transform, minlength=len(net.transforms)) if net.n_edges else np.zeros(0, np.int64)
    order = np.argsort(-top)[:5] if len(top) else []
    return {
        "kind": net.kind, "rule": net.meta.get("rule", ""), "nodes": int(n), "edges": int(net.n_edges),
        "components": int(n_comp), "components_with_edges": int(len(nonisolated)),
        "isolated_nodes": int((deg == 0).sum()), "largest_component_nodes": int(sizes.max()) if len(sizes) else 0,
        "degree": {"mean": float(deg.mean()) if n else 0.0, "median": q(50), "p90": q(90), "p99": q(99),
                   "max": int(deg.max()) if n else 0,
                   "histogram": {str(k): int(v) for k, v in zip(*_degree_bins(deg))}},
        "transformations": int(len(net.transforms)),
        "top_transformations": {str(net.transforms[i]): int(top[i]) for i in order},
        "build_s": net.meta.get("build_s"),
    }


def _degree_bins(deg: np.ndarray) -> tuple[list[str], list[int]]:
    edges = [0, 1, 2, 3, 5, 10, 20, 50, 100, 1000, 10**9]
    names, counts = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        names.append(f"{lo}" if hi == lo + 1 else (f"{lo}-{hi - 1}" if hi < 10**9 else f">={lo}"))
        counts.append(int(((deg >= lo) & (deg < hi)).sum()))
    return names, counts


# -- matched molecular pairs -------------------------------------------------------------------
def _heavy(smiles: str) -> int:
    """Heavy atoms of a fragment SMILES (the attachment point is not an atom of the fragment)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    return 0 if mol is None else sum(1 for a in mol.GetAtoms() if a.GetAtomicNum() > 1)


def mmp_cuts(smiles: str, max_variable: int = 5, hydrogens: bool = True,
             _heavy_cache: dict | None = None) -> list[tuple[str, str]]:
    """(constant, variable) pairs of one molecule's single cuts (module docstring); [] if unparsable."""
    from rdkit import Chem
    from rdkit.Chem import rdMMPA

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return []
    cache = {} if _heavy_cache is None else _heavy_cache
    out = set()
    for _, chains in rdMMPA.FragmentMol(mol, maxCuts=1, resultsAsMols=False):
        parts = chains.split(".")
        if len(parts) != 2:
            continue
        sizes = []
        for p in parts:
            if p not in cache:
                cache[p] = _heavy(p)
            sizes.append(cache[p])
        for (c, nc), (v, nv) in (((parts[0], sizes[0]), (parts[1], sizes[1])),
                                 ((parts[1], sizes[1]), (parts[0], sizes[0]))):
            if nv <= max_variable and nv <= nc:
                out.add((c, v))
    if hydrogens:
        seen_rank = set()
        ranks = list(Chem.CanonicalRankAtoms(mol, breakTies=False))
        for atom in mol.GetAtoms():
            if atom.GetTotalNumHs() == 0 or ranks[atom.GetIdx()] in seen_rank:
                continue  # symmetry-equivalent atoms give the same constant part: one is enough
            seen_rank.add(ranks[atom.GetIdx()])
            n_h = atom.GetTotalNumHs()
            rw = Chem.RWMol(mol)
            d = rw.AddAtom(Chem.Atom(0))
            rw.GetAtomWithIdx(d).SetAtomMapNum(1)
            rw.AddBond(atom.GetIdx(), d, Chem.BondType.SINGLE)
            a = rw.GetAtomWithIdx(atom.GetIdx())
            a.SetNumExplicitHs(n_h - 1)
            a.SetNoImplicit(True)
            try:
                Chem.SanitizeMol(rw)
            except Exception:  # a valence RDKit cannot place: no hydrogen replacement there
                continue
            out.add((Chem.MolToSmiles(rw), H_VARIABLE))
    return sorted(out)


def _pairs_from_groups(groups: dict, n_nodes: int, max_group: int | None) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Edges between members of each group whose labels differ; first (smallest group) wins."""
    pair_codes, key_of, text_of = [], [], []
    keys, texts, text_index = [], [], {}
    # smallest groups first, and an unchanged skeleton ("|=|") before a moved bond: the most
    # specific relation of a pair is the one its edge keeps
    for key, members in sorted(groups.items(), key=lambda kv: (len(kv[1]), "|=|" not in kv[0], kv[0])):
        if len(members) < 2:
            continue
        if max_group is not None and len(members) > max_group:
            continue  # a constant part shared by hundreds: its clique says little and costs much
        nodes = np.array([m for m, _ in members], dtype=np.int64)
        labels = [lab for _, lab in members]
        i, j = np.triu_indices(len(members), 1)
        ok = np.array([labels[a] != labels[b] for a, b in zip(i, j)], dtype=bool) & (nodes[i] != nodes[j])
        if not ok.any():
            continue
        i, j = i[ok], j[ok]
        lo, hi = np.minimum(nodes[i], nodes[j]), np.maximum(nodes[i], nodes[j])
        keys.append(key)
        kid = len(keys) - 1
        for a, b, x, y in zip(lo, hi, i, j):
            la, lb = (labels[x], labels[y]) if nodes[x] == a else (labels[y], labels[x])
            t = f"{la}>>{lb}"
            if t not in text_index:
                text_index[t] = len(texts)
                texts.append(t)
            text_of.append(text_index[t])
        pair_codes.append(lo * n_nodes + hi)
        key_of.append(np.full(len(lo), kid))
    if not pair_codes:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64), [], []
    codes = np.concatenate(pair_codes)
    kids = np.concatenate(key_of)
    tids = np.asarray(text_of, dtype=np.int64)
    codes_u, first = np.unique(codes, return_index=True)  # first occurrence: the smallest group
    edges = np.column_stack([codes_u // n_nodes, codes_u % n_nodes])
    return edges, np.column_stack([kids[first], tids[first]]), keys, texts


def mmp_network(smiles: Sequence[str], ids: Sequence[str], max_variable: int = 5, hydrogens: bool = True,
                max_group: int | None = None, progress: Callable[[int, int], None] | None = None) -> NetworkData:
    """Matched-molecular-pair network of molecules given as SMILES (module docstring)."""
    from rdkit import RDLogger

    t0 = time.perf_counter()
    groups: dict[str, list] = defaultdict(list)
    cache: dict = {}
    RDLogger.DisableLog("rdApp.*")
    try:
        for i, s in enumerate(smiles):
            for const, var in mmp_cuts(str(s), max_variable, hydrogens, cache):
                groups[const].append((i, var))
            if progress is not None and (i + 1) % 5000 == 0:
                progress(i + 1, len(smiles))
    finally:
        RDLogger.EnableLog("rdApp.*")
    edges, kt, keys, texts = _pairs_from_groups(groups, len(smiles), max_group)
    meta = {"rule": f"single-cut MMP (rdMMPA{' + hydrogen replacement' if hydrogens else ''}), variable part "
                    f"<= {max_variable} heavy atoms and <= the constant part",
            "max_variable": max_variable, "hydrogens": hydrogens, "max_group": max_group,
            "build_s": round(time.perf_counter() - t0, 2)}
    return NetworkData("mmp", np.asarray(ids, dtype=object), edges, kt[:, 1] if len(kt) else np.zeros(0),
                       np.asarray(texts, dtype=object), kt[:, 0] if len(kt) else np.zeros(0),
                       np.asarray(keys, dtype=object), meta)


# -- isomers ------------------------------------------------------------------------------------
def skeleton(mol):
    """Heavy-atom graph of ``mol``: elements and connectivity only (all bonds single, no H)."""
    from rdkit import Chem

    rw = Chem.RWMol()
    for atom in mol.GetAtoms():
        a = Chem.Atom(atom.GetAtomicNum())
        a.SetNoImplicit(True)
        rw.AddAtom(a)
    for bond in mol.GetBonds():
        rw.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), Chem.BondType.SINGLE)
    return rw


def skeleton_keys(mol) -> list[tuple[str, tuple[int, int] | None]]:
    """Canonical SMILES of the skeleton and of the skeleton minus each bond, with the bond removed."""
    from rdkit import Chem

    sk = skeleton(mol)
    sk.UpdatePropertyCache(strict=False)
    out = [(Chem.MolToSmiles(sk), None)]
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        rw = Chem.RWMol(sk)
        rw.RemoveBond(i, j)
        rw.UpdatePropertyCache(strict=False)
        out.append((Chem.MolToSmiles(rw), (i, j)))
    return out


def formula_keys(table: MoleculeTable) -> np.ndarray:
    """One integer per molecule, equal exactly for molecules of one formula."""
    elements = np.unique(table.numbers)
    counts = table.element_counts(elements)
    _, inverse = np.unique(counts, axis=0, return_inverse=True)
    return inverse.ravel()


def isomer_network(smiles: Sequence[str], ids: Sequence[str], formulas: np.ndarray, max_group: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> NetworkData:
    """Isomer network (module docstring): same formula, skeletons equal after one bond deletion each."""
    from rdkit import Chem, RDLogger

    t0 = time.perf_counter()
    groups: dict[str, list] = defaultdict(list)
    RDLogger.DisableLog("rdApp.*")
    try:
        for i, s in enumerate(smiles):
            mol = Chem.MolFromSmiles(str(s))
            if mol is None:
                continue
            # a molecule's own SMILES tells apart the members; the formula keeps isomers only
            for key, removed in skeleton_keys(mol):
                groups[f"{formulas[i]}|{'=' if removed is None else '-'}|{key}"].append((i, str(s)))
            if progress is not None and (i + 1) % 5000 == 0:
                progress(i + 1, len(smiles))
    finally:
        RDLogger.EnableLog("rdApp.*")
    edges, kt, keys, _ = _pairs_from_groups(groups, len(smiles), max_group)
    # the edge's text says which edit it is; the key (skeleton) gives the atom mapping
    kinds = ["bond-order/hydrogen shift" if "|=|" in k else "bond move" for k in keys]
    vocab = np.asarray(sorted(set(kinds)), dtype=object)
    where = {t: i for i, t in enumerate(vocab)}
    transform = np.array([where[kinds[k]] for k in kt[:, 0]], dtype=np.int64) if len(kt) else np.zeros(0)
    meta = {"rule": "same formula; heavy-atom skeletons equal after deleting one bond from each (one bond "
                    "moved) or equal (bond orders / hydrogens differ)", "max_group": max_group,
            "build_s": round(time.perf_counter() - t0, 2)}
    return NetworkData("isomers", np.asarray(ids, dtype=object), edges, transform, vocab,
                       kt[:, 0] if len(kt) else np.zeros(0), np.asarray(keys, dtype=object), meta)


def table_network(table: MoleculeTable, kind: str, rows: np.ndarray | None = None, max_variable: int = 5,
                  hydrogens: bool = True, max_group: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> NetworkData:
    """The ``kind`` network of ``table`` (or of its ``rows``); SMILES from the table's column or the geometry."""
    if kind not in KINDS:
        raise InputError(None, f"network kind must be one of {', '.join(KINDS)}, not {kind!r}")
    sub = table if rows is None else table.take(rows)
    if len(sub) == 0:
        raise InputError(None, "the table has no molecules: no network to build")
    from hohenberg.datasets.splits import table_smiles

    smiles = table_smiles(sub)
    if kind == "mmp":
        net = mmp_network(smiles, sub.ids, max_variable, hydrogens, max_group, progress)
    else:
        net = isomer_network(smiles, sub.ids, formula_keys(sub), max_group, progress)
    net.meta.update({"table_source": sub.meta.get("source_kind", sub.meta.get("source", "")),
                     "table_molecules": len(sub)})
    return net


def is_network_file(path: str | Path) -> bool:
    """Whether ``path`` is a network written by ``data network`` (and not a molecule table)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return "edges.npy" in zf.namelist() and "transform.npy" in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
