"""Hohenberg: learn electronic properties of molecules and materials from quantum-chemistry data.

Every ground-state property is a functional of the electron density (Hohenberg-Kohn); this
package learns such functionals from data.  ``hohenberg.load_model("qm9")`` gives the shipped
QM9 model (:mod:`hohenberg.pretrained`).
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # lazy: `import hohenberg` (and the CLI's start) must not import torch or RDKit
    if name in ("load_model", "Model"):
        from hohenberg import pretrained

        return getattr(pretrained, name)
    raise AttributeError(f"module 'hohenberg' has no attribute {name!r}")
