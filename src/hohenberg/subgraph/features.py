"""Pattern indicator matrices for graphs the search never saw (prediction time)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from hohenberg.subgraph.dfs import Code
from hohenberg.subgraph.graph import LabeledGraph
from hohenberg.subgraph.match import automorphisms, contains, count_embeddings, count_occurrences


def indicator_matrix(graphs: Sequence[LabeledGraph], patterns: Sequence[tuple[int, Code]]) -> sp.csc_matrix:
    """``X[i, j] = 1`` when graph i contains pattern j, as a sparse (graphs x patterns) matrix."""
    return _pattern_matrix(graphs, patterns, counts=False)


def occurrence_matrix(graphs: Sequence[LabeledGraph], patterns: Sequence[tuple[int, Code]]) -> sp.csc_matrix:
    """``X[i, j]``: occurrences of pattern j in graph i (embeddings / automorphisms), sparse."""
    return _pattern_matrix(graphs, patterns, counts=True)


def _pattern_matrix(graphs: Sequence[LabeledGraph], patterns: Sequence[tuple[int, Code]], counts: bool) -> sp.csc_matrix:
    """One gSpan search over ``graphs`` (min support 1) that only enters the ancestors of the
    wanted patterns: the ancestors of a pattern in gSpan's tree are the prefixes of its minimum DFS
    code, so the search visits a few nodes per pattern and finds every graph containing each
    one, with embedding counts, in one pass instead of one backtracking match per (graph,
    pattern).  A code that is not minimal (not from gSpan) is matched by backtracking."""
    from hohenberg.subgraph.dfs import is_min
    from hohenberg.subgraph.gspan import PatternTree

    graphs = list(graphs)
    want: dict[tuple[int, Code], list[int]] = {}
    prefixes: set = set()
    slow: list[int] = []
    for j, (root, code) in enumerate(patterns):
        if code and not is_min(code):
            slow.append(j)
            continue
        want.setdefault((root, code), []).append(j)
        prefixes.update((root, code[:k]) for k in range(len(code) + 1))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    data: list[np.ndarray] = []
    if want and graphs:
        tree = PatternTree(graphs, 1, max(len(c) for _, c in want), counts=counts)

        def visit(node) -> bool:
            if node.key not in prefixes:
                return False
            for j in want.get(node.key, ()):
                rows.append(node.support)
                cols.append(np.full(len(node.support), j))
                data.append(node.counts.astype(float) if counts else np.ones(len(node.support)))
            return True

        tree.search(visit)
    for j in slow:
        root, code = patterns[j]
        if counts:
            aut = automorphisms(root, code)
            vals = np.array([count_occurrences(g, code, root, aut) for g in graphs], float)
        else:
            vals = np.array([contains(g, code, root) for g in graphs], float)
        hit = np.flatnonzero(vals)
        rows.append(hit)
        cols.append(np.full(len(hit), j))
        data.append(vals[hit])
    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt))
    return sp.csc_matrix((cat(data, float), (cat(rows, np.int64), cat(cols, np.int64))), shape=(len(graphs), len(patterns)))


def embedding_count_matrix(graphs: Sequence[LabeledGraph], patterns: Sequence[tuple[int, Code]]) -> np.ndarray:
    return np.array([[count_embeddings(g, code, root) for root, code in patterns] for g in graphs], float)


def code_to_json(code: Code) -> list[list[int]]:
    return [list(e) for e in code]


def code_from_json(data: list[list[int]]) -> Code:
    return tuple(tuple(int(x) for x in e) for e in data)  # type: ignore[return-value]
