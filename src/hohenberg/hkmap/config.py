"""The configuration of a Hohenberg-Kohn map run (:func:`hohenberg.hkmap.run.train_hkmap`, whose
module re-exports it), kept apart so that reading its defaults imports no torch: the command
line builds its options from them.  The network's :class:`~hohenberg.hkmap.model.HKConfig` is
imported when a run configuration is built, not when this module is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hohenberg.training.config import TrainConfig

if TYPE_CHECKING:
    from hohenberg.hkmap.model import HKConfig

MOTIONS = ("rotation", "lattice")


def _default_model() -> HKConfig:
    from hohenberg.hkmap.model import HKConfig

    return HKConfig()


@dataclass
class HKRunConfig:
    model: HKConfig = field(default_factory=_default_model)
    # the command line's defaults (`hohenberg train hkmap` reads them from here)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(batch_size=4, lr=2e-3, patience=8))
    n_train: int | None = None  # None: every training molecule the store holds
    n_val: int = 48  # validation molecules monitored each epoch (early stopping, best weights)
    n_test: int | None = None  # None: every test molecule the store holds
    epoch_size: int | None = 256  # training molecules drawn per epoch (None: all): bounds the time between validations
    train_size: int | None = None  # smaller training views (points per axis, same spacing): more steps per
    # second, validation and test on the full view.  GroupNorm's statistics span the whole view, so they
    # change with its size and a model trained on smaller views does worse on the full one
    # (docs/notes/hkmap.md).  Keep None unless the normalisation is made local.
    augment: bool = True  # a random rigid motion (``motions``) per sample and epoch
    motions: str = "lattice"  # "lattice": the 48 symmetries of the grid + whole-voxel shifts (exact targets);
    # "rotation": uniform on SO(3) + continuous shifts (targets trilinearly resampled, i.e. smoothed, unlike
    # the stored grids a model is tested on).  Lattice gives the lower test error, also at random
    # orientations (docs/notes/hkmap.md).
    test_symmetries: int = 1  # test predictions averaged over this many cube symmetries (hkmap.symmetry)
    init_from: str | None = None  # warm start: weights of this model directory (see warm_start); a
    # checkpoint in the output directory (resume) takes precedence
    split_file: str | None = None
    split_seed: int = 0
    cache_dir: str | None = None  # per-molecule promolecule grids; default STORE/.cache/promolecule

    def __post_init__(self):
        from hohenberg.hkmap.symmetry import check_n_ops

        if self.motions not in MOTIONS:
            raise ValueError(f"motions must be one of {', '.join(MOTIONS)}, not {self.motions!r}")
        check_n_ops(self.test_symmetries, "test symmetries")
