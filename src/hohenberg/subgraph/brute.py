"""Reference enumeration of all connected subgraphs by brute force (tests only: exponential).

Every connected edge subset of every graph is grown edge by edge, deduplicated as a set of edge
indices, and named by its minimum DFS code; single atoms are named by their label.
"""

from __future__ import annotations

from collections.abc import Sequence

from hohenberg.subgraph.dfs import Code, canonical_key
from hohenberg.subgraph.graph import LabeledGraph


def connected_edge_subsets(g: LabeledGraph, max_size: int | None = None) -> set[frozenset[int]]:
    incident: list[list[int]] = [[] for _ in g.labels]
    for k, (u, v, _) in enumerate(g.edges):
        incident[u].append(k)
        incident[v].append(k)
    level = {frozenset([k]) for k in range(g.n_edges)}
    found = set(level)
    size = 1
    while level and (max_size is None or size < max_size):
        nxt = set()
        for s in level:
            verts = {x for k in s for x in g.edges[k][:2]}
            for v in verts:
                for k in incident[v]:
                    if k not in s:
                        nxt.add(s | {k})
        nxt -= found
        found |= nxt
        level = nxt
        size += 1
    return found


def subgraph_of(g: LabeledGraph, edge_ids: frozenset[int]) -> LabeledGraph:
    verts = sorted({x for k in edge_ids for x in g.edges[k][:2]})
    index = {v: i for i, v in enumerate(verts)}
    return LabeledGraph(
        [g.labels[v] for v in verts], [(index[g.edges[k][0]], index[g.edges[k][1]], g.edges[k][2]) for k in edge_ids]
    )


def brute_force_supports(
    graphs: Sequence[LabeledGraph], min_support: int = 1, max_size: int | None = None
) -> dict[tuple[int, Code], int]:
    """``{(root label, min DFS code): support}`` for every pattern with enough support."""
    holders: dict[tuple[int, Code], set[int]] = {}
    for gid, g in enumerate(graphs):
        for lab in set(g.labels):
            holders.setdefault((lab, ()), set()).add(gid)
        if max_size == 0:
            continue
        for s in connected_edge_subsets(g, max_size):
            holders.setdefault(canonical_key(subgraph_of(g, s)), set()).add(gid)
    return {k: len(v) for k, v in holders.items() if len(v) >= min_support}
