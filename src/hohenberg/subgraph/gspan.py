"""gSpan pattern search as a lazily built tree that learners walk with their own pruning.

Every connected subgraph that occurs in at least ``min_support`` training graphs is one node of
gSpan's enumeration tree: its parent is the pattern with its last DFS-code edge removed, and only
minimum DFS codes are kept, so each pattern appears exactly once.  A node stores the set of
graphs that contain it (its support) and, until it is expanded, its embedding list.

Supports only shrink from a node to its descendants (anti-monotonicity).  A learner passes a
visitor to :func:`search`; the visitor scores each node and returns whether its subtree may still
hold something better, which is how the bounds of Takigawa & Mamitsuka (sparse regression) and of
boosting prune whole subtrees.  Expanded nodes keep their children, so the many searches of one
fit (a regularisation path, hundreds of tree splits) pay for each expansion only once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from hohenberg.subgraph.dfs import Code, Edge, is_min, rightmost_path, vertex_labels
from hohenberg.subgraph.graph import LabeledGraph, LabelConfig
from hohenberg.subgraph.match import automorphisms
from hohenberg.subgraph.smarts import code_to_smarts

Embedding = tuple[int, tuple[int, ...]]  # (graph index, DFS vertex -> graph vertex)


@dataclass(eq=False)
class PatternNode:
    """One frequent pattern: ``root`` labels DFS vertex 0, ``code`` is its minimum DFS code
    (empty for a single atom), ``support`` the sorted indices of the graphs containing it;
    ``counts`` (only when the tree was built with ``counts=True``) its occurrences in each of
    those graphs, aligned with ``support``."""

    root: int
    code: Code
    support: np.ndarray
    embeddings: list[Embedding] | None = field(default=None, repr=False)
    children: list[PatternNode] | None = field(default=None, repr=False)
    counts: np.ndarray | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        """Number of edges (bonds)."""
        return len(self.code)

    @property
    def key(self) -> tuple[int, Code]:
        return self.root, self.code

    def smarts(self, config: LabelConfig = LabelConfig()) -> str:
        return code_to_smarts(self.code, self.root, config)


@dataclass
class SearchStats:
    visited: int = 0  # visitor calls, over all searches
    expanded: int = 0  # nodes whose children were generated (each once per tree)
    created: int = 0  # nodes ever built: the part of the full tree this fit touched


class PatternTree:
    """The gSpan enumeration tree over ``graphs``, built only where a search goes."""

    def __init__(
        self, graphs: Sequence[LabeledGraph], min_support: int = 1, max_size: int | None = None, counts: bool = False
    ):
        if min_support < 1:
            raise ValueError("min_support must be at least 1")
        self.graphs = list(graphs)
        self.min_support = int(min_support)
        self.max_size = max_size
        self.counts = counts
        self.stats = SearchStats()
        self._roots: list[PatternNode] | None = None

    def roots(self) -> list[PatternNode]:
        """One node per frequent atom label, in label order."""
        if self._roots is None:
            groups: dict[int, list[Embedding]] = {}
            for gid, g in enumerate(self.graphs):
                for v, lab in enumerate(g.labels):
                    groups.setdefault(lab, []).append((gid, (v,)))
            self._roots = [n for lab in sorted(groups) if (n := self._node(lab, (), groups[lab])) is not None]
        return self._roots

    def _node(self, root: int, code: Code, embs: list[Embedding]) -> PatternNode | None:
        gids = np.fromiter((gid for gid, _ in embs), np.int64, len(embs))
        if not self.counts:
            support = np.unique(gids)
            if len(support) < self.min_support:
                return None
            self.stats.created += 1
            return PatternNode(root, code, support, embs)
        support, n_embs = np.unique(gids, return_counts=True)
        if len(support) < self.min_support:
            return None
        self.stats.created += 1
        # The embedding list holds every embedding; each occurrence has |Aut| of them.
        return PatternNode(root, code, support, embs, counts=n_embs // automorphisms(root, code))

    def children(self, node: PatternNode) -> list[PatternNode]:
        if node.children is not None:
            return node.children
        self.stats.expanded += 1
        kids: list[PatternNode] = []
        if self.max_size is None or node.size < self.max_size:
            for edge, embs in sorted(_extensions(self.graphs, node).items()):
                code = node.code + (edge,)
                if len({gid for gid, _ in embs}) >= self.min_support and is_min(code):
                    child = self._node(node.root, code, embs)
                    if child is not None:
                        kids.append(child)
        node.children = kids
        node.embeddings = None  # the children hold everything the subtree needs
        return kids

    def search(self, visit: Callable[[PatternNode], bool]) -> None:
        """Depth-first walk; ``visit(node)`` returns False to skip the node's whole subtree."""
        stack = list(reversed(self.roots()))
        while stack:
            node = stack.pop()
            self.stats.visited += 1
            if visit(node):
                stack.extend(reversed(self.children(node)))

    def walk(self) -> Iterator[PatternNode]:
        """Every frequent pattern (the complete, unpruned enumeration)."""
        stack = list(reversed(self.roots()))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(self.children(node)))


    def count(self) -> int:
        """Size of the complete enumeration, streamed: every expanded node is released at once, so
        memory holds only the depth-first frontier (used to measure what pruning saves).  The tree
        cannot be searched afterwards."""
        total = 0
        stack = list(reversed(self.roots()))
        self._roots = None
        while stack:
            node = stack.pop()
            total += 1
            stack.extend(reversed(self.children(node)))
            node.children = None
        return total


def _extensions(graphs: Sequence[LabeledGraph], node: PatternNode) -> dict[Edge, list[Embedding]]:
    """Rightmost extensions of ``node`` over its embeddings, grouped by the new DFS edge.

    Extensions that cannot give a minimum code are dropped early: a minimum code starts with the
    smallest edge (as ``(label, edge label, label)`` with the smaller label first), so a new edge
    whose triple is smaller than the first edge's, or a new vertex labelled below the root's
    label, always fails the minimality check."""
    assert node.embeddings is not None, "node already expanded"
    code = node.code
    labels = vertex_labels(code, node.root)
    path = rightmost_path(code)
    r = path[0]
    n = len(labels)
    root = labels[0]
    first = code[0][2:] if code else None
    pairs = {(min(i, j), max(i, j)) for i, j, *_ in code}
    back_targets = [k for k in path[1:] if (k, r) not in pairs]
    out: dict[Edge, list[Embedding]] = {}
    get = out.get
    for gid, m in node.embeddings:
        g = graphs[gid]
        adj = g.adj
        glabels = g.labels
        if back_targets:
            for w, e in adj[m[r]]:
                for k in back_targets:
                    if m[k] == w:
                        key = (r, k, labels[r], e, labels[k])
                        lst = get(key)
                        if lst is None:
                            out[key] = [(gid, m)]
                        else:
                            lst.append((gid, m))
        for k in path:
            lk = labels[k]
            for w, e in adj[m[k]]:
                lw = glabels[w]
                if lw < root or w in m:
                    continue
                key = (k, n, lk, e, lw)
                lst = get(key)
                if lst is None:
                    out[key] = [(gid, m + (w,))]
                else:
                    lst.append((gid, m + (w,)))
    if first is not None:
        for key in [key for key in out if _triple(key) < first]:
            del out[key]
    return out


def _triple(edge: Edge) -> tuple[int, int, int]:
    _, _, a, e, b = edge
    return (a, e, b) if a <= b else (b, e, a)


def mine(
    graphs: Sequence[LabeledGraph], min_support: int = 1, max_size: int | None = None
) -> list[PatternNode]:
    """All connected patterns (single atoms included) with support >= ``min_support``."""
    return list(PatternTree(graphs, min_support, max_size).walk())
