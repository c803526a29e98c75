"""Shared fixtures for the subgraph tests: small random labelled graphs and molecule lists."""

from __future__ import annotations

import numpy as np

from hohenberg.subgraph.graph import LabeledGraph

# Small, varied organic molecules: chains, branches, rings, aromatics, heteroatoms, charges.
SMILES = [
    "CCO", "CC(=O)O", "CCN", "CC#N", "C=CC=O", "CC(C)O", "CC(C)(C)C", "OCCO", "NCC(=O)O",
    "C1CC1", "C1CCC1", "C1CCCC1", "C1CCOC1", "O=C1CCCO1", "C1CC1N", "OC1CCC1", "C1=CC=CC1",
    "c1ccccc1", "c1ccccc1O", "c1ccncc1", "Cc1ccccc1", "c1ccoc1", "c1cc[nH]c1", "Nc1ccccc1",
    "CC(=O)Nc1ccccc1", "OC(=O)c1ccccc1", "CCOC(C)=O", "CC(N)C(=O)O", "C#CC", "CC=CC",
    "CCCC", "CCCCO", "NC(=O)N", "O=CO", "CC[N+](C)(C)C", "CC(=O)[O-]", "C1COCCN1", "c1ccc2ccccc2c1",
]


def random_graph(rng: np.random.Generator, n_min: int = 3, n_max: int = 6, n_labels: int = 3,
                 n_edge_labels: int = 2, extra_edges: int = 2) -> LabeledGraph:
    """A connected random graph: a random tree plus up to ``extra_edges`` ring-closing edges."""
    n = int(rng.integers(n_min, n_max + 1))
    labels = rng.integers(1, n_labels + 1, n).tolist()
    edges, pairs = [], set()
    for v in range(1, n):
        u = int(rng.integers(0, v))
        edges.append((u, v, int(rng.integers(1, n_edge_labels + 1))))
        pairs.add((u, v))
    for _ in range(int(rng.integers(0, extra_edges + 1))):
        u, v = sorted(rng.choice(n, 2, replace=False).tolist())
        if (u, v) not in pairs:
            pairs.add((u, v))
            edges.append((u, v, int(rng.integers(1, n_edge_labels + 1))))
    return LabeledGraph(labels, edges)


def random_graphs(n: int, seed: int = 0, **kw) -> list[LabeledGraph]:
    rng = np.random.default_rng(seed)
    return [random_graph(rng, **kw) for _ in range(n)]
