"""Train and measure a subgraph model on any table or CSV of SMILES: the work behind ``hohenberg
train subgraph``.  A model directory holds ``model.json`` (the estimator as JSON, never a pickle:
:mod:`hohenberg.subgraph.persist`), ``split.json``, ``metrics.json`` and ``manifest.json``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError

MODELS = ("sparse", "boost", "topic")
LOSSES = ("squared", "huber", "logistic")


@dataclass
class SubgraphRunConfig:
    """Options of a subgraph fit; defaults are the command line's."""

    model: str = "sparse"  # sparse | boost | topic
    smiles_column: str | None = None
    min_support: float = 0  # a count, a fraction when < 1; 0: 0.1 % of the training molecules (at least 2)
    max_size: int | None = None
    lam: float | None = None
    lam_min_ratio: float = 0.01
    n_lambdas: int = 10
    l1_ratio: float = 1.0
    loss: str = "squared"  # squared | huber | logistic (two classes)
    composition: bool = False
    features: str = "indicator"  # indicator | count
    max_count: int = 1
    n_estimators: int = 100
    learning_rate: float = 0.1
    max_depth: int = 3
    n_topics: int = 10
    radius: int = 2
    test_fraction: float = 0.1
    split: str = "random"  # random | scaffold | standard | a JSON file of id lists
    limit: int | None = None
    seed: int = 0

    def check(self) -> None:
        """A ``ValueError`` naming the first option out of its range."""
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, not {self.model!r}")
        if self.features not in ("indicator", "count"):
            raise ValueError(f"features must be indicator or count, not {self.features!r}")
        if self.max_count < 1:
            raise ValueError("max_count must be at least 1")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be squared, huber or logistic, not {self.loss!r}")
        if self.loss != "squared" and self.model != "sparse":
            raise ValueError(f"loss {self.loss} needs the sparse model")
        if not 0.0 < self.l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in (0, 1], not {self.l1_ratio}")
        if not 0 <= self.test_fraction < 1:
            raise ValueError("test_fraction must be in [0, 1)")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, not {self.limit}")


def min_support_count(value: float, n: int) -> int:
    """Absolute count, or a fraction of the molecules when below 1; 0 means 0.1 % (at least 2)."""
    if value <= 0:
        return max(2, math.ceil(0.001 * n))
    return max(1, math.ceil(value * n)) if value < 1 else int(value)


def regression_metrics(target: str, y: np.ndarray, pred: np.ndarray) -> dict:
    """Regression errors with their unit in the key (``mae_meV``; ``mae_target_unit`` when the
    target's name carries no unit) and R^2."""
    from hohenberg.models.metrics import regression_errors, report_unit

    if len(y) == 0:
        return {}
    unit, factor = report_unit(target)
    # a name without a unit suffix: errors are in whatever unit the column has
    return regression_errors(y, pred, unit or "target_unit", factor, r2=True)


def class_metrics(est, smiles: list, y: np.ndarray) -> dict:
    """Accuracy, and ROC AUC where both classes occur."""
    from sklearn.metrics import roc_auc_score

    if len(y) == 0:
        return {}
    both = len(np.unique(y)) == 2
    auc = float(roc_auc_score(y == est.classes_[1], est.predict_proba(smiles)[:, 1])) if both else None
    return {"accuracy": float(est.score(smiles, y)), "auc": auc, "n": int(len(y))}


def make_estimator(cfg: SubgraphRunConfig, support: int):
    if cfg.loss == "logistic":
        from hohenberg.subgraph.sparse import SparseSubgraphClassifier

        return SparseSubgraphClassifier(lam=cfg.lam, l1_ratio=cfg.l1_ratio, n_lambdas=cfg.n_lambdas,
                                        lam_min_ratio=cfg.lam_min_ratio, min_support=support, max_size=cfg.max_size,
                                        composition=cfg.composition, features=cfg.features)
    if cfg.model == "sparse":
        from hohenberg.subgraph.sparse import SparseSubgraphRegressor

        return SparseSubgraphRegressor(lam=cfg.lam, l1_ratio=cfg.l1_ratio, loss=cfg.loss, n_lambdas=cfg.n_lambdas,
                                       lam_min_ratio=cfg.lam_min_ratio, min_support=support, max_size=cfg.max_size,
                                       composition=cfg.composition, features=cfg.features)
    if cfg.model == "boost":
        from hohenberg.subgraph.boost import SubgraphBoostRegressor

        return SubgraphBoostRegressor(n_estimators=cfg.n_estimators, learning_rate=cfg.learning_rate,
                                      max_depth=cfg.max_depth, min_support=support, max_size=cfg.max_size,
                                      composition=cfg.composition, max_count=cfg.max_count)
    from hohenberg.subgraph.bag import SubgraphTopicRegressor

    return SubgraphTopicRegressor(n_topics=cfg.n_topics, radius=cfg.radius, min_df=support, seed=cfg.seed)


def train_subgraph(data_path: str | Path, target: str, out: str | Path, cfg: SubgraphRunConfig | None = None) -> dict:
    """Fit on the training part of ``data_path`` (a MoleculeTable or a CSV of SMILES + target),
    measure on its test part, write the model directory; returns the metrics."""
    from hohenberg.datasets.splits import split_molecules, write_split_ids
    from hohenberg.fileio import write_json
    from hohenberg.manifest import write_manifest
    from hohenberg.subgraph.inputs import read_training_data
    from hohenberg.subgraph.persist import save_model

    cfg = cfg or SubgraphRunConfig()
    try:
        cfg.check()
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    data_path, out = Path(data_path), Path(out)
    data = read_training_data(data_path, target, cfg.smiles_column)
    if cfg.limit is not None:  # a random subset, then split as asked
        keep = np.sort(np.random.default_rng(cfg.seed).permutation(len(data.smiles))[:cfg.limit])
        data = type(data)([data.smiles[i] for i in keep], data.y[keep], [data.ids[i] for i in keep], data.target)
    table = None
    if data_path.suffix.lower() == ".npz" and cfg.split == "standard":
        from hohenberg.molecules.table import MoleculeTable

        table = MoleculeTable.load(data_path)
    parts = split_molecules(data.ids, data.smiles, cfg.split, cfg.seed,
                            (1.0 - cfg.test_fraction, 0.0, cfg.test_fraction), table)
    train, test = parts["train"], parts["test"]
    if len(train) == 0:
        raise InputError(None, f"split {cfg.split}: no training molecule among the {len(data.ids)} given")
    smiles, y = np.asarray(data.smiles, dtype=object), data.y
    support = min_support_count(cfg.min_support, len(train))
    classify = cfg.loss == "logistic"
    if classify and len(np.unique(y[train])) != 2:
        raise InputError(data_path, f"the logistic loss needs a target with two classes; {target!r} has "
                                    f"{len(np.unique(y[train]))} distinct values in the training split")
    est = make_estimator(cfg, support)
    t0 = time.perf_counter()
    est.fit(list(smiles[train]), y[train])
    fit_seconds = time.perf_counter() - t0

    def metrics(rows) -> dict:
        if classify:
            return class_metrics(est, list(smiles[rows]), y[rows])
        return regression_metrics(target, y[rows], est.predict(list(smiles[rows])))

    result = {
        "data": str(data_path), "target": target, "model": cfg.model, "n_train": len(train), "n_test": len(test),
        "min_support": support, "fit_seconds": round(fit_seconds, 2),
        "task": "classification" if classify else "regression",
        "train": metrics(train), "test": metrics(test) if len(test) else {},
    }
    if hasattr(est, "search_stats_"):
        s = est.search_stats_
        result["search"] = {"visited": s.visited, "expanded": s.expanded, "created": s.created}
        result["n_features"] = len(est.patterns_)
        result["top"] = [{"smarts": a, "weight": b, "support": c} for a, b, c in est.top_patterns(15)]
    else:
        result["n_features"] = len(est.bag_.names_)
        result["top"] = est.topics(6)
    result["split"] = cfg.split
    save_model(est, out, {"training": {k: v for k, v in result.items() if k != "top"}})
    write_split_ids(out, {k: [data.ids[i] for i in v] for k, v in parts.items()}, cfg.split, cfg.seed)
    write_json(out / "metrics.json", result, indent=1)
    write_manifest(out, "subgraph", [target], files=["model.json", "split.json"],
                   provenance={"data": str(data_path), "smiles_column": cfg.smiles_column, "task": result["task"],
                               "estimator": type(est).__name__, "split": cfg.split, "seed": cfg.seed},
                   card={"metrics": {"test": result["test"]}})
    return result


def evaluate_subgraph(model_dir: str | Path, est, target: str, data_path: str | Path, split: str = "test",
                      smiles_column: str | None = None, task: str = "regression") -> dict:
    """Errors of a saved subgraph model on the ``split`` part (its own ``split.json``) of
    ``data_path``, a table or CSV holding ``target``."""
    from hohenberg.datasets.splits import evaluation_ids
    from hohenberg.subgraph.inputs import read_training_data

    data = read_training_data(data_path, target, smiles_column)
    ids = evaluation_ids(model_dir, split, data.ids, data_path)
    index = {m: i for i, m in enumerate(data.ids)}
    rows = np.array([index[m] for m in ids], dtype=np.int64)
    smiles, y = [data.smiles[i] for i in rows], data.y[rows]
    if task == "classification":
        errors = {target: class_metrics(est, smiles, y)}
    else:
        errors = {target: regression_metrics(target, y, est.predict(smiles))}
    return {"model_dir": str(model_dir), "data": str(data_path), "split": split, "n_molecules": int(len(rows)),
            "errors": errors}
