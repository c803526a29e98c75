"""3D convolutional building blocks: plain, residual and inception-style units, squeeze-and-excitation.

Every block maps ``(batch, in_channels, D, H, W)`` to ``(batch, out_channels, D/stride, ...)``.
Normalisation is GroupNorm, not BatchNorm: volumetric batches are small (memory), its statistics
do not depend on the batch size that ``--max-memory`` picks, and recomputation under gradient
checkpointing cannot update running statistics twice.
"""

from __future__ import annotations

import torch
from torch import nn


def norm3d(channels: int) -> nn.GroupNorm:
    groups = next(g for g in (8, 4, 2, 1) if channels % g == 0)
    return nn.GroupNorm(groups, channels)


class ConvNormAct(nn.Sequential):
    """Conv3d (same padding) -> GroupNorm -> SiLU (activation optional)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int | tuple[int, int, int] = 3, stride: int = 1,
                 act: bool = True):
        k = (kernel,) * 3 if isinstance(kernel, int) else tuple(kernel)
        layers = [nn.Conv3d(in_ch, out_ch, k, stride=stride, padding=tuple(s // 2 for s in k), bias=False),
                  norm3d(out_ch)]
        if act:
            layers.append(nn.SiLU(inplace=True))
        super().__init__(*layers)


class SqueezeExcite3d(nn.Module):
    """Channel gates from globally pooled features (Hu et al. 2018): x * sigmoid(MLP(mean(x)))."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        hidden = max(channels // reduction, 4)
        self.fc = nn.Sequential(nn.Linear(channels, hidden), nn.SiLU(inplace=True), nn.Linear(hidden, channels),
                                nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.fc(x.mean(dim=(2, 3, 4)))
        return x * gate[:, :, None, None, None]


def _shortcut(in_ch: int, out_ch: int, stride: int) -> nn.Module:
    if in_ch == out_ch and stride == 1:
        return nn.Identity()
    return ConvNormAct(in_ch, out_ch, kernel=1, stride=stride, act=False)


class PlainBlock3d(nn.Module):
    """Two 3x3x3 convolutions, no skip (the baseline the other blocks are measured against)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, se: bool = False, se_reduction: int = 4):
        super().__init__()
        self.body = nn.Sequential(ConvNormAct(in_ch, out_ch, 3, stride), ConvNormAct(out_ch, out_ch, 3))
        self.se = SqueezeExcite3d(out_ch, se_reduction) if se else nn.Identity()

    def forward(self, x):
        return self.se(self.body(x))


class ResidualBlock3d(nn.Module):
    """Two 3x3x3 convolutions plus a skip connection (projected when shape changes), optional SE."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, se: bool = False, se_reduction: int = 4):
        super().__init__()
        self.body = nn.Sequential(ConvNormAct(in_ch, out_ch, 3, stride), ConvNormAct(out_ch, out_ch, 3, act=False))
        self.se = SqueezeExcite3d(out_ch, se_reduction) if se else nn.Identity()
        self.skip = _shortcut(in_ch, out_ch, stride)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x):
        return self.act(self.se(self.body(x)) + self.skip(x))


class InceptionBlock3d(nn.Module):
    """Parallel branches concatenated: 1x1x1; 1x1x1 -> 3x3x3; 1x1x1 -> 3x3x3 -> 3x3x3 (a factorised
    5x5x5 receptive field at 54 instead of 125 weights per channel pair); 3x3x3 max-pool -> 1x1x1.
    Then a 1x1x1 mix, optional SE, and a residual skip (Inception-ResNet style)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, se: bool = False, se_reduction: int = 4):
        super().__init__()
        b = max(out_ch // 4, 4)
        mid = max(b // 2, 4)
        self.branches = nn.ModuleList([
            ConvNormAct(in_ch, b, 1, stride),
            nn.Sequential(ConvNormAct(in_ch, mid, 1), ConvNormAct(mid, b, 3, stride)),
            nn.Sequential(ConvNormAct(in_ch, mid, 1), ConvNormAct(mid, b, 3), ConvNormAct(b, b, 3, stride)),
            nn.Sequential(nn.MaxPool3d(3, stride=stride, padding=1), ConvNormAct(in_ch, b, 1)),
        ])
        self.mix = ConvNormAct(4 * b, out_ch, 1, act=False)
        self.se = SqueezeExcite3d(out_ch, se_reduction) if se else nn.Identity()
        self.skip = _shortcut(in_ch, out_ch, stride)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x):
        y = self.mix(torch.cat([branch(x) for branch in self.branches], dim=1))
        return self.act(self.se(y) + self.skip(x))


BLOCKS: dict[str, type[nn.Module]] = {"plain": PlainBlock3d, "residual": ResidualBlock3d,
                                      "inception": InceptionBlock3d}
