"""Fitted models as one JSON file: class name, hyper-parameters, learned state (never pickle)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hohenberg.fileio import to_jsonable

FORMAT_VERSION = 1
MODEL_FILE = "model.json"


def _classes() -> dict[str, type]:
    from hohenberg.subgraph.bag import SubgraphTopicRegressor
    from hohenberg.subgraph.boost import SubgraphBoostRegressor
    from hohenberg.subgraph.sparse import SparseSubgraphClassifier, SparseSubgraphRegressor

    return {c.__name__: c for c in (SparseSubgraphRegressor, SparseSubgraphClassifier, SubgraphBoostRegressor,
                                    SubgraphTopicRegressor)}


def model_to_dict(model, extra: dict | None = None) -> dict:
    return {
        "format": "hohenberg.subgraph",
        "version": FORMAT_VERSION,
        "class": type(model).__name__,
        "params": model.get_params(),
        "state": model.state_dict(),
        **(extra or {}),
    }


def model_from_dict(data: dict):
    if data.get("format") != "hohenberg.subgraph":
        raise ValueError("not a hohenberg subgraph model file")
    name, params = data["class"], dict(data["params"])
    if name == "SparseSubgraphRegressor" and params.get("loss") == "logistic":
        # Older files stored logistic models as a regressor; they are classifiers of 0/1.
        name = "SparseSubgraphClassifier"
        params.pop("loss")
        params.pop("huber_delta", None)
    cls = _classes().get(name)
    if cls is None:
        raise ValueError(f"unknown model class {name!r}")
    return cls(**params).load_state(data["state"])


def save_model(model, directory: str | Path, extra: dict | None = None) -> Path:
    """Write ``directory/model.json`` atomically (a crash never leaves half a model)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / MODEL_FILE
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(to_jsonable(model_to_dict(model, extra)), fh, indent=1)
    os.replace(tmp, path)
    return path


def read_model_dir(directory: str | Path):
    """``(estimator, the file's dict)`` of ``directory/model.json`` (or of that file given itself)."""
    path = Path(directory)
    if path.is_dir():
        path = path / MODEL_FILE
    with open(path) as fh:
        data = json.load(fh)
    return model_from_dict(data), data
