"""Model files: weights plus configuration and data provenance, loadable without unpickling.

A model file is ``torch.save`` of a dict holding only tensors and strings: configuration,
provenance and metrics are JSON text.  :func:`load_model_file` reads it with
``torch.load(weights_only=True)``, so a model file from someone else cannot run code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from hohenberg import __version__
from hohenberg.errors import InputError, first_line
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


def load_weights_only(path: str | Path, refusal: str, advice: str = "") -> object:
    """``torch.load(weights_only=True)``: tensors and plain containers only, so a file from someone
    else cannot run code; a pickle, a truncated or a foreign file is an :class:`InputError` naming
    the file (``refusal``, the library's reason, then ``advice``)."""
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # pickle errors, truncated files, non-allowed globals
        raise InputError(path, f"{refusal} ({type(exc).__name__}: {first_line(exc)})"
                               + (f"; {advice}" if advice else "")) from None


def load_model_file(path: str | Path) -> SavedModel:
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such model file")
    payload = load_weights_only(path, "not a Hohenberg model file")
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise InputError(path, "not a Hohenberg model file")
    if payload.get("format_version", 0) > MODEL_FORMAT_VERSION:
        raise InputError(path, f"model format {payload['format_version']} is newer than this Hohenberg reads")
    try:
        texts = {k: json.loads(payload[k]) for k in ("config", "provenance", "metrics")}
        kind, state = str(payload["kind"]), payload["state_dict"]
    except (KeyError, TypeError, ValueError) as exc:  # edited by hand or damaged
        raise InputError(path, f"damaged Hohenberg model file ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(path, "damaged Hohenberg model file (weights are not tensors)")
    return SavedModel(kind, texts["config"], state, texts["provenance"], texts["metrics"])


def member_files(model_dir: str | Path, trained_by: str) -> list[Path]:
    """``MODEL_DIR/member_<k>.pt`` in the order of k.  Another ``member_*.pt`` name (a copy, a
    renamed file) is refused: which weights the ensemble holds must never be a guess."""
    model_dir = Path(model_dir)
    files = list(model_dir.glob("member_*.pt"))
    stray = [f.name for f in files if not f.stem[len("member_"):].isdigit()]
    if stray:
        raise InputError(model_dir / stray[0], "not a member file name (member_<k>.pt, k = 0, 1, ...): move it out "
                                               "of the model directory")
    if not files:
        raise InputError(model_dir, f"no member_*.pt model files (train with `{trained_by}`)")
    return sorted(files, key=lambda p: int(p.stem[len("member_"):]))


def load_weights(model: torch.nn.Module, saved: SavedModel, path: str | Path) -> torch.nn.Module:
    """``model`` with the saved weights; weights that do not fit its configuration are an error
    naming the file (a damaged or hand-edited model file), not a traceback."""
    try:
        model.load_state_dict(saved.state_dict)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
        raise InputError(path, f"weights do not fit the model's configuration ({first})") from None
    return model


def load_model_dir(model_dir: str | Path, kind: str, trained_by: str) -> SavedModel:
    """``MODEL_DIR/model.pt`` of the given kind, or an error naming the directory and the command
    that writes one."""
    path = Path(model_dir) / "model.pt"
    if not path.is_file():
        raise InputError(model_dir, f"no model.pt (train one with `{trained_by}`)")
    return load_saved(path, kind)


def load_saved(path: str | Path, kind: str) -> SavedModel:
    """A model file of the given kind (:func:`load_model_file`), or an error naming the file."""
    saved = load_model_file(path)
    if saved.kind != kind:
        raise InputError(path, f"a {saved.kind!r} model, not a {kind!r} one")
    return saved


def build_saved(saved: SavedModel, path: str | Path, read_config: Callable[[dict], object],
                build: Callable[[object], torch.nn.Module]) -> tuple[torch.nn.Module, object]:
    """``(model, configuration)``: ``build(read_config(saved.config))`` with the saved weights, in
    evaluation mode.  A configuration this version cannot read (another version's file, edited by
    hand) or weights that do not fit it are errors naming the file."""
    try:
        cfg = read_config(saved.config)
        model = build(cfg)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(path, f"not a {saved.kind} model this version reads ({type(exc).__name__}: {exc})") from None
    return load_weights(model, saved, path).eval(), cfg


def load_built_model(model_dir: str | Path, kind: str, trained_by: str, read_config: Callable[[dict], object],
                     build: Callable[[object], torch.nn.Module]) -> tuple[torch.nn.Module, dict]:
    """``(model, provenance)`` of ``MODEL_DIR/model.pt`` (:func:`load_model_dir`, :func:`build_saved`)."""
    saved = load_model_dir(model_dir, kind, trained_by)
    return build_saved(saved, Path(model_dir) / "model.pt", read_config, build)[0], saved.provenance
