"""Model files: weights plus configuration and data provenance, loadable without unpickling.

A model file is ``torch.save`` of a dict holding only tensors and strings: configuration,
provenance and metrics are JSON text.  :func:`load_model_file` reads it with
``torch.load(weights_only=True)``, so a model file from someone else cannot run code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from hohenberg import __version__
from hohenberg.errors import InputError
from hohenberg.fileio import atomic_open

MODEL_FORMAT = "hohenberg-model"
MODEL_FORMAT_VERSION = 1


@dataclass
class SavedModel:
    kind: str  # e.g. "graph"; tells the loader which builder reads ``config``
    config: dict
    state_dict: dict[str, torch.Tensor]
    provenance: dict
    metrics: dict


def save_model_file(path: str | Path, kind: str, config: dict, state_dict: dict[str, torch.Tensor],
                    provenance: dict, metrics: dict | None = None) -> Path:
    payload = {
        "format": MODEL_FORMAT, "format_version": MODEL_FORMAT_VERSION, "kind": kind,
        "hohenberg_version": __version__,
        "config": json.dumps(config), "provenance": json.dumps(provenance), "metrics": json.dumps(metrics or {}),
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
    }
    with atomic_open(path, "wb") as fh:
        torch.save(payload, fh)
    return Path(path)


def load_model_file(path: str | Path) -> SavedModel:
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such model file")
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # pickle errors, truncated files, non-allowed globals
        raise InputError(path, f"not a Hohenberg model file ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise InputError(path, "not a Hohenberg model file")
    if payload.get("format_version", 0) > MODEL_FORMAT_VERSION:
        raise InputError(path, f"model format {payload['format_version']} is newer than this Hohenberg reads")
    return SavedModel(payload["kind"], json.loads(payload["config"]), payload["state_dict"],
                      json.loads(payload["provenance"]), json.loads(payload["metrics"]))


def load_model_dir(model_dir: str | Path, kind: str, trained_by: str) -> SavedModel:
    """``MODEL_DIR/model.pt`` of the given kind, or an error naming the directory and the command
    that writes one."""
    path = Path(model_dir) / "model.pt"
    if not path.is_file():
        raise InputError(model_dir, f"no model.pt (train one with `{trained_by}`)")
    saved = load_model_file(path)
    if saved.kind != kind:
        raise InputError(path, f"a {saved.kind!r} model, not a {kind!r} one")
    return saved
