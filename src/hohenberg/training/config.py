"""The training loop's configuration, apart from the loop: plain dataclasses and names only.

:mod:`hohenberg.training.trainer` (Lightning) and :mod:`hohenberg.training.lightning_module`
re-export these; they live here so that reading a default (the command line builds its options
from them) imports no torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SCHEDULES = ("plateau", "cosine")  # learning-rate schedules (training.lightning_module)


@dataclass
class TrainConfig:
    max_epochs: int = 200
    max_time_s: float | None = None  # wall-clock budget of the fit (resume continues the clock)
    patience: int = 20  # epochs without val_loss improvement before stopping
    batch_size: int = 32
    lr: float = 5e-4
    weight_decay: float = 0.0
    loss: str = "l1"
    lr_schedule: str = "plateau"  # "plateau" (ReduceLROnPlateau) or "cosine" over max_epochs
    seed: int = 0
    accelerator: str = "auto"
    devices: int | str = "auto"
    strategy: str = "auto"
    precision: str = "32-true"
    num_workers: int = 0

    def __post_init__(self):
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(SCHEDULES)}, not {self.lr_schedule!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        from hohenberg.configs import known_options

        return cls(**known_options(cls, d, "training"))  # an unknown key is an error, not dropped
