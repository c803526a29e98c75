"""DFS codes (Yan & Han's gSpan): canonical form of a connected labelled graph.

A DFS code is a tuple of edges ``(i, j, label_i, edge_label, label_j)`` in the order a depth-first
traversal meets them; ``i < j`` is a forward (tree) edge, ``i > j`` a backward (ring-closing)
edge.  Among all DFS codes of a graph the lexicographically smallest, in gSpan's edge order, is
its canonical form, so two graphs are isomorphic iff their minimum codes are equal.  The minimum
is built greedily: at each step the smallest rightmost extension over all partial embeddings
wins, with backward edges (to the lowest vertex first) before forward edges, and forward edges
from the deepest rightmost-path vertex first.  That priority is exactly gSpan's edge order for
rightmost extensions, which is why the greedy choice is optimal.
"""

from __future__ import annotations

from collections.abc import Sequence

from hohenberg.subgraph.graph import LabeledGraph

Edge = tuple[int, int, int, int, int]
Code = tuple[Edge, ...]


def vertex_labels(code: Sequence[Edge], root: int | None = None) -> list[int]:
    """Label of every DFS vertex; ``root`` labels the lone vertex of an edgeless pattern."""
    if not code:
        return [] if root is None else [root]
    labels = [code[0][2]]
    for i, j, li, e, lj in code:
        if j > i:
            labels.append(lj)
    return labels


def code_to_graph(code: Sequence[Edge], root: int | None = None) -> LabeledGraph:
    return LabeledGraph(vertex_labels(code, root), [(i, j, e) for i, j, _, e, _ in code])


def rightmost_path(code: Sequence[Edge]) -> list[int]:
    """DFS vertices from the rightmost (last discovered) vertex back up to the root."""
    if not code:
        return [0]
    right = max(j for i, j, *_ in code if j > i)
    path = [right]
    for i, j, *_ in reversed(code):
        if j > i and j == path[-1]:
            path.append(i)
    return path


def _first_edges(g: LabeledGraph) -> tuple[Edge, list[list[int]]]:
    best = None
    embs: list[list[int]] = []
    for u, v, e in g.edges:
        for a, b in ((u, v), (v, u)):
            t = (0, 1, g.labels[a], e, g.labels[b])
            if best is None or t < best:
                best, embs = t, [[a, b]]
            elif t == best:
                embs.append([a, b])
    assert best is not None
    return best, embs


def _next_edge(
    g: LabeledGraph, embs: list[list[int]], pairs: set[tuple[int, int]], labels: list[int], path: list[int]
) -> tuple[Edge, list[list[int]]] | None:
    """Smallest rightmost extension over the embeddings ``embs`` in ``g`` of a code whose DFS
    vertices carry ``labels`` and whose rightmost path (rightmost vertex first) is ``path``."""
    r = path[0]
    n = len(labels)
    on_path = set(path[1:])
    # Backward edges from the rightmost vertex: lowest target first, then lowest edge label.
    best = None
    keep: list[list[int]] = []
    for m in embs:
        for w, e in g.adj[m[r]]:
            if w in m:
                k = m.index(w)
                if k in on_path and (k, r) not in pairs:
                    t = (r, k, labels[r], e, labels[k])
                    if best is None or (k, e) < (best[1], best[3]):
                        best, keep = t, [m]
                    elif t == best:
                        keep.append(m)
    if best is not None:
        return best, keep
    # Forward edges: from the deepest rightmost-path vertex that has any.
    used = [set(m) for m in embs]
    glabels = g.labels
    for k in path:
        lk = labels[k]
        for m, u in zip(embs, used):
            for w, e in g.adj[m[k]]:
                if w not in u:
                    lw = glabels[w]
                    if best is None or (e, lw) < (best[3], best[4]):
                        best, keep = (k, n, lk, e, lw), [m + [w]]
                    elif e == best[3] and lw == best[4]:
                        keep.append(m + [w])
        if best is not None:
            return best, keep
    return None


def _advance(edge: Edge, pairs: set, labels: list[int], path: list[int]) -> list[int]:
    """Update the bookkeeping of a code after appending ``edge``; returns the new path."""
    i, j = edge[0], edge[1]
    pairs.add((min(i, j), max(i, j)))
    if j > i:  # forward: the new vertex becomes the rightmost, hanging below i
        labels.append(edge[4])
        return [j] + path[path.index(i):]
    return path


def min_code(g: LabeledGraph) -> Code:
    """Minimum DFS code of a connected graph with at least one edge."""
    if not g.edges:
        raise ValueError("an edgeless graph has no DFS code; use its vertex label")
    first, embs = _first_edges(g)
    code = [first]
    pairs = {(0, 1)}
    labels = [first[2], first[4]]
    path = [1, 0]
    while len(code) < g.n_edges:
        step = _next_edge(g, embs, pairs, labels, path)
        if step is None:
            raise ValueError("graph is not connected")
        edge, embs = step
        code.append(edge)
        path = _advance(edge, pairs, labels, path)
    return tuple(code)


def is_min(code: Sequence[Edge]) -> bool:
    """Whether ``code`` is the minimum DFS code of the graph it describes (stops at the first
    position where a smaller extension exists, which is what makes gSpan's check cheap)."""
    g = code_to_graph(code)
    first, embs = _first_edges(g)
    if first != code[0]:
        return False
    pairs = {(0, 1)}
    labels = [first[2], first[4]]
    path = [1, 0]
    for edge in code[1:]:
        step = _next_edge(g, embs, pairs, labels, path)
        if step is None or step[0] != edge:
            return False
        embs = step[1]
        path = _advance(edge, pairs, labels, path)
    return True


def canonical_key(g: LabeledGraph) -> tuple[int, Code]:
    """``(root label, minimum code)``: equal for isomorphic connected graphs, edgeless included."""
    if not g.edges:
        if g.n_vertices != 1:
            raise ValueError("an edgeless pattern must be a single vertex")
        return g.labels[0], ()
    code = min_code(g)
    return code[0][2], code
