"""Surrogate models with uncertainty for the search: a Gaussian process on Morgan fingerprints with
a Tanimoto kernel (GPyTorch/BoTorch), and an ensemble of graph networks (the package's GIN).

Both follow the scikit-learn contract: hyper-parameters stored unchanged by ``__init__``, ``fit(X,
y)`` returns self, learned state ends in ``_``; ``predict(X)`` gives the mean and standard
deviation, ``sample(X, n, seed)`` ``n`` draws of the function values at ``X`` (for Thompson
sampling).  ``X`` is what :func:`featurize` returns for the surrogate: a fingerprint matrix for the
GP, a :class:`GraphSet` for the ensemble; both index like arrays (``X[idx]``).

Tanimoto kernel (GAUCHE, Griffiths et al. 2023; for counts the same formula on count vectors):
``k(x, y) = <x, y> / (|x|^2 + |y|^2 - <x, y>)``, times a learned output scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch

SURROGATES = ("gp-tanimoto", "gp-tanimoto-3d", "gin")


# -- fingerprints and the Tanimoto kernel ------------------------------------------------------
def morgan_fingerprints(smiles: Sequence[str], radius: int = 2, n_bits: int = 1024, counts: bool = True) -> np.ndarray:
    """(n, n_bits) float32 Morgan fingerprints (counts, or bits) of ``smiles``."""
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    out = np.zeros((len(smiles), n_bits), np.float32)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            out[i] = gen.GetCountFingerprintAsNumPy(mol) if counts else gen.GetFingerprintAsNumPy(mol)
    return out


def tanimoto_similarity(a, b) -> torch.Tensor:
    """(n, m) Tanimoto similarities of the rows of ``a`` and ``b`` (0 for two empty vectors)."""
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    dot = a @ b.transpose(-1, -2)
    na = (a * a).sum(-1, keepdim=True)
    nb = (b * b).sum(-1, keepdim=True).transpose(-1, -2)
    # the denominator is 0 only for two empty vectors, whose product is 0 too
    return dot / (na + nb - dot).clamp_min(1e-12)


def tanimoto_kernel_class():
    """The GPyTorch kernel class (imported lazily: gpytorch is the optional ``design`` extra)."""
    from gpytorch.kernels import Kernel

    class TanimotoKernel(Kernel):
        """Tanimoto (MinMax-like, for count vectors) similarity as a GPyTorch kernel; no length scale."""

        has_lengthscale = False

        def forward(self, x1, x2, diag: bool = False, last_dim_is_batch: bool = False, **params):
            if diag:
                return torch.ones(x1.shape[:-1], dtype=x1.dtype, device=x1.device) if torch.equal(x1, x2) \
                    else tanimoto_similarity(x1, x2).diagonal(dim1=-2, dim2=-1)
            return tanimoto_similarity(x1, x2)

    return TanimotoKernel


class GPTanimoto:
    """Exact GP (BoTorch ``SingleTaskGP``) with ``ScaleKernel(Tanimoto)``, constant mean, learned
    noise, standardised outcomes; hyper-parameters by maximum marginal likelihood
    (``fit_gpytorch_mll``).  ``predict`` goes through BoTorch's posterior in chunks of ``chunk``
    molecules: GPyTorch evaluates K(test, train + test) per call, so a small chunk keeps the
    test-test block (of which only the diagonal is used) cheap."""

    def __init__(self, chunk: int = 256):
        self.chunk = chunk

    def _covar_module(self, n_features: int):
        from gpytorch.kernels import ScaleKernel

        return ScaleKernel(tanimoto_kernel_class()())

    def _inputs(self, X) -> torch.Tensor:
        """The GP's input tensor for rows ``X`` (subclasses rescale columns here)."""
        return torch.as_tensor(np.asarray(X), dtype=torch.float64)

    def fit(self, X, y) -> GPTanimoto:
        from botorch.exceptions.warnings import InputDataWarning
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.models.transforms.outcome import Standardize
        from gpytorch.mlls import ExactMarginalLogLikelihood

        X = self._inputs(X)
        Y = torch.as_tensor(np.asarray(y, float), dtype=torch.float64).reshape(-1, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InputDataWarning)  # fingerprints are counts, not in [0, 1]
            model = SingleTaskGP(X, Y, covar_module=self._covar_module(X.shape[-1]),
                                 outcome_transform=Standardize(m=1))
            mll = ExactMarginalLogLikelihood(model.likelihood, model)
            try:
                fit_gpytorch_mll(mll)
            except Exception:  # a failed optimisation keeps the initial hyper-parameters (BoTorch warns)
                pass
        self.model_ = model.eval()
        return self

    def predict(self, X) -> tuple[np.ndarray, np.ndarray]:
        mean, std = [], []
        X = np.asarray(X)
        with torch.no_grad():
            for i in range(0, len(X), self.chunk):
                post = self.model_.posterior(self._inputs(X[i:i + self.chunk]))
                mean.append(post.mean.squeeze(-1).numpy())
                std.append(post.variance.clamp_min(0).sqrt().squeeze(-1).numpy())
        return np.concatenate(mean), np.concatenate(std)

    def sample(self, X, n: int, seed: int = 0) -> np.ndarray:
        """(n, len(X)) joint posterior draws (keep ``len(X)`` to a few thousand: a Cholesky of it)."""
        torch.manual_seed(seed)
        with torch.no_grad():
            post = self.model_.posterior(self._inputs(X))
            return post.rsample(torch.Size([n])).squeeze(-1).numpy()


class GPTanimoto3D(GPTanimoto):
    """:class:`GPTanimoto` that also sees 3D polarity: the input is a Morgan count fingerprint
    followed by ``n_descriptors`` columns of :mod:`hohenberg.design.polarity` (a force-field
    charge dipole on the 3D geometry, its principal-axis components, TPSA, polar atoms).  Kernel
    ``ScaleKernel(Tanimoto)`` on the fingerprint columns plus (``combine="sum"``) or times
    (``"product"``) an ARD RBF kernel on the descriptor columns, standardised with the training
    rows' mean and deviation (BoTorch's dimension-scaled length-scale prior); ``"sum"`` also adds
    a ``ScaleKernel(Linear)`` on the descriptors when ``linear`` is true, so that a
    trend (a larger estimated dipole, a larger dipole) carries beyond the training range, where
    the RBF part returns to the mean."""

    def __init__(self, chunk: int = 256, n_descriptors: int = 7, combine: str = "sum", linear: bool = True):
        self.chunk = chunk
        self.n_descriptors = n_descriptors
        self.combine = combine
        self.linear = linear

    def _covar_module(self, n_features: int):
        from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
        from gpytorch.kernels import LinearKernel, ScaleKernel

        if self.combine not in ("sum", "product"):
            raise ValueError(f"combine {self.combine!r}: sum or product")
        n_fp = n_features - self.n_descriptors
        desc = list(range(n_fp, n_features))
        fp = tanimoto_kernel_class()(active_dims=list(range(n_fp)))
        rbf = get_covar_module_with_dim_scaled_prior(ard_num_dims=len(desc), active_dims=desc)
        if self.combine == "product":
            return ScaleKernel(fp * rbf)
        kernel = ScaleKernel(fp) + ScaleKernel(rbf)
        if self.linear:
            kernel = kernel + ScaleKernel(LinearKernel(active_dims=desc))
        return kernel

    def _inputs(self, X) -> torch.Tensor:
        X = np.array(X, dtype=np.float64)
        X[:, -self.n_descriptors:] = (X[:, -self.n_descriptors:] - self.shift_) / self.scale_
        return torch.as_tensor(X)

    def fit(self, X, y) -> GPTanimoto3D:
        d = np.asarray(X, dtype=np.float64)[:, -self.n_descriptors:]
        self.shift_ = d.mean(0)
        sd = d.std(0)
        self.scale_ = np.where(sd > 1e-8, sd, 1.0)  # a constant column stays constant
        return super().fit(X, y)


# -- graph ensemble -------------------------------------------------------------------------------
def smiles_graph(smiles: str) -> dict:
    """Graph tensors of a SMILES with explicit hydrogens, no 3D geometry (bond view only):
    the keys :func:`hohenberg.graph.batch.collate` reads, positions zero."""
    from rdkit import Chem

    from hohenberg.graph.features import atom_features, bond_features

    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    index, attr = bond_features(mol)
    n = mol.GetNumAtoms()
    return {"x": torch.from_numpy(atom_features(mol)),
            "z": torch.as_tensor([a.GetAtomicNum() for a in mol.GetAtoms()], dtype=torch.long),
            "pos": torch.zeros(n, 3), "bond_attr": torch.from_numpy(attr), "bond_index": torch.from_numpy(index)}


class GraphSet:
    """Graphs of a pool, indexable like an array; collated batches are cached for prediction."""

    FEATURES = "basic"

    def __init__(self, graphs: Sequence[dict]):
        self.graphs = list(graphs)
        self._batches = None

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, idx) -> GraphSet:
        return GraphSet([self.graphs[int(i)] for i in np.atleast_1d(idx)])

    def batches(self, size: int = 2048) -> list:
        from hohenberg.graph.batch import collate

        if self._batches is None:
            self._batches = [collate(self.graphs[i:i + size], self.FEATURES, ("bond",))
                             for i in range(0, len(self.graphs), size)]
        return self._batches


class GraphEnsemble:
    """``n_members`` GIN networks (bond view, ``basic`` atom features, per-element offsets), each
    from its own initialisation, trained by a plain PyTorch loop (AdamW, MSE on the scaled
    target); the spread of the members is the uncertainty.  ``warm_start``: a refit continues from
    the previous weights for ``warm_epochs`` (a search refits after every batch)."""

    def __init__(self, n_members: int = 4, hidden: int = 64, layers: int = 3, epochs: int = 150,
                 warm_epochs: int = 40, batch_size: int = 128, lr: float = 3e-3, weight_decay: float = 1e-4,
                 warm_start: bool = True, seed: int = 0):
        self.n_members = n_members
        self.hidden = hidden
        self.layers = layers
        self.epochs = epochs
        self.warm_epochs = warm_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.warm_start = warm_start
        self.seed = seed

    def _config(self):
        from hohenberg.graph.models import GraphModelConfig

        return GraphModelConfig(model="gin", features=GraphSet.FEATURES, views=("bond",), targets=("y",),
                                hidden=self.hidden, layers=self.layers, extensive=())

    def fit(self, X: GraphSet, y) -> GraphEnsemble:
        from hohenberg.graph.batch import collate
        from hohenberg.graph.models import build_model

        y = torch.as_tensor(np.asarray(y, float), dtype=torch.float64).reshape(-1, 1)
        warm = self.warm_start and getattr(self, "members_", None) is not None
        if not warm:
            self.members_ = []
            for k in range(self.n_members):
                torch.manual_seed(self.seed * 1000 + k)
                self.members_.append(build_model(self._config()))
        full = collate(X.graphs, GraphSet.FEATURES, ("bond",))
        rng = np.random.default_rng(self.seed + len(X))
        epochs = self.warm_epochs if warm else self.epochs
        n = len(X)
        for member in self.members_:
            member.scaler.fit(full.z, full.batch, y)
            opt = torch.optim.AdamW(member.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            # fixed mini-batches per member (collated once), visited in a new order every epoch
            order = rng.permutation(n)
            chunks = [order[i:i + self.batch_size] for i in range(0, n, self.batch_size)]
            batches = [(collate([X.graphs[i] for i in c], GraphSet.FEATURES, ("bond",)), y[c]) for c in chunks]
            member.train()
            for _ in range(epochs):
                for b in rng.permutation(len(batches)):
                    batch, target = batches[b]
                    opt.zero_grad()
                    loss = (((member(batch) - target) / member.scaler.std) ** 2).mean()
                    loss.backward()
                    opt.step()
            member.eval()
        return self

    def member_predictions(self, X: GraphSet) -> np.ndarray:
        """(n_members, len(X)) predictions."""
        out = []
        with torch.no_grad():
            for member in self.members_:
                out.append(np.concatenate([member(b).squeeze(-1).numpy() for b in X.batches()]))
        return np.stack(out)

    def predict(self, X: GraphSet) -> tuple[np.ndarray, np.ndarray]:
        P = self.member_predictions(X)
        return P.mean(0), P.std(0, ddof=1) if len(P) > 1 else np.zeros(P.shape[1])

    def sample(self, X: GraphSet, n: int, seed: int = 0) -> np.ndarray:
        """Each draw is one member's predictions (members drawn at random with ``seed``)."""
        P = self.member_predictions(X)
        return P[np.random.default_rng(seed).integers(len(P), size=n)]


def make_surrogate(name: str, seed: int = 0):
    if name == "gp-tanimoto":
        return GPTanimoto()
    if name == "gp-tanimoto-3d":
        from hohenberg.design.polarity import DESCRIPTORS

        return GPTanimoto3D(n_descriptors=len(DESCRIPTORS))
    if name == "gin":
        return GraphEnsemble(seed=seed)
    raise ValueError(f"unknown surrogate {name!r}; choose from {', '.join(SURROGATES)}")


def featurize(name: str, smiles: Sequence[str], molecules=None):
    """The input ``X`` of surrogate ``name`` for ``smiles``; ``molecules`` (indexable like
    ``smiles``: a :class:`~hohenberg.molecules.table.MoleculeTable` or a list of ``Molecule``)
    gives the 3D geometries ``gp-tanimoto-3d`` uses (else RDKit ETKDG + MMFF94)."""
    if name == "gp-tanimoto":
        return morgan_fingerprints(smiles)
    if name == "gp-tanimoto-3d":
        from hohenberg.design.polarity import polarity_matrix

        return np.hstack([morgan_fingerprints(smiles), polarity_matrix(smiles, molecules).astype(np.float32)])
    if name == "gin":
        return GraphSet([smiles_graph(s) for s in smiles])
    raise ValueError(f"unknown surrogate {name!r}; choose from {', '.join(SURROGATES)}")
