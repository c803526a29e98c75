"""Bag of rooted subgraphs: per-molecule counts of Morgan environments (the chemical form of
Weisfeiler-Lehman subtrees), a scikit-learn transformer with a readable vocabulary, and a
supervised topic model (tomotopy's sLDA) over these counts used as a regressor.

RDKit's Morgan generator computes the counts in C++ (fast), and each vocabulary entry is named
once, at fit time, by the SMILES of one of its environments, so topics read as substructures.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted


def _mol(item):
    from rdkit import Chem

    if isinstance(item, str):
        mol = Chem.MolFromSmiles(item)
        if mol is None:
            raise ValueError(f"cannot parse SMILES {item!r}")
        return mol
    if hasattr(item, "GetAtoms"):
        return item
    raise TypeError(f"a bag of subgraphs needs SMILES or RDKit molecules, not {type(item).__name__}")


def environment_counts(mol, radius: int) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """``({environment id: count}, {environment id: (atom, radius) of one occurrence})``."""
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius)
    ao = rdFingerprintGenerator.AdditionalOutput()
    ao.AllocateBitInfoMap()
    fp = gen.GetSparseCountFingerprint(mol, additionalOutput=ao)
    info = ao.GetBitInfoMap()
    return dict(fp.GetNonzeroElements()), {k: v[0] for k, v in info.items()}


def environment_smiles(mol, atom: int, radius: int) -> str:
    """SMILES of the environment of ``atom`` out to ``radius`` bonds, written from that atom."""
    from rdkit import Chem

    if radius == 0:  # Morgan's atom invariant: element, heavy degree, hydrogens, ring membership
        a = mol.GetAtomWithIdx(atom)
        sym = a.GetSymbol().lower() if a.GetIsAromatic() else a.GetSymbol()
        return f"[{sym}H{a.GetTotalNumHs()};D{a.GetDegree()}{';R' if a.IsInRing() else ''}]"
    bonds = list(Chem.FindAtomEnvironmentOfRadiusN(mol, radius, atom))
    if not bonds:  # the environment stopped growing: the whole molecule is within the radius
        return Chem.MolToSmiles(mol, rootedAtAtom=atom, allHsExplicit=True)
    atoms = sorted({a for b in bonds for a in (mol.GetBondWithIdx(b).GetBeginAtomIdx(), mol.GetBondWithIdx(b).GetEndAtomIdx())})
    return Chem.MolFragmentToSmiles(mol, atomsToUse=atoms, bondsToUse=bonds, rootedAtAtom=atom, allHsExplicit=True)


class SubgraphBag(TransformerMixin, BaseEstimator):
    """Counts of Morgan environments up to ``radius``; ``vocabulary_`` maps environment ids to
    columns, ``names_`` gives each column's substructure as ``r<radius>:<SMILES>``."""

    def __init__(self, radius: int = 2, min_df: int = 1):
        self.radius = radius
        self.min_df = min_df

    def fit(self, X, y=None) -> SubgraphBag:
        df: dict[int, int] = {}
        example: dict[int, tuple[int, int, int]] = {}
        mols = [_mol(x) for x in X]
        for i, mol in enumerate(mols):
            counts, where = environment_counts(mol, self.radius)
            for k in counts:
                df[k] = df.get(k, 0) + 1
                if k not in example:
                    example[k] = (i, *where[k])
        ids = sorted(k for k, c in df.items() if c >= self.min_df)
        self.vocabulary_ = {k: j for j, k in enumerate(ids)}
        names, seen = [], {}
        for k in ids:
            name = f"r{example[k][2]}:{environment_smiles(mols[example[k][0]], example[k][1], example[k][2])}"
            # Environments that differ only beyond what the SMILES shows still get distinct names.
            seen[name] = seen.get(name, 0) + 1
            names.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
        self.names_ = names
        self.document_frequency_ = np.array([df[k] for k in ids])
        return self

    def transform(self, X) -> sp.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        rows, cols, vals = [], [], []
        n = 0
        for i, x in enumerate(X):
            counts, _ = environment_counts(_mol(x), self.radius)
            for k, c in counts.items():
                j = self.vocabulary_.get(k)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
                    vals.append(c)
            n = i + 1
        return sp.csr_matrix((np.asarray(vals, float), (rows, cols)), shape=(n, len(self.vocabulary_)))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self.names_, dtype=object)


class SubgraphTopicRegressor(RegressorMixin, BaseEstimator):
    """Supervised LDA (tomotopy ``SLDAModel``, one linear response) whose words are the rooted
    subgraphs of :class:`SubgraphBag`; predicts by inferring a molecule's topic mixture."""

    def __init__(self, n_topics: int = 10, radius: int = 2, min_df: int = 2, iterations: int = 200,
                 alpha: float = 0.1, eta: float = 0.01, seed: int = 0):
        self.n_topics = n_topics
        self.radius = radius
        self.min_df = min_df
        self.iterations = iterations
        self.alpha = alpha
        self.eta = eta
        self.seed = seed

    def _docs(self, X) -> list[list[str]]:
        counts = self.bag_.transform(X).tocsr()
        docs = []
        for i in range(counts.shape[0]):
            row = counts.getrow(i)
            docs.append([str(j) for j, c in zip(row.indices, row.data) for _ in range(int(c))])
        return docs

    def fit(self, X, y) -> SubgraphTopicRegressor:
        import tomotopy as tp

        X = list(X)
        y = np.asarray(y, float)
        self.bag_ = SubgraphBag(self.radius, self.min_df).fit(X)
        # sLDA's Gaussian response prior is unit scale: standardise the target.
        self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std() or 1.0)
        model = tp.SLDAModel(k=self.n_topics, vars=["l"], alpha=self.alpha, eta=self.eta, seed=self.seed)
        for doc, t in zip(self._docs(X), (y - self.y_mean_) / self.y_scale_):
            model.add_doc(doc if doc else ["<empty>"], y=[float(t)])
        model.train(self.iterations, workers=1)
        self.model_ = model
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        docs = [self.model_.make_doc(d if d else ["<empty>"]) for d in self._docs(list(X))]
        self.model_.infer(docs, iterations=50, workers=1)
        est = np.array([self.model_.estimate(d)[0] for d in docs], float)
        return self.y_mean_ + self.y_scale_ * est

    def topics(self, n_words: int = 8) -> list[dict]:
        """Each topic's regression coefficient (target units) and its most probable subgraphs."""
        coef = np.asarray(self.model_.get_regression_coef(0)) * self.y_scale_
        out = []
        for t in range(self.n_topics):
            words = self.model_.get_topic_words(t, top_n=n_words)
            names = [(self.bag_.names_[int(w)] if w.isdigit() else w, float(p)) for w, p in words]
            out.append({"topic": t, "coef": float(coef[t]), "subgraphs": names})
        return sorted(out, key=lambda d: -abs(d["coef"]))

    # tomotopy's own binary format (not pickle), carried base64-encoded inside the JSON model file.
    def state_dict(self) -> dict:
        return {
            "vocabulary": [[int(k), int(j)] for k, j in self.bag_.vocabulary_.items()],
            "names": self.bag_.names_,
            "y_mean": self.y_mean_,
            "y_scale": self.y_scale_,
            "tomotopy": base64.b64encode(bytes(self.model_.saves())).decode("ascii"),
            "topics": self.topics(),
        }

    def load_state(self, state: dict) -> SubgraphTopicRegressor:
        import tomotopy as tp

        self.bag_ = SubgraphBag(self.radius, self.min_df)
        self.bag_.vocabulary_ = {int(k): int(j) for k, j in state["vocabulary"]}
        self.bag_.names_ = list(state["names"])
        self.y_mean_, self.y_scale_ = float(state["y_mean"]), float(state["y_scale"])
        self.model_ = tp.SLDAModel.loads(base64.b64decode(state["tomotopy"]))
        return self


def top_columns(names: Sequence[str], weights: np.ndarray, k: int = 10) -> list[tuple[str, float]]:
    order = np.argsort(-np.abs(weights), kind="stable")[:k]
    return [(names[i], float(weights[i])) for i in order]
