"""One registry from model kind to family, imported lazily, and the one place a directory's kind is told.

A directory with ``manifest.json`` says its kind there.  A directory written before manifests
existed is recognised by the files its family wrote (:func:`legacy_kind`) and loads all the same;
``hohenberg model upgrade DIR`` writes its manifest once, so the guess is never needed again.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.manifest import MANIFEST, Manifest, read_manifest, write_manifest

FAMILIES = {
    "graph": "hohenberg.families.graph",
    "volumetric": "hohenberg.families.volumetric",
    "hkmap": "hohenberg.families.hkmap",
    "pairs": "hohenberg.families.network",
    "network": "hohenberg.families.network",
    "subgraph": "hohenberg.families.subgraph",
}
"""Kind -> module holding its :class:`~hohenberg.families.base.Predictor` (``PREDICTORS[kind]``) and
``legacy_manifest(dir, kind)``; a new family adds one line here."""


def family(kind: str):
    if kind not in FAMILIES:
        raise InputError(None, f"unknown model kind {kind!r}; known: {', '.join(FAMILIES)}")
    return importlib.import_module(FAMILIES[kind])


def legacy_kind(model_dir: str | Path) -> str:
    """The kind of a directory without a manifest, from the files its trainer wrote."""
    model_dir = Path(model_dir)
    from hohenberg.fileio import read_json

    info = read_json(model_dir / "model.json", "model.json")
    if isinstance(info, dict) and info.get("kind") in ("pairs", "network"):
        return info["kind"]
    if isinstance(info, dict) and info.get("format") == "hohenberg.subgraph":
        return "subgraph"
    if (model_dir / "model.pt").is_file():
        from hohenberg.training.checkpoint import load_model_file

        kind = load_model_file(model_dir / "model.pt").kind
        if kind in ("volumetric", "hkmap"):
            return kind
        raise InputError(model_dir / "model.pt", f"a {kind!r} model file, which no family loads")
    if any(model_dir.glob("member_*.pt")):
        return "graph"
    raise InputError(model_dir, "not a model directory (no manifest.json, model.pt, member_*.pt or model.json); "
                                "train one with a `hohenberg train` command")


def manifest_of(model_dir: str | Path, verify: bool = True) -> Manifest:
    """The directory's manifest, or (older directory) the one its family builds from its files."""
    manifest = read_manifest(model_dir, verify)
    if manifest is not None:
        return manifest
    if verify:  # a shipped card of the older format lists its files' digests: check them before reading
        from hohenberg.fileio import read_json, verify_checksums

        verify_checksums(model_dir, read_json(Path(model_dir) / "card.json", "model card").get("sha256", {}))
    kind = legacy_kind(model_dir)
    return family(kind).legacy_manifest(Path(model_dir), kind)


def load_model(name: str | Path = "qm9", verify: bool = True):
    """Any shipped model by name (``"qm9"``, ``"qm9-promolecule-cnn"``, ``"hkmap"``) or any directory
    a ``hohenberg train`` command wrote, as a :class:`~hohenberg.families.base.Predictor`; every
    file the manifest lists is checked against its SHA-256 (``verify``)."""
    from hohenberg.pretrained import SHIPPED, model_path

    path = model_path(name)
    manifest = manifest_of(path, verify)
    shipped = isinstance(name, str) and name in SHIPPED
    return family(manifest.kind).PREDICTORS[manifest.kind](path, manifest, str(name) if shipped else path.name,
                                                           verify=verify)


def upgrade(model_dir: str | Path) -> Manifest:
    """Write ``manifest.json`` for a directory of an older format (its files are left as they are)."""
    model_dir = Path(model_dir)
    if (model_dir / MANIFEST).is_file():
        raise InputError(model_dir / MANIFEST, "exists already: the directory needs no upgrade")
    m = manifest_of(model_dir)
    return write_manifest(model_dir, m.kind, m.targets, domain=m.domain, provenance=m.provenance, card=m.card,
                          split=m.split)
