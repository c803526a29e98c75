"""Models that ship inside the package, by name.

    >>> import hohenberg
    >>> model = hohenberg.load_model("qm9")
    >>> df = model.predict(["CCO", "c1ccccc1"])      # pandas DataFrame, one row per molecule

This module only knows where the shipped model directories are (it imports no model code);
:func:`hohenberg.load_model` (``hohenberg.families``) loads them like any saved directory.
"""

from __future__ import annotations

from pathlib import Path

from hohenberg.errors import InputError

SHIPPED = {
    "qm9": "models/qm9",
    "qm9-promolecule-cnn": "models/qm9-promolecule-cnn",
    "hkmap": "models/hkmap",
}
"""Name -> folder under ``hohenberg/data``: the QM9 graph ensemble (13 targets, calibrated sigmas),
a 3D CNN that reads the promolecule (properties without any SCF) and the Hohenberg-Kohn map
(promolecule -> SCF density, what ``predict-density`` uses without a model directory)."""


def shipped_dir(name: str) -> Path:
    from importlib.resources import files

    return Path(str(files("hohenberg") / "data" / SHIPPED[name]))


def model_path(name: str | Path) -> Path:
    """The directory of a shipped model by name, or ``name`` itself as a model directory."""
    if isinstance(name, str) and name in SHIPPED:
        path = shipped_dir(name)
        if not path.is_dir() or not any(path.iterdir()):
            raise InputError(path, f"the shipped model {name!r} is missing from this installation")
        return path
    path = Path(name)
    if not path.is_dir():
        raise InputError(path, f"no such model: give one of {', '.join(SHIPPED)} or a model directory")
    return path
