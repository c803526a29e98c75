"""The one contract of a saved model directory: ``manifest.json``.

Every ``train`` command ends by writing it; :func:`hohenberg.load_model` reads it first and knows
from its ``kind`` which family loads the rest (``hohenberg.families``).  What each family keeps
beside it (weights, ``model.json``, ``card.json``, ``split.json``) is that family's business; the
manifest says what the directory is, for every family alike:

* ``format`` / ``format_version``: this file's schema (a newer version is refused, not guessed);
* ``kind``: the family (graph, volumetric, hkmap, pairs, network, subgraph);
* ``targets``: name and unit of every predicted quantity;
* ``split``: the kind, seed and sizes of the split (ids in ``split.json``), or null;
* ``domain``: the training molecules' elements, size, charges, spins (what prediction warns about);
* ``provenance``: the data, the training configuration, the code version;
* ``card``: the one card schema (name, purpose, metrics, budget, hardware, command); empty for
  a directory nobody described yet;
* ``sha256``: every file the model reads, checked on loading.

The module is light (no torch): the command line reads manifests without starting a framework.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from hohenberg import __version__
from hohenberg.errors import InputError
from hohenberg.fileio import sha256_of, to_jsonable, verify_checksums, write_json

MANIFEST = "manifest.json"
FORMAT = "hohenberg-model-dir"
FORMAT_VERSION = 1

CARD_KEYS = ("name", "purpose", "metrics", "budget", "hardware", "command")
"""The card schema: every key optional, no other key allowed."""


@dataclass
class Manifest:
    kind: str
    targets: list[dict] = field(default_factory=list)
    split: dict | None = None
    domain: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    card: dict = field(default_factory=dict)
    sha256: dict = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    hohenberg_version: str = __version__

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(t["name"] for t in self.targets)

    def to_dict(self) -> dict:
        return to_jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict, where: str | Path = MANIFEST) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(where, "not a Hohenberg model manifest")
        if int(data.get("format_version", 0)) > FORMAT_VERSION:
            raise InputError(where, f"manifest format {data['format_version']} is newer than this Hohenberg reads "
                                    f"({FORMAT_VERSION}); upgrade Hohenberg")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(where, f"unknown manifest key(s) {', '.join(unknown)}")
        bad_card = sorted(set(data.get("card") or {}) - set(CARD_KEYS))
        if bad_card:
            raise InputError(where, f"unknown card key(s) {', '.join(bad_card)}; a card has {', '.join(CARD_KEYS)}")
        if not isinstance(data.get("kind"), str):
            raise InputError(where, "the manifest names no model kind")
        return cls(**data)


def target_entries(targets) -> list[dict]:
    """``[{"name": "homo_eV", "unit": "eV"}, ...]``: the unit is the name's suffix ('' when it has
    none); an entry given as such a dict is kept (a density's unit is no suffix)."""
    from hohenberg.units import split_unit

    return [dict(t) if isinstance(t, dict) else {"name": str(t), "unit": split_unit(str(t))[1] or ""} for t in targets]


def split_summary(model_dir: str | Path) -> dict | None:
    """Kind, seed and sizes of ``split.json`` in ``model_dir`` (ids stay in that file), or None."""
    path = Path(model_dir) / "split.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise InputError(path, f"unreadable split ({exc})") from None
    return {"file": "split.json", "kind": data.get("kind"), "seed": data.get("seed"),
            "sizes": data.get("sizes") or {k: len(data[k]) for k in ("train", "val", "test") if k in data}}


def model_files(model_dir: str | Path) -> list[str]:
    """Files of a model directory the manifest checks: weights, model and card files, split, test slice."""
    model_dir = Path(model_dir)
    keep = [p.name for p in sorted(model_dir.iterdir()) if p.is_file() and (
        p.suffix in (".pt", ".npz") or p.name in ("model.json", "card.json", "split.json"))]
    return keep


def write_manifest(model_dir: str | Path, kind: str, targets, *, domain: dict | None = None,
                   provenance: dict | None = None, card: dict | None = None,
                   files: list[str] | None = None, split: dict | None = None) -> Manifest:
    """Write ``MODEL_DIR/manifest.json`` (atomically) over the files now in the directory; the
    split is ``split.json``'s summary unless given (a shipped model describes its own)."""
    model_dir = Path(model_dir)
    names = model_files(model_dir) if files is None else files
    manifest = Manifest(kind=kind, targets=target_entries(targets), split=split or split_summary(model_dir),
                        domain=dict(domain or {}), provenance=dict(provenance or {}), card=dict(card or {}),
                        sha256={n: sha256_of(model_dir / n) for n in names})
    Manifest.from_dict(manifest.to_dict(), model_dir / MANIFEST)  # the schema holds before anything is written
    write_json(model_dir / MANIFEST, manifest.to_dict())
    return manifest


def read_manifest(model_dir: str | Path, verify: bool = True) -> Manifest | None:
    """The manifest of ``model_dir`` (None when it has none: a directory of an older format), with
    every listed file checked against its SHA-256 (``verify``)."""
    path = Path(model_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(path, f"unreadable model manifest ({exc})") from None
    manifest = Manifest.from_dict(data, path)
    if verify:
        verify_checksums(model_dir, manifest.sha256)
    return manifest
