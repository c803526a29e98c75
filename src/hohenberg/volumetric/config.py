"""The configuration of a volumetric (3D CNN) run (:func:`hohenberg.volumetric.run.train_volumetric`,
whose module re-exports it), kept apart so that reading its defaults imports no torch: the
command line builds its options from them.  The model's
:class:`~hohenberg.volumetric.models.VolumetricModelConfig` is imported when a run configuration
is built, not when this module is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hohenberg.training.config import TrainConfig

if TYPE_CHECKING:
    from hohenberg.volumetric.models import VolumetricModelConfig


def _default_model() -> VolumetricModelConfig:
    from hohenberg.volumetric.models import VolumetricModelConfig

    return VolumetricModelConfig()


@dataclass
class VolumetricRunConfig:
    model: VolumetricModelConfig = field(default_factory=_default_model)
    # the command line's defaults (`hohenberg train volumetric` reads them from here)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(max_epochs=100, patience=15, batch_size=16, lr=1e-3))
    n_train: int | None = None  # None: every training molecule in the store
    n_val: int | None = None
    n_test: int | None = None
    split_seed: int = 0
    split: str = "auto"  # auto | standard | random | scaffold | a JSON file of id lists
    augment: bool = True  # random rotation + translation per sample and epoch
    tta: int = 1  # test time: average over this many random rotations (1: the stored orientation)
    max_memory: str | None = None  # e.g. "4G": pick the batch size that fits (overrides batch_size)
    cache_dir: str | None = None  # promolecule grids; default: STORE/.cache/promolecule
    density_from: str = "store"  # "store" (the SCF density) | "hkmap:DIR" (predicted by a Hohenberg-Kohn map)
