"""Property models: a 3D CNN from density views to any subset of the QM9 targets.

``VolumetricRegressor`` = encoder -> global mean and max pooling -> MLP -> one output per target,
then the per-target offsets restored by a :class:`~hohenberg.training.scaler.TargetScaler`
(per-element linear fit + residual scale, fitted on the training molecules; the network only
learns what the atom counts do not explain).  Predictions are float64 in the table's units
(``homo_eV``, ``mu_D``, ...).  ``channels_last`` runs the convolutions in channels-last 3D memory
format (NDHWC), faster for many CPU and GPU kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import nn

from hohenberg.configs import known_options
from hohenberg.training.scaler import TargetScaler
from hohenberg.volumetric.data import KEY_BATCH, KEY_GRID, KEY_Z, ViewConfig
from hohenberg.volumetric.networks import EncoderConfig, VolumetricEncoder, parameter_count


@dataclass
class VolumetricModelConfig:
    """Everything that defines a volumetric property model (saved beside its weights)."""

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    view: ViewConfig = field(default_factory=ViewConfig)
    targets: tuple[str, ...] = ("homo_eV", "lumo_eV", "gap_eV", "U0_eV")
    head_hidden: int = 128
    dropout: float = 0.0
    channels_last: bool = False

    def __post_init__(self):
        self.targets = tuple(self.targets)
        if not self.targets:
            raise ValueError("a volumetric model needs at least one target")
        self.encoder = encoder_for(self.encoder, self.view)

    def to_dict(self) -> dict:
        return {"encoder": self.encoder.to_dict(), "view": self.view.to_dict(), "targets": list(self.targets),
                "head_hidden": self.head_hidden, "dropout": self.dropout, "channels_last": self.channels_last}

    @classmethod
    def from_dict(cls, d: dict) -> VolumetricModelConfig:
        return cls(**with_nested_configs(known_options(cls, d, "model")))


def encoder_for(encoder: EncoderConfig, view: ViewConfig) -> EncoderConfig:
    """``encoder`` taking one input channel per channel of ``view`` (derived, never set apart)."""
    n = len(view.channels)
    return encoder if encoder.in_channels == n else replace(encoder, in_channels=n)


def with_nested_configs(d: dict) -> dict:
    """Keyword arguments with the ``encoder`` and ``view`` dicts read into their dataclasses."""
    return {**d, "encoder": EncoderConfig.from_dict(d.get("encoder", {})),
            "view": ViewConfig.from_dict(d.get("view", {}))}


class VolumetricRegressor(nn.Module):
    def __init__(self, cfg: VolumetricModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = VolumetricEncoder(cfg.encoder)
        c = self.encoder.out_channels
        self.head = nn.Sequential(nn.Linear(2 * c, cfg.head_hidden), nn.SiLU(), nn.Dropout(cfg.dropout),
                                  nn.Linear(cfg.head_hidden, len(cfg.targets)))
        self.scaler = TargetScaler(len(cfg.targets))
        if cfg.channels_last:
            self.encoder.to(memory_format=torch.channels_last_3d)

    def normalised(self, grid: torch.Tensor) -> torch.Tensor:
        """Network output before the offsets are restored: ``(B, n_targets)``."""
        if self.cfg.channels_last:
            grid = grid.contiguous(memory_format=torch.channels_last_3d)
        h = self.encoder(grid)
        pooled = torch.cat([h.mean(dim=(2, 3, 4)), h.amax(dim=(2, 3, 4))], dim=1)
        return self.head(pooled)

    def forward(self, batch: dict) -> torch.Tensor:
        out = self.normalised(batch[KEY_GRID])
        return self.scaler.restore(out.float(), batch[KEY_Z], batch[KEY_BATCH])

    @property
    def n_parameters(self) -> int:
        return parameter_count(self)


def build_model(cfg: VolumetricModelConfig) -> VolumetricRegressor:
    return VolumetricRegressor(cfg)
