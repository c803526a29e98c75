"""Pattern indicator matrices for graphs the search never saw (prediction time)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from hohenberg.subgraph.dfs import Code
from hohenberg.subgraph.graph import LabeledGraph
from hohenberg.subgraph.match import contains, count_embeddings


def indicator_matrix(graphs: Sequence[LabeledGraph], patterns: Sequence[tuple[int, Code]]) -> sp.csc_matrix:
    """``X[i, j] = 1`` when graph i contains pattern j, as a sparse (graphs x patterns) matrix."""
    rows, cols = [], []
    for j, (root, code) in enumerate(patterns):
        for i, g in enumerate(graphs):
            if contains(g, code, root):
                rows.append(i)
                cols.append(j)
    data = np.ones(len(rows))
    return sp.csc_matrix((data, (rows, cols)), shape=(len(graphs), len(patterns)))


def embedding_count_matrix(graphs: Sequence[LabeledGraph], patterns: Sequence[tuple[int, Code]]) -> np.ndarray:
    return np.array([[count_embeddings(g, code, root) for root, code in patterns] for g in graphs], float)


def code_to_json(code: Code) -> list[list[int]]:
    return [list(e) for e in code]


def code_from_json(data: list[list[int]]) -> Code:
    return tuple(tuple(int(x) for x in e) for e in data)  # type: ignore[return-value]
