"""Sparse linear regression over the indicator features of all frequent subgraphs.

Takigawa & Mamitsuka (IEEE TPAMI 39(3):617, 2017): minimise

    (1/n) sum_i loss(y_i, z_i.beta + sum_g w_g x_i(g)) + lam * (l1_ratio * |w|_1 + (1 - l1_ratio)/2 * |w|_2^2)

over every connected subgraph g with support >= ``min_support`` without enumerating them.  A
zero coefficient is optimal iff ``|grad_g| = |(1/n) sum_i loss'(y_i, f_i) x_i(g)| <= lam *
l1_ratio``; the working set starts empty and grows by the patterns that violate this, found by a
gSpan search that skips every subtree whose bound (:func:`bounds.linear_bound`) says no
supergraph can violate it.  On the working set, block coordinate descent with a quadratic upper
bound of the loss (Tseng & Yun's coordinate gradient descent with a fixed curvature bound) is run
to convergence (for the squared loss, scikit-learn's compiled coordinate descent solves the same
problem).  ``z_i`` holds the unpenalised base columns: the intercept, and optionally element
counts.  Going down a geometric path of ``lam`` from ``lam_max`` (the smallest value with
an all-zero solution) keeps each working set small and warm-starts every solve.

``features='count'``: ``x_i(g)`` is the number of occurrences of g in molecule i instead of 0/1.
Counts are not anti-monotone (C-C occurs 4 times in neopentane, C-C-C 6 times), so the indicator
bound does not hold.  What does hold: every occurrence of a pattern with s bonds in molecule i is a
distinct connected set of s bonds of i, so ``x_i(g') <= N_i(s)``, the number of such bond sets
(``N_i(0)``: atoms); and ``x_i(g') = 0`` outside the support of g for every descendant g'.  With
``U_i(g) = max_{s >= size(g)} N_i(s)`` (s up to ``max_size``), :func:`count_bound` bounds
``|sum_i v_i x_i(g')|`` over g and its whole subtree (see there).  It is looser than the indicator
bound, so the search prunes less.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from hohenberg.subgraph.bounds import linear_bound
from hohenberg.subgraph.dfs import Code
from hohenberg.subgraph.features import code_from_json, code_to_json, indicator_matrix, occurrence_matrix
from hohenberg.subgraph.graph import LabelConfig, decode_atom, to_graphs
from hohenberg.subgraph.gspan import PatternNode, PatternTree
from hohenberg.subgraph.losses import LOSSES, Loss
from hohenberg.subgraph.smarts import code_to_smarts


@dataclass
class PathPoint:
    lam: float
    n_nonzero: int
    n_working: int
    objective: float
    rounds: int  # search rounds until no pattern violated optimality
    visited: int  # nodes the searches at this lam visited


def coordinate_descent(
    y: np.ndarray,
    f: np.ndarray,
    beta: np.ndarray,
    w: np.ndarray,
    supports: list[np.ndarray],
    Z: np.ndarray,
    loss: Loss,
    lam: float,
    l1_ratio: float,
    tol: float,
    max_iter: int,
    values: list[np.ndarray | None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Minimise the objective over the unpenalised base coefficients ``beta`` (columns of ``Z``:
    a column of ones for the intercept, optionally composition counts) and the working-set
    coefficients ``w`` (binary features given by their supports).  ``f`` are the current
    predictions; returns ``(w, beta, f, sweeps)``.  ``values[j]`` (optional) are the feature values
    of pattern j on its support (counts); None means ones (indicators).  Stops when no coordinate moves the
    predictions by more than ``tol`` (root-mean-square over the training set)."""
    n = len(y)
    curv = loss.curvature
    a1, a2 = lam * l1_ratio, lam * (1.0 - l1_ratio)
    w = w.copy()
    beta = beta.copy()
    f = f.copy()
    g = loss.grad(y, f)
    values = values if values is not None else [None] * len(supports)
    # Mean of x_j^2: the coordinate's curvature (for indicators, the support fraction).
    fracs = [len(idx) / n if x is None else float(x @ x) / n for idx, x in zip(supports, values)]
    # The base block takes a majorised Newton step (exact for the squared loss).
    base_step = np.linalg.pinv(curv * (Z.T @ Z) / n)

    def sweep(coords) -> float:
        nonlocal g
        moved = 0.0
        d_beta = -base_step @ (Z.T @ g) / n
        if np.any(d_beta):
            beta[:] += d_beta
            df = Z @ d_beta
            f[:] += df
            g = loss.grad(y, f)
            moved = float(np.sqrt(np.mean(df**2)))
        for j in coords:
            idx, frac, x = supports[j], fracs[j], values[j]
            h = curv * frac + a2
            z = h * w[j] - ((g[idx].sum() if x is None else g[idx] @ x) / n + a2 * w[j])
            new = np.sign(z) * max(abs(z) - a1, 0.0) / h
            d = new - w[j]
            if d:
                w[j] = new
                f[idx] += d if x is None else d * x
                g[idx] = loss.grad(y[idx], f[idx])
                moved = max(moved, abs(d) * np.sqrt(frac))
        return moved

    # Active-set cycling (as in glmnet): converge on the nonzero coefficients, then one sweep over
    # all of them; only when that full sweep moves nothing is the solution final.
    everything = range(len(supports))
    sweeps = 0
    while sweeps < max_iter:
        sweeps += 1
        if sweep(everything) < tol:
            break
        active = np.flatnonzero(w).tolist()
        while sweeps < max_iter:
            sweeps += 1
            if sweep(active) < tol:
                break
    return w, beta, f, sweeps


def _indicator_columns(n: int, supports: list[np.ndarray], values: list[np.ndarray | None] | None = None):
    import scipy.sparse as sp

    rows = np.concatenate(supports)
    cols = np.repeat(np.arange(len(supports)), [len(s) for s in supports])
    if values is None or all(x is None for x in values):
        data = np.ones(len(rows))
    else:
        data = np.concatenate([np.ones(len(s)) if x is None else x for s, x in zip(supports, values)])
    return sp.csc_matrix((data, (rows, cols)), shape=(n, len(supports)))


# Base columns beyond the intercept enter scikit-learn's solver multiplied by this factor: their
# coefficients shrink by it, and so does their L1 penalty, to lam * |beta| / 1e6 (negligible next to
# the data term), while coordinate descent, being scale-free per coordinate, converges as before.
_UNPENALISED_SCALE = 1e6


def squared_loss_solve(
    y: np.ndarray, w: np.ndarray, supports: list[np.ndarray], Z: np.ndarray, lam: float, l1_ratio: float,
    tol: float, max_iter: int, beta: np.ndarray | None = None, values: list[np.ndarray | None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same working-set problem for the squared loss, solved by scikit-learn's compiled
    coordinate descent (identical objective: (1/2n)|y - Z beta - Xw|^2 + lam * penalty),
    warm-started from ``w``.  Orders of magnitude faster than the Python loop when hundreds of
    nested, strongly correlated patterns are in the working set."""
    import scipy.sparse as sp
    from sklearn.linear_model import ElasticNet, Lasso

    n = len(y)
    k = len(supports)
    X = _indicator_columns(n, supports, values)
    extra = Z[:, 1:] * _UNPENALISED_SCALE
    A = sp.hstack([X, sp.csc_matrix(extra)], format="csc") if extra.shape[1] else X
    kw = dict(alpha=lam, tol=tol, max_iter=max_iter, warm_start=True)
    est = Lasso(**kw) if l1_ratio == 1.0 else ElasticNet(l1_ratio=l1_ratio, **kw)
    # Solve for the change of the base coefficients against the current base prediction: the
    # problem is the same (the base block is unpenalised), but scikit-learn scales its tolerance
    # by |y|^2, which for a total energy (thousands of eV) would stop it before it starts.
    beta0 = np.zeros(Z.shape[1]) if beta is None else beta
    offset = Z @ beta0
    est.coef_ = np.concatenate([w, np.zeros(extra.shape[1])])
    est.fit(A, y - offset)
    w = est.coef_[:k].copy()
    beta = beta0 + np.concatenate([[est.intercept_], est.coef_[k:] * _UNPENALISED_SCALE])
    return w, beta, offset + est.predict(A)


def composition(graphs, elements: list[int]) -> np.ndarray:
    """Counts of each heavy element in ``elements`` and of hydrogens, per graph."""
    from hohenberg.subgraph.graph import decode_atom

    out = np.zeros((len(graphs), len(elements) + 1))
    col = {z: j for j, z in enumerate(elements)}
    for i, g in enumerate(graphs):
        for lab in g.labels:
            j = col.get(decode_atom(lab)[0])
            if j is not None:
                out[i, j] += 1
        out[i, -1] = g.hydrogens
    return out


def objective(y: np.ndarray, f: np.ndarray, w: np.ndarray, loss: Loss, lam: float, l1_ratio: float) -> float:
    pen = l1_ratio * np.abs(w).sum() + 0.5 * (1 - l1_ratio) * (w**2).sum()
    return float(loss.value(y, f).mean() + lam * pen)


def bond_set_counts(graph, max_size: int | None = None) -> np.ndarray:
    """``N[s]``: the number of connected sets of s bonds of ``graph`` (``N[0]``: its atoms), for
    s up to ``max_size`` (or the largest that exists).  Bond sets are bitmasks grown one adjacent
    bond at a time, level by level, so each set is counted once."""
    m = graph.n_edges
    touching = [0] * m  # bonds sharing an atom with bond k (k included)
    ends = [(u, v) for u, v, _ in graph.edges]
    for a in range(m):
        for b in range(m):
            if set(ends[a]) & set(ends[b]):
                touching[a] |= 1 << b
    out = [graph.n_vertices]
    level = {1 << k for k in range(m)}
    while level and (max_size is None or len(out) <= max_size):
        out.append(len(level))
        if max_size is not None and len(out) > max_size:
            break
        nxt = set()
        for s in level:
            frontier, rest = 0, s
            while rest:
                low = rest & -rest
                frontier |= touching[low.bit_length() - 1]
                rest ^= low
            frontier &= ~s
            while frontier:
                low = frontier & -frontier
                nxt.add(s | low)
                frontier ^= low
        level = nxt
    return np.asarray(out, float)


def count_caps(graphs, max_size: int | None = None) -> np.ndarray:
    """``U[i, s] = max_{t >= s} N_i(t)``: no pattern with at least s bonds occurs more than this
    often in graph i (shape: graphs x (largest size + 2); the last column is 0)."""
    counts = [bond_set_counts(g, max_size) for g in graphs]
    width = max((len(c) for c in counts), default=1) + 1
    U = np.zeros((len(graphs), width))
    for i, c in enumerate(counts):
        U[i, : len(c)] = np.maximum.accumulate(c[::-1])[::-1]
    return U


def count_bound(v: np.ndarray, caps: np.ndarray) -> float:
    """Bound of ``|sum_i v_i x_i(g')|`` over a node g and all its descendants g', for count
    features: ``v`` are the values on g's support, ``caps`` the matching ``U_i(g)``.  Each x_i(g')
    lies in [0, caps_i] on g's support and is 0 elsewhere, so the sum lies between the sum of the
    negative ``v_i caps_i`` and the sum of the positive ones."""
    t = v * caps
    return max(float(t[t > 0].sum()), -float(t[t < 0].sum()))


def _score_and_bound(node: PatternNode, g: np.ndarray, caps: np.ndarray | None) -> tuple[float, float]:
    v = g[node.support]
    if caps is None:
        return abs(float(v.sum())), linear_bound(v)
    c = caps[node.support, min(node.size, caps.shape[1] - 1)]
    return abs(float(v @ node.counts)), count_bound(v, c)


def find_violators(
    tree: PatternTree, g: np.ndarray, threshold: float, exclude: set, include_atoms: bool = True,
    caps: np.ndarray | None = None,
) -> list[PatternNode]:
    """All patterns outside ``exclude`` with ``|mean_i g_i x_i| > threshold``, by pruned search
    (``caps`` given: count features, see :func:`count_caps`)."""
    n = len(g)
    found: list[PatternNode] = []
    limit = threshold * n

    def visit(node: PatternNode) -> bool:
        score, bound = _score_and_bound(node, g, caps)
        if (include_atoms or node.size) and node.key not in exclude and score > limit:
            found.append(node)
        return bound > limit

    tree.search(visit)
    return found


def max_gradient(tree: PatternTree, g: np.ndarray, include_atoms: bool = True, caps: np.ndarray | None = None) -> float:
    """``max_g |mean_i g_i x_i(g)|`` by branch and bound (gives lam_max)."""
    best = 0.0

    def visit(node: PatternNode) -> bool:
        nonlocal best
        score, bound = _score_and_bound(node, g, caps)
        if include_atoms or node.size:
            best = max(best, score)
        return bound > best

    tree.search(visit)
    return best / len(g)


_COMMON_PARAMS = """
    ``X`` is a sequence of SMILES, RDKit molecules, hohenberg Molecules or LabeledGraphs.
    ``lam=None`` ends the path at ``lam_min_ratio * lam_max``.  ``composition=True`` adds
    unpenalised counts of each element (hydrogens included) to the intercept: indicator features
    say whether a group is present, not how often, so extensive targets such as atomization
    energies need the counts."""


class _SparseSubgraphModel(BaseEstimator):
    """The path of working-set solves shared by the regressor and the classifier; subclasses
    name the loss (:meth:`_loss`) and turn decision values into predictions."""

    def _loss(self) -> Loss:
        raise NotImplementedError

    def _check_params(self) -> None:
        if self.solver not in ("auto", "cd"):
            raise ValueError("solver must be 'auto' or 'cd'")
        if not 0.0 < self.l1_ratio <= 1.0:
            raise ValueError("l1_ratio must be in (0, 1]")
        if self.features not in ("indicator", "count"):
            raise ValueError("features must be 'indicator' or 'count'")

    @property
    def label_config(self) -> LabelConfig:
        return LabelConfig(aromatic=self.aromatic, charge=self.charge)

    def _fit_path(self, graphs, y: np.ndarray):
        """Fit the whole regularisation path on ``graphs`` and targets ``y`` (0/1 for logistic)."""
        loss = self._loss()
        counted = self.features == "count"
        tree = PatternTree(graphs, self.min_support, self.max_size, counts=counted)
        caps = count_caps(graphs, self.max_size) if counted else None
        n = len(y)

        # Base model (intercept, optionally composition), then lam_max: the smallest lam at which
        # all w = 0 is optimal.
        self.elements_ = sorted({decode_atom(lab)[0] for g in graphs for lab in g.labels}) if self.composition else []
        Z = self._base(graphs)
        _, beta, f, _ = coordinate_descent(y, np.zeros(n), np.zeros(Z.shape[1]), np.zeros(0), [], Z, loss, 1.0, 1.0,
                                           self.tol, self.max_iter)
        lam_max = max_gradient(tree, loss.grad(y, f), self.include_atoms, caps) / self.l1_ratio
        if self.lam is None:
            lams = lam_max * np.geomspace(1.0, self.lam_min_ratio, self.n_lambdas)
        elif self.lam < lam_max:
            lams = np.geomspace(lam_max, self.lam, max(self.n_lambdas, 2))
        else:
            lams = np.array([float(self.lam)])

        nodes: list[PatternNode] = []
        in_ws: set = set()
        w = np.zeros(0)
        path, coef_path, intercepts = [], [], []
        for lam in lams:
            visited0 = tree.stats.visited
            rounds = 0
            while True:
                rounds += 1
                values = [nd.counts.astype(float) for nd in nodes] if counted else None
                if loss.name == "squared" and self.solver == "auto" and nodes:
                    w, beta, f = squared_loss_solve(y, w, [nd.support for nd in nodes], Z, lam, self.l1_ratio,
                                                    self.tol, self.max_iter, beta, values)
                else:
                    w, beta, f, _ = coordinate_descent(
                        y, f, beta, w, [nd.support for nd in nodes], Z, loss, lam, self.l1_ratio, self.tol, self.max_iter,
                        values,
                    )
                # Relative slack so that rounding in the solver does not add a pattern forever.
                new = find_violators(tree, loss.grad(y, f), lam * self.l1_ratio * (1 + 1e-9), in_ws, self.include_atoms,
                                     caps)
                if not new:
                    break
                nodes.extend(new)
                in_ws.update(nd.key for nd in new)
                w = np.concatenate([w, np.zeros(len(new))])
            path.append(
                PathPoint(float(lam), int(np.count_nonzero(w)), len(nodes), objective(y, f, w, loss, lam, self.l1_ratio),
                          rounds, tree.stats.visited - visited0)
            )
            coef_path.append(w.copy())
            intercepts.append(beta.copy())

        keep = np.flatnonzero(w)
        self.patterns_: list[tuple[int, Code]] = [nodes[k].key for k in keep]
        self.coef_ = w[keep]
        self.intercept_ = float(beta[0])
        self.composition_coef_ = beta[1:].copy()  # per element of elements_, then hydrogens
        self.supports_ = [nodes[k].support for k in keep]
        self.lam_max_ = float(lam_max)
        self.path_ = path
        self.intercept_path_ = np.asarray(intercepts)
        self.coef_path_ = [dict(zip((nodes[k].key for k in range(len(c))), c)) for c in coef_path]
        self.search_stats_ = tree.stats
        return self

    def _base(self, graphs) -> np.ndarray:
        ones = np.ones((len(graphs), 1))
        return np.hstack([ones, composition(graphs, self.elements_)]) if self.composition else ones

    # -- prediction ---------------------------------------------------------------------------
    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        graphs = to_graphs(X, self.label_config)
        beta = np.concatenate([[self.intercept_], self.composition_coef_])
        return self._base(graphs) @ beta + self._design(graphs, self.patterns_) @ self.coef_

    def _design(self, graphs, patterns):
        """Feature values of ``patterns`` on ``graphs``: indicators, or occurrence counts."""
        if getattr(self, "features", "indicator") == "count":
            return occurrence_matrix(graphs, patterns)  # sparse, like the indicators
        return indicator_matrix(graphs, patterns)

    def decision_path(self, X) -> np.ndarray:
        """Decision values at every point of the regularisation path, shape (n_lambdas, n): for
        choosing lam on validation data without refitting."""
        check_is_fitted(self, "coef_path_")
        graphs = to_graphs(X, self.label_config)
        keys = list(dict.fromkeys(k for c in self.coef_path_ for k in c))
        F = self._design(graphs, keys)
        W = np.array([[c.get(k, 0.0) for k in keys] for c in self.coef_path_]).reshape(len(self.coef_path_), len(keys))
        return (self._base(graphs) @ self.intercept_path_.T).T + (F @ W.T).T

    @property
    def smarts_(self) -> list[str]:
        return [code_to_smarts(code, root, self.label_config) for root, code in self.patterns_]

    def top_patterns(self, k: int = 20) -> list[tuple[str, float, int]]:
        """``(SMARTS, coefficient, support)`` by decreasing |coefficient|."""
        order = np.argsort(-np.abs(self.coef_), kind="stable")[:k]
        sm = self.smarts_
        return [(sm[i], float(self.coef_[i]), len(self.supports_[i])) for i in order]

    # -- JSON state (never pickle) ----------------------------------------------------------------
    def state_dict(self) -> dict:
        check_is_fitted(self, "coef_")
        # The path's patterns once each, in the order they joined the working set; each path
        # point's coefficients cover a prefix of them (the working set only grows down the path).
        keys = list(dict.fromkeys(k for c in self.coef_path_ for k in c))
        return {
            "patterns": [{"root": r, "code": code_to_json(c), "smarts": s} for (r, c), s in zip(self.patterns_, self.smarts_)],
            "coef": self.coef_.tolist(),
            "support": [len(s) for s in self.supports_],
            "intercept": self.intercept_,
            "composition": {"elements": self.elements_, "coef": self.composition_coef_.tolist()},
            "lam_max": self.lam_max_,
            "path": [asdict(p) for p in self.path_],
            "path_patterns": [{"root": r, "code": code_to_json(c)} for r, c in keys],
            "coef_path": [[float(c[k]) for k in keys[: len(c)]] for c in self.coef_path_],
            "intercept_path": np.asarray(self.intercept_path_, float).tolist(),
        }

    def load_state(self, state: dict):
        self.patterns_ = [(int(p["root"]), code_from_json(p["code"])) for p in state["patterns"]]
        self.coef_ = np.asarray(state["coef"], float)
        self.supports_ = [np.zeros(s, np.int64) for s in state["support"]]  # sizes only
        self.intercept_ = float(state["intercept"])
        self.elements_ = [int(z) for z in state["composition"]["elements"]]
        self.composition_coef_ = np.asarray(state["composition"]["coef"], float)
        self.lam_max_ = float(state["lam_max"])
        self.path_ = [PathPoint(**p) for p in state["path"]]
        if "coef_path" in state:  # files written before the path was stored have no decision_path
            keys = [(int(p["root"]), code_from_json(p["code"])) for p in state["path_patterns"]]
            self.coef_path_ = [dict(zip(keys[: len(row)], row)) for row in state["coef_path"]]
            self.intercept_path_ = np.asarray(state["intercept_path"], float).reshape(len(self.coef_path_), -1)
        return self


class SparseSubgraphRegressor(RegressorMixin, _SparseSubgraphModel):
    __doc__ = """L1 / elastic-net linear model on all frequent subgraphs (see module docstring), for
    the squared or Huber loss; for 0/1 targets use :class:`SparseSubgraphClassifier`.
""" + _COMMON_PARAMS + """  ``solver='auto'`` solves each working-set problem of the
    squared loss with scikit-learn's compiled coordinate descent and the Huber loss with
    :func:`coordinate_descent`; ``solver='cd'`` always uses the latter.
    """

    def __init__(
        self,
        lam: float | None = None,
        l1_ratio: float = 1.0,
        loss: str = "squared",
        huber_delta: float = 1.0,
        n_lambdas: int = 10,
        lam_min_ratio: float = 0.01,
        min_support: int = 1,
        max_size: int | None = None,
        include_atoms: bool = True,
        aromatic: bool = True,
        charge: bool = False,
        tol: float = 1e-6,
        max_iter: int = 10000,
        solver: str = "auto",
        composition: bool = False,
        features: str = "indicator",
    ):
        self.features = features
        self.lam = lam
        self.l1_ratio = l1_ratio
        self.loss = loss
        self.huber_delta = huber_delta
        self.n_lambdas = n_lambdas
        self.lam_min_ratio = lam_min_ratio
        self.min_support = min_support
        self.max_size = max_size
        self.include_atoms = include_atoms
        self.aromatic = aromatic
        self.charge = charge
        self.tol = tol
        self.max_iter = max_iter
        self.solver = solver
        self.composition = composition

    def _loss(self) -> Loss:
        return Loss(self.loss, self.huber_delta)

    def fit(self, X, y) -> SparseSubgraphRegressor:
        if self.loss == "logistic":
            raise ValueError("loss='logistic' is classification: use SparseSubgraphClassifier "
                             "(predict returns class labels, predict_proba probabilities, score is accuracy)")
        regression = tuple(name for name in LOSSES if name != "logistic")
        if self.loss not in regression:
            raise ValueError(f"loss must be one of {regression}, not {self.loss!r}")
        self._check_params()
        graphs = to_graphs(X, self.label_config)
        y = np.asarray(y, dtype=float)
        if len(y) != len(graphs):
            raise ValueError(f"{len(graphs)} molecules but {len(y)} targets")
        if not np.all(np.isfinite(y)):
            raise ValueError("targets contain NaN or infinite values")
        return self._fit_path(graphs, y)

    def predict(self, X) -> np.ndarray:
        return self.decision_function(X)


class SparseSubgraphClassifier(ClassifierMixin, _SparseSubgraphModel):
    __doc__ = """L1 / elastic-net logistic regression on all frequent subgraphs (see module
    docstring) for two classes: ``classes_`` holds them sorted, the second is the positive one;
    ``predict`` returns labels, ``predict_proba`` one column per class, ``score`` is accuracy.
""" + _COMMON_PARAMS + """  ``solver`` is accepted for symmetry with the regressor; the
    logistic loss is always solved by :func:`coordinate_descent`.
    """

    def __init__(
        self,
        lam: float | None = None,
        l1_ratio: float = 1.0,
        n_lambdas: int = 10,
        lam_min_ratio: float = 0.01,
        min_support: int = 1,
        max_size: int | None = None,
        include_atoms: bool = True,
        aromatic: bool = True,
        charge: bool = False,
        tol: float = 1e-6,
        max_iter: int = 10000,
        solver: str = "auto",
        composition: bool = False,
        features: str = "indicator",
    ):
        self.features = features
        self.lam = lam
        self.l1_ratio = l1_ratio
        self.n_lambdas = n_lambdas
        self.lam_min_ratio = lam_min_ratio
        self.min_support = min_support
        self.max_size = max_size
        self.include_atoms = include_atoms
        self.aromatic = aromatic
        self.charge = charge
        self.tol = tol
        self.max_iter = max_iter
        self.solver = solver
        self.composition = composition

    def _loss(self) -> Loss:
        return Loss("logistic")

    def fit(self, X, y) -> SparseSubgraphClassifier:
        self._check_params()
        graphs = to_graphs(X, self.label_config)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(graphs):
            raise ValueError(f"{len(graphs)} molecules but {len(y)} labels")
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"SparseSubgraphClassifier needs exactly two classes, got {len(classes)}: {classes.tolist()[:5]}")
        self.classes_ = classes
        return self._fit_path(graphs, (y == classes[1]).astype(float))

    def predict(self, X) -> np.ndarray:
        f = self.decision_function(X)
        return self.classes_[(f > 0).astype(int)]

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def state_dict(self) -> dict:
        return {**super().state_dict(), "classes": self.classes_.tolist()}

    def load_state(self, state: dict) -> SparseSubgraphClassifier:
        super().load_state(state)
        self.classes_ = np.asarray(state.get("classes", [0, 1]))
        return self
