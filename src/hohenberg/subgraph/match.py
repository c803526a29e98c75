"""Does a graph contain a pattern?  Backtracking along the pattern's DFS code.

Used to compute features of unseen molecules at prediction time; during training the supports
come from gSpan's embedding lists instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from hohenberg.subgraph.dfs import Edge, code_to_graph
from hohenberg.subgraph.graph import LabeledGraph


def contains(g: LabeledGraph, code: Sequence[Edge], root: int | None = None) -> bool:
    """Whether ``g`` has a subgraph isomorphic to the pattern ``(root, code)``."""
    if not code:
        return root in g.labels
    first = code[0][2]
    for v, lab in enumerate(g.labels):
        if lab == first and _extend(g, code, 0, [v]):
            return True
    return False


def count_embeddings(g: LabeledGraph, code: Sequence[Edge], root: int | None = None) -> int:
    """Number of vertex mappings of the pattern into ``g`` (automorphic copies counted)."""
    if not code:
        return sum(lab == root for lab in g.labels)
    return sum(_count(g, code, 0, [v]) for v, lab in enumerate(g.labels) if lab == code[0][2])


def automorphisms(root: int, code: Sequence[Edge]) -> int:
    """|Aut(g)| of the pattern ``(root, code)``: its embeddings into itself.  Embeddings of a
    connected pattern with the same image differ by an automorphism, so occurrences (distinct
    subgraphs of a graph isomorphic to the pattern) are embeddings / |Aut(g)|."""
    return count_embeddings(code_to_graph(code, root), code, root) if code else 1


def count_occurrences(g: LabeledGraph, code: Sequence[Edge], root: int | None = None, aut: int | None = None) -> int:
    """Occurrences of the pattern in ``g`` (automorphic copies counted once)."""
    return count_embeddings(g, code, root) // (aut or automorphisms(root, code))


def _candidates(g: LabeledGraph, edge: Edge, m: list[int]):
    i, j, _, e, lj = edge
    if j < len(m):  # backward edge: both ends already mapped
        if any(w == m[j] and le == e for w, le in g.adj[m[i]]):
            yield None
        return
    for w, le in g.adj[m[i]]:
        if le == e and g.labels[w] == lj and w not in m:
            yield w


def _extend(g: LabeledGraph, code: Sequence[Edge], pos: int, m: list[int]) -> bool:
    if pos == len(code):
        return True
    for w in _candidates(g, code[pos], m):
        if _extend(g, code, pos + 1, m if w is None else m + [w]):
            return True
    return False


def _count(g: LabeledGraph, code: Sequence[Edge], pos: int, m: list[int]) -> int:
    if pos == len(code):
        return 1
    return sum(_count(g, code, pos + 1, m if w is None else m + [w]) for w in _candidates(g, code[pos], m))
