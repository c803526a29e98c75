"""The complete frequent-pattern tree, enumerated once and kept as a sparse occurrence matrix.

Subgraph boosting asks hundreds to thousands of times for "the pattern with the largest split gain
over the molecules reaching this tree node".  The pruned search (:func:`boost.best_split`) answers
each question exactly, but walks the gSpan tree node by node in Python.  Here the tree is walked
once per fit (at the fit's minimum support and maximum size) and each pattern becomes one column of
a graphs x patterns CSR matrix; one split search is then a sparse product over the rows that reach
the tree node (``r[rows] @ X[rows]`` gives every pattern's residual sum inside the node, column
counts give the sizes), which costs O(occurrences in those rows) in compiled code instead of one
Python visit per pattern.

Exactness: every pattern of the tree is scored, so no bound is needed (the bound of the pruned
search only decides which patterns need not be scored; scoring all of them gives the same argmax).
To return the *same* split as the pruned search, bit for bit, the few patterns whose gain from the
sparse product is within rounding of the best are re-scored with exactly the arithmetic of the
pruned search, and ties go to the first pattern in DFS order, which is the pattern the pruned
search keeps (it only replaces its best on a strictly larger gain).

Patterns with identical support sets are identical split features, so they share one column; the
column is represented by the first such pattern in DFS order (the one the tie rule would pick).

Count thresholds (``max_count > 1``, an extension beyond the published method): besides "contains
g", the features "g occurs at least k times" for k = 2..max_count, each kept if at least
``min_support`` training graphs pass it.  Occurrences are embeddings divided by the pattern's
automorphisms (gSpan's embedding list holds every embedding of the pattern, and each occurrence
has exactly |Aut(g)| of them).  Such a feature is scored right after its pattern's indicator in the
DFS order, so with ``max_count=1`` everything above holds unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hohenberg.subgraph.bounds import split_gain
from hohenberg.subgraph.gspan import PatternNode, PatternTree
from hohenberg.subgraph.match import automorphisms


@dataclass
class PatternLattice:
    """``nodes`` in DFS pre-order; ``features[f] = (node index, k)``: "pattern occurs at least k
    times" (k = 1: contains), in scoring order, with ``supports[f]`` its sorted graph indices;
    ``X`` (graphs x columns, CSR, float ones) holds one column per distinct support set;
    ``rep`` / ``rep_bonded`` give, per column, its first feature / first feature whose pattern has
    at least one bond (-1 if none).  With ``max_count=1`` feature f is node f."""

    nodes: list[PatternNode]
    X: sp.csr_matrix
    rep: np.ndarray
    rep_bonded: np.ndarray
    features: list[tuple[int, int]]
    supports: list[np.ndarray]

    @property
    def n_patterns(self) -> int:
        return len(self.nodes)

    @property
    def n_columns(self) -> int:
        return self.X.shape[1]


def occurrences(node: PatternNode, n_graphs: int) -> np.ndarray:
    """Occurrences of the pattern per graph, from an unexpanded node's embedding list."""
    assert node.embeddings is not None, "node already expanded"
    gids = np.fromiter((gid for gid, _ in node.embeddings), np.int64, len(node.embeddings))
    return np.bincount(gids, minlength=n_graphs) // automorphisms(node.root, node.code)


def build_lattice(tree: PatternTree, max_count: int = 1) -> PatternLattice:
    """Enumerate ``tree`` completely (each node expanded once; embedding lists are dropped as the
    walk goes, so memory holds the supports only) and index the distinct support sets."""
    nodes: list[PatternNode] = []
    features: list[tuple[int, int]] = []
    supports: list[np.ndarray] = []
    column_of: dict[bytes, int] = {}
    rep: list[int] = []
    rep_bonded: list[int] = []
    col_supports: list[np.ndarray] = []
    n_graphs = len(tree.graphs)

    def add(node_index: int, k: int, support: np.ndarray, bonded: bool) -> None:
        f = len(features)
        features.append((node_index, k))
        supports.append(support)
        key = support.astype(np.int32).tobytes()
        c = column_of.get(key)
        if c is None:
            c = column_of[key] = len(rep)
            rep.append(f)
            rep_bonded.append(f if bonded else -1)
            col_supports.append(support)
        elif rep_bonded[c] < 0 and bonded:
            rep_bonded[c] = f

    for node in tree.walk():  # a node is yielded before it is expanded: its embeddings are there
        i = len(nodes)
        nodes.append(node)
        add(i, 1, node.support, node.size > 0)
        if max_count > 1:
            occ = occurrences(node, n_graphs)
            for k in range(2, max_count + 1):
                support = np.flatnonzero(occ >= k)
                if len(support) < tree.min_support:
                    break
                add(i, k, support, node.size > 0)
    lengths = np.fromiter((len(s) for s in col_supports), np.int64, len(col_supports))
    rows = np.concatenate(col_supports) if col_supports else np.zeros(0, np.int64)
    cols = np.repeat(np.arange(len(col_supports), dtype=np.int32), lengths)
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_graphs, len(col_supports)))
    X.sort_indices()
    return PatternLattice(nodes, X, np.asarray(rep, np.int64), np.asarray(rep_bonded, np.int64), features, supports)


@dataclass
class LatticeSplit:
    node: PatternNode
    threshold: int  # split on "occurs at least threshold times" (1: contains)
    support: np.ndarray  # training graphs passing the test
    gain: float


def best_split_lattice(
    lattice: PatternLattice, r: np.ndarray, rows: np.ndarray, min_leaf: int = 1, include_atoms: bool = True
) -> LatticeSplit | None:
    """Same answer as :func:`boost.best_split` on the tree the lattice came from (when it was
    built with ``max_count=1``): the pattern maximising the squared-error reduction of splitting
    ``rows`` by its presence, and the gain."""
    rows = np.asarray(rows)
    n_s = len(rows)
    r_rows = r[rows]
    sum_s = float(r_rows.sum())
    floor = 1e-12 * max(1.0, float((r_rows**2).sum()))  # as in best_split: gains below are rounding
    Xs = lattice.X if n_s == lattice.X.shape[0] and np.array_equal(rows, np.arange(n_s)) else lattice.X[rows]
    sums = Xs.T @ r_rows  # per column: sum of the residuals of the rows containing it
    counts = np.bincount(Xs.indices, minlength=Xs.shape[1])
    rep = lattice.rep if include_atoms else lattice.rep_bonded
    ok = (rep >= 0) & (counts >= min_leaf) & (counts <= n_s - min_leaf) & (counts > 0)
    if not ok.any():
        return None
    m = counts[ok].astype(float)
    s = sums[ok]
    gain = s**2 / m + (sum_s - s) ** 2 / (n_s - m) - sum_s**2 / n_s
    top = float(gain.max())
    # The sparse product sums in another order than numpy, so gains can differ in the last bits:
    # every column within a generous rounding margin of the top is re-scored exactly below.
    scale = float(np.abs(r_rows).sum()) ** 2 / max(1, n_s) + float((r_rows**2).sum())
    margin = 1e-9 * max(abs(top), scale) + floor
    if top + margin <= floor:
        return None
    cand = np.flatnonzero(ok)[gain >= top - margin]
    mask = np.zeros(len(r), bool)
    mask[rows] = True
    best: tuple[int, float] | None = None
    for f in sorted(int(rep[c]) for c in cand):  # DFS order, so ties keep the first pattern
        support = lattice.supports[f]
        inside = support[mask[support]]
        g = split_gain(float(r[inside].sum()), len(inside), sum_s, n_s)
        if g > max(floor, best[1] if best else 0.0):
            best = (f, g)
    if best is None:
        return None
    f, g = best
    node_index, k = lattice.features[f]
    return LatticeSplit(lattice.nodes[node_index], k, lattice.supports[f], g)
