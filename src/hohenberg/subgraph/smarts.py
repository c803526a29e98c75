"""SMARTS for a pattern, written straight from its DFS code.

The DFS code already is a depth-first spanning tree plus ring closures (its backward edges), which
is what a SMILES/SMARTS string is, so writing needs no RDKit canonicalisation and the string
states exactly the labels the search used: element, and aromaticity / charge when they were part
of the vertex label.
"""

from __future__ import annotations

from collections.abc import Sequence

from hohenberg.subgraph.dfs import Edge, vertex_labels
from hohenberg.subgraph.graph import BOND_SYMBOL, LabelConfig, decode_atom


def atom_smarts(label: int, config: LabelConfig) -> str:
    element, aromatic, charge = decode_atom(label)
    parts = [f"#{element}"]
    if config.aromatic:
        parts.append("a" if aromatic else "A")
    if config.charge:
        parts.append(f"{charge:+d}")
    return "[" + ";".join(parts) + "]"


def code_to_smarts(code: Sequence[Edge], root: int | None = None, config: LabelConfig = LabelConfig()) -> str:
    labels = vertex_labels(code, root)
    children: dict[int, list[tuple[int, int]]] = {v: [] for v in range(len(labels))}
    closures: dict[int, list[str]] = {v: [] for v in range(len(labels))}
    ring = 0
    for i, j, _, e, _ in code:
        if j > i:
            children[i].append((j, e))
        else:  # ring closure between i and its ancestor j
            ring += 1
            tag = BOND_SYMBOL[e] + (str(ring) if ring < 10 else f"%{ring}")
            closures[j].append(tag)
            closures[i].append(tag)

    def write(v: int) -> str:
        out = atom_smarts(labels[v], config) + "".join(closures[v])
        kids = children[v]
        for k, (w, e) in enumerate(kids):
            branch = BOND_SYMBOL[e] + write(w)
            out += branch if k == len(kids) - 1 else f"({branch})"
        return out

    return write(0)
