"""The Lightning module every neural model in Hohenberg trains with.

Contract with the wrapped ``model``: ``model(batch)`` returns ``(n_samples, n_targets)``
predictions in physical units (the model restores its own per-target offsets), and the batch
carries the reference values as ``batch.y`` or ``batch["y"]`` (NaN = missing, ignored).  The
loss is taken on errors divided by a per-target scale (by default the model's
``scaler.std``), i.e. in normalised units, so that every target weighs alike whatever its unit.
Validation logs ``val_loss`` and the MAE of every target in report units
(``val_mae_homo_meV``), the numbers people read in ``metrics.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import lightning as L
import torch

from hohenberg.models.metrics import report_unit, target_label
from hohenberg.training.config import SCHEDULES


@dataclass
class OptimConfig:
    lr: float = 5e-4
    weight_decay: float = 0.0
    loss: str = "l1"  # "l1" (what MAE rewards) or "mse"
    lr_factor: float = 0.5  # ReduceLROnPlateau on val_loss
    lr_patience: int = 5
    schedule: str = "plateau"  # "plateau", or "cosine": warm-up, then cosine decay over the epoch budget
    warmup_fraction: float = 0.01
    final_lr_fraction: float = 0.01

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown learning-rate schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")


def cosine_factor(step: int, total: int, warmup_fraction: float = 0.01, final_fraction: float = 0.01) -> float:
    """Learning-rate multiplier at ``step`` of ``total``: linear warm-up over the first
    ``warmup_fraction`` of the steps, then a cosine from 1 down to ``final_fraction``."""
    warm = max(1, int(total * warmup_fraction))
    if step < warm:
        return (step + 1) / warm
    t = min(1.0, (step - warm) / max(1, total - warm))
    return final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * t))


def adam_with_schedule(params, optim: OptimConfig, total_steps: int | None = None) -> dict:
    """Lightning's optimiser dict for ``optim.schedule``: :func:`adam_on_plateau`, or Adam with
    :func:`cosine_factor` stepped every batch over ``total_steps`` (the whole epoch budget, so
    that a run with a fixed number of epochs ends at the small final rate)."""
    if optim.schedule == "plateau":
        return adam_on_plateau(params, optim)
    opt = torch.optim.Adam(params, lr=optim.lr, weight_decay=optim.weight_decay)
    total = max(1, int(total_steps or 1))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: cosine_factor(step, total, optim.warmup_fraction, optim.final_lr_fraction))
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def adam_on_plateau(params, optim: OptimConfig) -> dict:
    """Lightning's optimiser dict: Adam, learning rate cut by ``lr_factor`` when ``val_loss``
    stalls for ``lr_patience`` epochs (every task of the project trains this way)."""
    opt = torch.optim.Adam(params, lr=optim.lr, weight_decay=optim.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=optim.lr_factor, patience=optim.lr_patience)
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"}}


def batch_targets(batch) -> torch.Tensor:
    return batch["y"] if isinstance(batch, dict) else batch.y


def batch_size_of(batch) -> int:
    n = getattr(batch, "num_graphs", None)
    return int(n) if n is not None else int(batch_targets(batch).shape[0])


class RegressionTask(L.LightningModule):
    """Multi-target regression with masked, scale-normalised L1/MSE loss (module docstring)."""

    def __init__(self, model: torch.nn.Module, targets: Sequence[str], optim: OptimConfig | None = None,
                 loss_scale: torch.Tensor | None = None):
        super().__init__()
        self.model = model
        self.targets = list(targets)
        self.optim = optim or OptimConfig()
        if loss_scale is None:
            scaler = getattr(model, "scaler", None)
            loss_scale = scaler.std.clone() if scaler is not None else torch.ones(len(self.targets))
        self.register_buffer("loss_scale", loss_scale.double())
        self._val_abs = None
        self._val_n = None

    def forward(self, batch) -> torch.Tensor:
        return self.model(batch)

    def _loss(self, pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        ok = torch.isfinite(y)
        err = (pred - torch.where(ok, y, pred.detach())) / self.loss_scale
        err = err[ok]
        return (err.abs().mean() if self.optim.loss == "l1" else err.pow(2).mean()).float()

    def training_step(self, batch, batch_idx):
        loss = self._loss(self.model(batch), batch_targets(batch).double())
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=batch_size_of(batch), sync_dist=True)
        return loss

    def on_validation_epoch_start(self):
        self._val_abs = torch.zeros(len(self.targets), dtype=torch.float64, device=self.device)
        self._val_n = torch.zeros(len(self.targets), dtype=torch.float64, device=self.device)

    def validation_step(self, batch, batch_idx):
        pred, y = self.model(batch), batch_targets(batch).double()
        self.log("val_loss", self._loss(pred, y), on_step=False, on_epoch=True, batch_size=batch_size_of(batch),
                 sync_dist=True)
        ok = torch.isfinite(y)
        self._val_abs += torch.where(ok, (pred - y).abs(), 0).sum(0)
        self._val_n += ok.sum(0)

    def on_validation_epoch_end(self):
        mae = (self._val_abs / self._val_n.clamp(min=1)).cpu()
        for j, t in enumerate(self.targets):
            unit, factor = report_unit(t)
            self.log(f"val_mae_{target_label(t)}_{unit}", float(mae[j]) * factor, sync_dist=True)

    def predict_step(self, batch, batch_idx):
        return self.model(batch).detach()

    def configure_optimizers(self):
        total = self.trainer.estimated_stepping_batches if self.optim.schedule != "plateau" else None
        return adam_with_schedule(self.parameters(), self.optim, total)
