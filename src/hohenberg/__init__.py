"""Hohenberg: learn electronic properties of molecules and materials from quantum-chemistry data.

Every ground-state property is a functional of the electron density (Hohenberg-Kohn); this
package learns such functionals from data.  ``hohenberg.load_model(name_or_dir)`` gives any
shipped model (:mod:`hohenberg.pretrained`) or any saved model directory (:mod:`hohenberg.families`).
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # lazy: `import hohenberg` (and the CLI's start) must not import torch or RDKit
    if name == "load_model":
        from hohenberg.families.registry import load_model

        return load_model
    if name == "Model":  # what load_model returns, whatever the family
        from hohenberg.families.base import Predictor

        return Predictor
    raise AttributeError(f"module 'hohenberg' has no attribute {name!r}")
