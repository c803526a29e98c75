"""Gradient-boosted regression trees whose splits test "does the molecule contain subgraph g".

Shirakawa, Yokoyama, Okazaki & Takigawa (MLG 2018).  Each split is the pattern with the largest
reduction of squared error of the current residuals over all frequent subgraphs, found by branch
and bound over the gSpan tree: a node whose bound (:func:`bounds.split_gain_bound`, the best gain
over all subsets of its support inside the tree node) does not beat the best split so far is not
expanded.  All splits of one fit share one lazily built pattern tree.

``search='lattice'`` (the default) instead enumerates the frequent-pattern tree once per fit into a
sparse occurrence matrix (:mod:`lattice`) and scores every pattern of a split with one sparse
product; it returns exactly the split of the pruned search (same pattern, same gain, same tie
rule) and is much faster once a fit makes more than a handful of splits.  ``search='pruned'``
keeps the branch and bound, which touches less of the tree when the tree is huge (min support 1)
and only a few splits are needed.

``max_count > 1`` (lattice search only; an extension of the published method) adds the split
features "g occurs at least k times", k = 2..max_count, so trees can count groups and atoms
instead of only testing their presence (see :mod:`lattice`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from hohenberg.subgraph.bounds import split_gain, split_gain_bound, split_gain_quick_bound
from hohenberg.subgraph.dfs import Code
from hohenberg.subgraph.features import code_from_json, code_to_json, indicator_matrix, occurrence_matrix
from hohenberg.subgraph.graph import LabelConfig, decode_atom, to_graphs
from hohenberg.subgraph.gspan import PatternNode, PatternTree
from hohenberg.subgraph.lattice import best_split_lattice, build_lattice
from hohenberg.models.baseline import least_squares_per_target
from hohenberg.subgraph.sparse import composition
from hohenberg.subgraph.smarts import code_to_smarts


@dataclass
class Split:
    node: PatternNode
    gain: float
    threshold: int = 1  # "occurs at least threshold times"; 1 is "contains"
    support: np.ndarray | None = None  # training graphs passing the test (None: node.support)


def best_split(
    tree: PatternTree, r: np.ndarray, rows: np.ndarray, min_leaf: int = 1, include_atoms: bool = True
) -> Split | None:
    """Pattern maximising the squared-error reduction of splitting ``rows`` by its presence."""
    mask = np.zeros(len(r), bool)
    mask[rows] = True
    sum_s, n_s = float(r[rows].sum()), len(rows)
    mean_s = sum_s / n_s
    best: Split | None = None
    floor = 1e-12 * max(1.0, float((r[rows] ** 2).sum()))  # gains below this are rounding

    def visit(node: PatternNode) -> bool:
        nonlocal best
        inside = node.support[mask[node.support]]
        if len(inside) == 0:
            return False
        vals = r[inside]
        m = len(inside)
        if (include_atoms or node.size) and min_leaf <= m <= n_s - min_leaf:
            gain = split_gain(float(vals.sum()), m, sum_s, n_s)
            if gain > max(floor, best.gain if best else 0.0):
                best = Split(node, gain)
        target = max(floor, best.gain if best else 0.0)
        # The sort-free bound settles most nodes; the exact one only where it cannot.
        if split_gain_quick_bound(vals - mean_s, n_s) <= target:
            return False
        return split_gain_bound(vals, sum_s, n_s) > target

    tree.search(visit)
    return best


class SubgraphBoostRegressor(RegressorMixin, BaseEstimator):
    """Squared-error gradient boosting with subgraph-indicator splits (see module docstring).

    Trees are stored flat: ``trees_[t]`` is a list of nodes, ``[pattern_index, yes, no]`` for a
    split (children by position) or ``[-1, value]`` for a leaf.
    """

    def __init__(
        self,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        max_depth: int = 3,
        min_samples_leaf: int = 1,
        min_support: int = 1,
        max_size: int | None = None,
        include_atoms: bool = True,
        aromatic: bool = True,
        charge: bool = False,
        composition: bool = False,
        search: str = "lattice",
        max_count: int = 1,
    ):
        self.max_count = max_count
        self.composition = composition
        self.search = search
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.min_support = min_support
        self.max_size = max_size
        self.include_atoms = include_atoms
        self.aromatic = aromatic
        self.charge = charge

    @property
    def label_config(self) -> LabelConfig:
        return LabelConfig(aromatic=self.aromatic, charge=self.charge)

    def fit(self, X, y) -> SubgraphBoostRegressor:
        graphs = to_graphs(X, self.label_config)
        y = np.asarray(y, dtype=float)
        if len(y) != len(graphs):
            raise ValueError(f"{len(graphs)} molecules but {len(y)} targets")
        if self.search not in ("lattice", "pruned"):
            raise ValueError(f"search must be 'lattice' or 'pruned', not {self.search!r}")
        if self.max_count < 1 or (self.max_count > 1 and self.search != "lattice"):
            raise ValueError("max_count must be >= 1, and count splits (max_count > 1) need search='lattice'")
        tree = PatternTree(graphs, self.min_support, self.max_size)
        t0 = time.perf_counter()
        lattice = build_lattice(tree, self.max_count) if self.search == "lattice" else None
        self.lattice_seconds_ = time.perf_counter() - t0
        # Profile of the split searches (for the benchmark): how many, and their total wall time.
        n_searches, search_s = 0, 0.0
        index: dict = {}
        patterns: list[tuple[int, Code]] = []
        thresholds: list[int] = []
        supports: list[np.ndarray] = []
        gains: list[float] = []
        # The trees start from the mean, or with composition=True from a least-squares fit on
        # element counts (hydrogens included): splits say whether a group is present, not how
        # often, so extensive targets need the counts in the base model.
        self.elements_ = sorted({decode_atom(lab)[0] for g in graphs for lab in g.labels}) if self.composition else []
        Z = self._base(graphs)
        self.base_coef_ = least_squares_per_target(Z, y)[:, 0]
        self.init_ = float(self.base_coef_[0])
        pred = Z @ self.base_coef_
        trees = []
        for _ in range(self.n_estimators):
            r = y - pred
            nodes: list[list] = []
            step = np.zeros(len(y))
            # Grow one tree breadth-agnostic by recursion on row sets.
            def grow(rows: np.ndarray, depth: int) -> int:
                nonlocal n_searches, search_s
                me = len(nodes)
                nodes.append([])
                split = None
                if depth < self.max_depth and len(rows) >= 2 * self.min_samples_leaf:
                    n_searches += 1
                    t1 = time.perf_counter()
                    if lattice is None:
                        split = best_split(tree, r, rows, self.min_samples_leaf, self.include_atoms)
                    else:
                        found = best_split_lattice(lattice, r, rows, self.min_samples_leaf, self.include_atoms)
                        split = None if found is None else Split(found.node, found.gain, found.threshold, found.support)
                    search_s += time.perf_counter() - t1
                if split is None:
                    value = float(r[rows].mean())
                    nodes[me] = [-1, value]
                    step[rows] = value
                    return me
                key = (split.node.key, split.threshold)
                support = split.node.support if split.support is None else split.support
                if key not in index:
                    index[key] = len(patterns)
                    patterns.append(split.node.key)
                    thresholds.append(split.threshold)
                    supports.append(support)
                    gains.append(0.0)
                k = index[key]
                gains[k] += split.gain
                has = np.isin(rows, support, assume_unique=True)
                yes = grow(rows[has], depth + 1)
                no = grow(rows[~has], depth + 1)
                nodes[me] = [k, yes, no]
                return me

            grow(np.arange(len(y)), 0)
            pred += self.learning_rate * step
            trees.append(nodes)
            if len(nodes) == 1:  # nothing left to split: more trees would be identical
                break
        self.trees_ = trees
        self.patterns_ = patterns
        self.thresholds_ = thresholds
        self.supports_ = supports
        total = sum(gains) or 1.0
        self.feature_importances_ = np.asarray(gains) / total
        self.search_stats_ = tree.stats
        self.n_patterns_searched_ = lattice.n_patterns if lattice is not None else tree.stats.created
        self.n_split_searches_ = n_searches
        self.split_search_seconds_ = search_s
        self.train_rmse_ = float(np.sqrt(np.mean((y - pred) ** 2)))
        return self

    def _base(self, graphs) -> np.ndarray:
        ones = np.ones((len(graphs), 1))
        return np.hstack([ones, composition(graphs, self.elements_)]) if self.composition else ones

    def staged_predict(self, X):
        """Predictions after each tree (for choosing the number of trees on validation data)."""
        graphs = to_graphs(X, self.label_config)
        F = self._features(graphs)
        out = self._base(graphs) @ self.base_coef_
        everyone = np.arange(len(graphs))
        for nodes in self.trees_:
            # Route all molecules at once, node by node (a tree has few nodes, there are many molecules).
            step = np.zeros(len(graphs))
            todo = [(0, everyone)]
            while todo:
                k, rows = todo.pop()
                if nodes[k][0] < 0:
                    step[rows] = nodes[k][1]
                    continue
                has = F[rows, nodes[k][0]]
                todo.append((nodes[k][1], rows[has]))
                todo.append((nodes[k][2], rows[~has]))
            out += self.learning_rate * step
            yield out.copy()

    def _features(self, graphs) -> np.ndarray:
        """Split tests on ``graphs``: column j is "pattern j occurs at least thresholds_[j] times"."""
        thresholds = getattr(self, "thresholds_", None) or [1] * len(self.patterns_)
        F = np.zeros((len(graphs), len(self.patterns_)), bool)
        plain = [j for j, k in enumerate(thresholds) if k == 1]
        if plain:
            F[:, plain] = indicator_matrix(graphs, [self.patterns_[j] for j in plain]).toarray().astype(bool)
        counted = [j for j, k in enumerate(thresholds) if k > 1]
        if counted:
            occ = occurrence_matrix(graphs, [self.patterns_[j] for j in counted]).toarray()
            F[:, counted] = occ >= np.asarray([thresholds[j] for j in counted])
        return F

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "trees_")
        X = list(X)
        if not self.trees_:
            return self._base(to_graphs(X, self.label_config)) @ self.base_coef_
        for out in self.staged_predict(X):
            pass
        return out

    @property
    def smarts_(self) -> list[str]:
        return [code_to_smarts(code, root, self.label_config) for root, code in self.patterns_]

    def top_patterns(self, k: int = 20) -> list[tuple[str, float, int]]:
        """``(SMARTS, importance, support)`` by decreasing importance."""
        order = np.argsort(-self.feature_importances_, kind="stable")[:k]
        sm = self.smarts_
        return [(sm[i], float(self.feature_importances_[i]), len(self.supports_[i])) for i in order]

    def state_dict(self) -> dict:
        return {
            "patterns": [{"root": r, "code": code_to_json(c), "smarts": s, "threshold": k}
                         for (r, c), s, k in zip(self.patterns_, self.smarts_, self.thresholds_)],
            "importance": self.feature_importances_.tolist(),
            "support": [len(s) for s in self.supports_],
            "init": self.init_,
            "composition": {"elements": self.elements_, "coef": self.base_coef_.tolist()},
            "trees": self.trees_,
            "train_rmse": self.train_rmse_,
        }

    def load_state(self, state: dict) -> SubgraphBoostRegressor:
        self.patterns_ = [(int(p["root"]), code_from_json(p["code"])) for p in state["patterns"]]
        self.thresholds_ = [int(p.get("threshold", 1)) for p in state["patterns"]]
        self.feature_importances_ = np.asarray(state["importance"], float)
        self.supports_ = [np.zeros(s, np.int64) for s in state["support"]]
        self.init_ = float(state["init"])
        self.elements_ = [int(z) for z in state["composition"]["elements"]]
        self.base_coef_ = np.asarray(state["composition"]["coef"], float)
        self.trees_ = state["trees"]
        self.train_rmse_ = float(state["train_rmse"])
        return self
