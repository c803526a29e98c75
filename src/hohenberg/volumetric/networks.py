"""3D CNN encoders built from a typed configuration, and the named architectures.

An encoder is a stem convolution followed by stages; each stage halves the grid (its first block
has stride 2) and holds ``depth`` blocks of one kind.  ``VolumetricEncoder.forward`` returns the
last stage's features, or every stage's (``features=True``) for decoders with skip connections
(the Hohenberg-Kohn map).  With ``checkpoint=True`` each stage's activations are recomputed in the
backward pass instead of kept (gradient checkpointing per stage: less memory, ~30 % more compute).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint as _checkpoint

from hohenberg.configs import known_options, to_plain
from hohenberg.volumetric.blocks import BLOCKS, ConvNormAct

# name -> (block kind, squeeze-and-excitation)
ARCHITECTURES: dict[str, tuple[str, bool]] = {
    "plain": ("plain", False),
    "residual": ("residual", False),
    "resse": ("residual", True),
    "inception-se": ("inception", True),
}


@dataclass
class EncoderConfig:
    """Architecture of a 3D CNN encoder (plain JSON types only: stored beside the weights)."""

    arch: str = "resse"  # one of ARCHITECTURES
    in_channels: int = 1
    widths: tuple[int, ...] = (16, 32, 64, 96)  # channels per stage; each stage halves the grid
    depth: int = 1  # blocks per stage
    stem_width: int = 16
    se_reduction: int = 4
    checkpoint: bool = False  # gradient checkpointing per stage

    def __post_init__(self):
        self.widths = tuple(int(w) for w in self.widths)
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose from {', '.join(ARCHITECTURES)}")
        if not self.widths or min(self.widths) < 1 or self.depth < 1 or self.in_channels < 1:
            raise ValueError("encoder needs in_channels >= 1, depth >= 1 and at least one positive width")

    def to_dict(self) -> dict:
        return to_plain(self)

    @classmethod
    def from_dict(cls, d: dict) -> EncoderConfig:
        return cls(**known_options(cls, d, "encoder"))


class VolumetricEncoder(nn.Module):
    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        kind, se = ARCHITECTURES[cfg.arch]
        block = BLOCKS[kind]
        self.stem = ConvNormAct(cfg.in_channels, cfg.stem_width, 3)
        stages, ch = [], cfg.stem_width
        for w in cfg.widths:
            blocks = [block(ch, w, stride=2, se=se, se_reduction=cfg.se_reduction)]
            blocks += [block(w, w, stride=1, se=se, se_reduction=cfg.se_reduction) for _ in range(cfg.depth - 1)]
            stages.append(nn.Sequential(*blocks))
            ch = w
        self.stages = nn.ModuleList(stages)
        self.out_channels = ch

    @property
    def stage_channels(self) -> list[int]:
        return [self.cfg.stem_width, *self.cfg.widths]

    def forward(self, x: torch.Tensor, features: bool = False):
        x = self.stem(x)
        feats = [x]
        for stage in self.stages:
            if self.cfg.checkpoint and self.training and torch.is_grad_enabled():
                x = _checkpoint(stage, x, use_reentrant=False)
            else:
                x = stage(x)
            feats.append(x)
        return feats if features else x


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
