"""``fit``: the one training loop (Lightning) for every neural model.

What it adds to ``lightning.Trainer``: a typed configuration, seeding, a checkpoint of the best
and of the last epoch in ``OUT/checkpoints`` (resume continues from ``last.ckpt``: epochs, optimiser,
scheduler, early-stopping and timer state), early stopping on ``val_loss``, a wall-clock budget,
``OUT/metrics.csv`` (CSV logger) including training throughput in molecules (samples) per
second, and the best weights loaded back into the module at the end.  Checkpoints are read
with ``weights_only=True``.  Device, DDP and precision are Lightning's (``accelerator="auto"``
picks a GPU when there is one; ``strategy="ddp"`` with ``devices=N`` for several).
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint, Timer
from lightning.pytorch.loggers import CSVLogger

from hohenberg.fileio import atomic_open
from hohenberg.training.lightning_module import batch_size_of


@dataclass
class TrainConfig:
    max_epochs: int = 200
    max_time_s: float | None = None  # wall-clock budget of the fit (resume continues the clock)
    patience: int = 20  # epochs without val_loss improvement before stopping
    batch_size: int = 32
    lr: float = 5e-4
    weight_decay: float = 0.0
    loss: str = "l1"
    seed: int = 0
    accelerator: str = "auto"
    devices: int | str = "auto"
    strategy: str = "auto"
    precision: str = "32-true"
    num_workers: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FitResult:
    best_checkpoint: str
    best_val_loss: float
    epochs: int
    wall_s: float
    train_molecules_per_s: float
    stopped_early: bool
    metrics_csv: str
    rank: int = 0  # this process's global rank under DDP: only rank 0 should write results
    clock_s: float = float("nan")  # training clock of max_time summed over resumed runs (NaN without max_time)


class Throughput(Callback):
    """Training samples per second, timed over training batches only (no validation)."""

    def __init__(self):
        self.samples = 0
        self.seconds = 0.0
        self._t = None

    def on_train_epoch_start(self, trainer, pl_module):
        self._epoch_samples, self._t = 0, time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self._epoch_samples += batch_size_of(batch)

    def on_train_epoch_end(self, trainer, pl_module):
        dt = time.perf_counter() - self._t
        self.samples += self._epoch_samples
        self.seconds += dt
        pl_module.log("train_molecules_per_s", self._epoch_samples / max(dt, 1e-9))

    @property
    def rate(self) -> float:
        return self.samples / self.seconds if self.seconds else float("nan")


def resumes(out_dir: str | Path, resume: bool = True) -> bool:
    """Whether :func:`fit` into ``out_dir`` continues from its ``checkpoints/last.ckpt``."""
    return resume and (Path(out_dir) / "checkpoints" / "last.ckpt").exists()


def fit(module: L.LightningModule, train_loader, val_loader, cfg: TrainConfig, out_dir: str | Path,
        resume: bool = True) -> FitResult:
    """Train ``module`` (see module docstring); returns where the best weights are and how it went."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Lightning's banners (GPU available, tips) and small-data warnings say nothing actionable here
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*(log_every_n_steps|LeafSpec|does not have many workers"
                                              "|exists and is not empty).*")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    best = ModelCheckpoint(dirpath=out / "checkpoints", filename="best", monitor="val_loss", mode="min",
                           save_top_k=1, save_last=True, enable_version_counter=False)
    stop = EarlyStopping(monitor="val_loss", mode="min", patience=cfg.patience)
    speed = Throughput()
    trainer = L.Trainer(
        max_epochs=cfg.max_epochs,
        max_time=timedelta(seconds=cfg.max_time_s) if cfg.max_time_s else None,
        accelerator=cfg.accelerator, devices=cfg.devices, strategy=cfg.strategy, precision=cfg.precision,
        callbacks=[best, stop, speed], logger=CSVLogger(out, name="", version=""),
        enable_progress_bar=False, enable_model_summary=False, log_every_n_steps=10**9,
        num_sanity_val_steps=0,
    )
    last = out / "checkpoints" / "last.ckpt"
    resuming = resumes(out, resume)
    earlier = out / "metrics.before-resume.csv"
    if resuming and (out / "metrics.csv").exists():
        # the CSV logger starts a new file: keep the earlier epochs and merge them back below
        _merge_csv([earlier, out / "metrics.csv"], earlier)
    t0 = time.perf_counter()
    trainer.fit(module, train_loader, val_loader, ckpt_path=str(last) if resuming else None, weights_only=True)
    wall = time.perf_counter() - t0
    if earlier.exists():
        _merge_csv([earlier, out / "metrics.csv"], out / "metrics.csv")
        earlier.unlink()
    state = torch.load(best.best_model_path, weights_only=True, map_location="cpu")["state_dict"]
    module.load_state_dict(state)
    score = best.best_model_score
    timers = [c for c in trainer.callbacks if isinstance(c, Timer)]
    return FitResult(best.best_model_path, float(score) if score is not None else float("nan"),
                     int(trainer.current_epoch), wall, speed.rate, bool(stop.stopped_epoch),
                     str(out / "metrics.csv"), int(trainer.global_rank),
                     timers[0].time_elapsed("train") if timers else float("nan"))


def _merge_csv(parts: list[Path], dest: Path) -> None:
    """Rows of the existing ``parts`` in order, columns the union, written to ``dest``."""
    import csv

    rows, cols = [], []
    for part in parts:
        if part.exists():
            with open(part, newline="") as fh:
                reader = csv.DictReader(fh)
                cols += [c for c in reader.fieldnames or [] if c not in cols]
                rows += list(reader)
    with atomic_open(dest, "w") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        writer.writerows(rows)
