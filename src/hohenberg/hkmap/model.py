"""The Hohenberg-Kohn map as a 3D U-Net: cheap grid (promolecule and/or potential) -> SCF density.

Encoder: the shared :class:`~hohenberg.volumetric.networks.VolumetricEncoder` (stem at full
resolution, each stage halves the grid).  Decoder: per level, trilinear upsampling to the skip's
size, concatenation with the skip, one residual block.  Head: a 1x1x1 convolution initialised at
zero, so an untrained model returns the promolecule (``target="delta"``), the reference it has
to beat.

Output (``HKNet.forward``), always a density in e/bohr^3 on the output view:

- ``target="delta"``: rho = max(promolecule + delta_scale * h, 0);
- ``target="ratio"``: rho = promolecule * exp(clamp(ratio_scale * h, -4, 4)): a correction relative
  to the promolecule, which shares its cusps and tails, so the network predicts a smooth log-ratio
  field instead of a difference as sharp as the nuclear cusps on the grid;
- ``target="density"``: rho = density_scale * expm1(softplus(h)) (``h`` predicts the same
  ``log1p(rho / scale)`` transform the input densities use, made non-negative by softplus);

then rescaled per molecule so that its voxel sum equals the voxel sum of the promolecule on the
same output grid (:func:`rescale_to_reference`).  Why that reference: on a 0.3 A grid the voxel
sum of the true density misses part of the core electrons (the nuclear cusp falls between grid
points), so rescaling to N would push the missing core charge into the valence region; the
promolecule, rendered on the same points, misses the same cores, and its voxel sum is known
without any SCF.

Super-resolution (``out_size != size``): the decoder ends on the input view, its features are
resampled onto the finer output view (exact geometry, :func:`resample_features`) and a residual
block at the output resolution, which also sees the promolecule rendered on the output view,
makes the head's input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from hohenberg.configs import known_options
from hohenberg.volumetric.augment import view_offsets
from hohenberg.volumetric.blocks import ResidualBlock3d
from hohenberg.volumetric.data import ViewConfig
from hohenberg.volumetric.models import encoder_for, with_nested_configs
from hohenberg.volumetric.networks import EncoderConfig, VolumetricEncoder, parameter_count

TARGETS = ("delta", "density", "ratio")
INPUTS = {"promolecule": ("promolecule",), "potential": ("potential",), "both": ("promolecule", "potential")}


@dataclass
class HKConfig:
    """Everything that defines a Hohenberg-Kohn map model (saved beside its weights as JSON)."""

    encoder: EncoderConfig = field(default_factory=lambda: EncoderConfig(
        arch="residual", widths=(16, 32, 48), stem_width=8))
    view: ViewConfig = field(default_factory=lambda: ViewConfig(
        channels=("promolecule",), size=48, spacing=0.3, max_shift=0.3))
    target: str = "delta"  # "delta" (DFT minus promolecule) or "density"
    out_size: int | None = None  # output view points per axis; None: the input view's
    out_spacing: float | None = None  # Angstrom; None: the input view's
    delta_scale: float = 0.05  # e/bohr^3 per unit of the head's output (target="delta")
    ratio_scale: float = 0.1  # log-ratio per unit of the head's output (target="ratio")

    def __post_init__(self):
        self.view = ViewConfig.from_dict(self.view) if isinstance(self.view, dict) else self.view
        self.encoder = EncoderConfig.from_dict(self.encoder) if isinstance(self.encoder, dict) else self.encoder
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; choose from {', '.join(TARGETS)}")
        if "density" in self.view.channels:
            raise ValueError("the Hohenberg-Kohn map cannot take the SCF density as input")
        self.encoder = encoder_for(self.encoder, self.view)
        if self.view.size % (2 ** len(self.encoder.widths)):
            raise ValueError(f"view size {self.view.size} must be divisible by 2^{len(self.encoder.widths)} "
                             "(one halving per encoder stage)")

    @property
    def output_size(self) -> int:
        return self.out_size or self.view.size

    @property
    def output_spacing(self) -> float:
        return self.out_spacing or self.view.spacing

    @property
    def super_resolution(self) -> bool:
        return self.output_size != self.view.size or abs(self.output_spacing - self.view.spacing) > 1e-9

    def to_dict(self) -> dict:
        return {"encoder": self.encoder.to_dict(), "view": self.view.to_dict(), "target": self.target,
                "out_size": self.out_size, "out_spacing": self.out_spacing, "delta_scale": self.delta_scale,
                "ratio_scale": self.ratio_scale}

    @classmethod
    def from_dict(cls, d: dict) -> HKConfig:
        return cls(**with_nested_configs(known_options(cls, d, "hkmap")))


def rescale_to_reference(rho: torch.Tensor, reference: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """``rho`` (B, ...) scaled per sample so that its sum equals the sum of ``reference`` (module doc)."""
    dims = tuple(range(1, rho.ndim))
    return rho * (reference.sum(dims, keepdim=True) / rho.sum(dims, keepdim=True).clamp(min=eps))


def resample_features(x: torch.Tensor, size: int, spacing: float, out_size: int, out_spacing: float) -> torch.Tensor:
    """Trilinear values of ``x`` (B, C, size^3; a view centred at 0) at the points of a centred
    ``out_size``^3 view of ``out_spacing``: the geometry is exact (view points at
    ``(i - (n - 1) / 2) * spacing``), unlike ``interpolate(align_corners=...)``; border-clamped."""
    u = view_offsets(out_size, out_spacing) / (spacing * (size - 1) / 2)
    g = u.flip(-1).to(x.dtype).to(x.device)  # (k, j, i) order for grid_sample
    return F.grid_sample(x, g.expand(x.shape[0], *g.shape), mode="bilinear", padding_mode="border",
                         align_corners=True)


class HKNet(nn.Module):
    """U-Net on the shared encoder; ``forward(x, pro)`` -> density (B, s, s, s) e/bohr^3 (module doc).

    ``x``: (B, C, size^3) transformed input channels on the input view; ``pro``: (B, s^3) raw
    promolecule (e/bohr^3) on the output view (the base of ``delta``, and the normalisation).
    """

    def __init__(self, cfg: HKConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = VolumetricEncoder(cfg.encoder)
        chans = self.encoder.stage_channels  # [stem, stage1, ...], finest first
        ups, ch = [], chans[-1]
        for skip in reversed(chans[:-1]):
            ups.append(ResidualBlock3d(ch + skip, skip))
            ch = skip
        self.decoder = nn.ModuleList(ups)
        self.refine = ResidualBlock3d(ch + 1, ch) if cfg.super_resolution else None
        self.head = nn.Conv3d(ch, 1, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @property
    def n_parameters(self) -> int:
        return parameter_count(self)

    # The two ways a property model asks a map for a density (the volumetric package takes any
    # object with these, so it never imports this one): on a box it gives, or on the molecule's own.
    def predict_on_box(self, numbers, positions, center):
        from hohenberg.hkmap.run import predict_on_box

        return predict_on_box(self, numbers, positions, center)

    def predict_density(self, numbers, positions, name: str = "the molecule"):
        from hohenberg.hkmap.run import predict_density

        return predict_density(self, numbers, positions, name=name)

    def forward(self, x: torch.Tensor, pro: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        feats = self.encoder(x, features=True)
        y = feats[-1]
        for block, skip in zip(self.decoder, reversed(feats[:-1])):
            y = F.interpolate(y, size=skip.shape[-3:], mode="trilinear", align_corners=False)
            y = block(torch.cat([y, skip], dim=1))
        if self.refine is not None:
            y = resample_features(y, cfg.view.size, cfg.view.spacing, cfg.output_size, cfg.output_spacing)
            pro_t = torch.log1p(pro.clamp(min=0) / cfg.view.density_scale)[:, None]
            y = self.refine(torch.cat([y, pro_t.to(y.dtype)], dim=1))
        h = self.head(y)[:, 0].to(pro.dtype)
        if cfg.target == "delta":
            rho = (pro + cfg.delta_scale * h).clamp(min=0)
        elif cfg.target == "ratio":
            rho = pro.clamp(min=0) * torch.exp((cfg.ratio_scale * h).clamp(-4.0, 4.0))
        else:
            rho = cfg.view.density_scale * torch.expm1(F.softplus(h))
        return rescale_to_reference(rho, pro)
