"""Turn a trained grid model directory (a 3D CNN from ``train volumetric`` or a Hohenberg-Kohn
map from ``train hkmap``) into a model that ships with the package.

The weights file is copied unchanged (``model.pt`` carries its configuration and provenance),
with the split it was measured on, and two cards are written: ``card.json`` (machine-readable:
kind, configuration, test metrics as the model directory reported them, the training budget and
hardware, the command that trained it, the SHA-256 of the weights, checked on loading) and
``MODEL_CARD.md`` (the same for people).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.fileio import atomic_write, sha256_of, verify_checksums
from hohenberg.manifest import write_manifest

CARD = "card.json"
METRIC_KEYS = ("n_test", "test_errors", "baseline_test_errors", "test", "promolecule", "dipole_mae_D",
               "promolecule_dipole_mae_D", "test_nmae_percent", "promolecule_nmae_percent",
               "test_symmetries", "protocol")
"""Keys of a model directory's ``model.json`` copied into the card (the ones each kind has)."""


def package_grid_model(model_dir: str | Path, dest: str | Path, *, name: str, command: str, hardware: str,
                       budget: str, purpose: str, table=None, slice_size: int = 100) -> dict:
    """Copy ``model_dir``'s weights and split to ``dest`` and write its cards; returns the card.

    For a property model and the ``table`` with its targets, the first ``slice_size`` test
    molecules are written beside it (``test_slice.npz``) with the model's MAE on them through the
    prediction path (molecules in, views rendered on the spot), so that a test can recompute it."""
    from hohenberg.training.checkpoint import load_model_file

    model_dir, dest = Path(model_dir), Path(dest)
    saved = load_model_file(model_dir / "model.pt")
    summary_path = model_dir / "model.json"
    if not summary_path.is_file():
        raise InputError(model_dir, "has no model.json: train it to the end (it writes its test metrics there)")
    summary = json.loads(summary_path.read_text())
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_dir / "model.pt", dest / "model.pt")
    if (model_dir / "split.json").is_file():
        shutil.copyfile(model_dir / "split.json", dest / "split.json")
    card = {"name": name, "kind": saved.kind, "purpose": purpose, "config": saved.config,
            "trained_on": {k: saved.provenance.get(k) for k in ("store", "store_config", "split", "split_sizes")
                           if k in saved.provenance},
            "metrics": {k: summary[k] for k in METRIC_KEYS if k in summary},
            "fit": summary.get("fit", {}), "budget": budget, "hardware": hardware, "command": command,
            "sha256": {"model.pt": sha256_of(dest / "model.pt")}}
    if table is not None and saved.kind == "volumetric":
        card["test_slice"] = _test_slice(dest, table, slice_size)
    atomic_write(dest / CARD, json.dumps(card, indent=2))
    atomic_write(dest / "MODEL_CARD.md", model_card_markdown(card))
    targets = ({"name": "density", "unit": "e/bohr3"},) if saved.kind == "hkmap" else saved.config.get("targets", [])
    store_config = saved.provenance.get("store_config", {})
    write_manifest(dest, saved.kind, targets, provenance=saved.provenance,
                   domain={k: store_config[k] for k in ("level", "size", "spacing") if store_config.get(k) is not None},
                   card={k: card[k] for k in ("name", "purpose", "metrics", "budget", "hardware", "command")})
    return card


def _test_slice(dest: Path, table, n: int) -> dict:
    import numpy as np

    from hohenberg.molecules.table import MoleculeTable
    from hohenberg.volumetric.predict import predict_volumetric

    ids = json.loads((dest / "split.json").read_text())["test"][:n]
    table.take(table.index_of(ids)).save(dest / "test_slice.npz")
    sub = MoleculeTable.load(dest / "test_slice.npz")  # exactly what a test reads back
    pred = predict_volumetric(dest, list(sub))
    mae = {t: float(np.mean(np.abs(pred["mean"][:, j] - np.asarray(sub.properties[t], float))))
           for j, t in enumerate(pred["targets"])}
    return {"file": "test_slice.npz", "molecules": len(ids), "rows": "the first molecules of the test split",
            "mae_target_unit": mae}


def model_card_markdown(card: dict) -> str:
    lines = [f"# {card['name']} ({card['kind']})", "", card["purpose"], "",
             f"- Trained on: {json.dumps(card['trained_on'])}", f"- Budget: {card['budget']}",
             f"- Hardware: {card['hardware']}", f"- Command: `{card['command']}`", "", "## Test metrics", ""]
    for key, value in card["metrics"].items():
        if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            lines.append(f"### {key}")
            lines.append("")
            for target, errors in value.items():
                lines.append(f"- {target}: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                                        for k, v in errors.items()))
            lines.append("")
        else:
            lines.append(f"- {key}: {json.dumps(value)}")
    lines += ["", f"SHA-256 of model.pt: `{card['sha256']['model.pt']}`", ""]
    return "\n".join(lines)


def verified_dir(path: str | Path, name: str) -> Path:
    """``path`` after checking its weights against the card (a damaged install is an error)."""
    path = Path(path)
    if not (path / CARD).is_file():
        raise InputError(path, f"the shipped model {name!r} is missing from this installation")
    verify_checksums(path, json.loads((path / CARD).read_text()).get("sha256", {}))
    return path
