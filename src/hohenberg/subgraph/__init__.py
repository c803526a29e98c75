"""Interpretable learning over the complete set of connected subgraphs of molecules.

``graph`` (labelled graphs from RDKit), ``dfs`` (DFS codes, minimality), ``gspan`` (the lazily
built, prunable pattern tree), ``brute`` (a slow reference enumerator), ``match`` and ``smarts``
(patterns on new molecules and as text), ``sparse`` and ``boost`` (the two learners), ``bag``
(rooted-subgraph counts and a topic model), ``explain`` (drawings).
"""

from hohenberg.subgraph.boost import SubgraphBoostRegressor
from hohenberg.subgraph.graph import LabelConfig, LabeledGraph, from_rdkit, from_smiles, to_graphs
from hohenberg.subgraph.gspan import PatternNode, PatternTree, mine
from hohenberg.subgraph.sparse import SparseSubgraphClassifier, SparseSubgraphRegressor

__all__ = [
    "LabelConfig",
    "LabeledGraph",
    "PatternNode",
    "PatternTree",
    "SparseSubgraphClassifier",
    "SparseSubgraphRegressor",
    "SubgraphBoostRegressor",
    "from_rdkit",
    "from_smiles",
    "mine",
    "to_graphs",
]
