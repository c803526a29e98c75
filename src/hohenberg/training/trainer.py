"""``fit``: the one training loop (Lightning) for every neural model.

What it adds to ``lightning.Trainer``: a typed configuration, seeding, a checkpoint of the best
and of the last epoch in ``OUT/checkpoints`` (resume continues from ``last.ckpt``: epochs, optimiser,
scheduler, early-stopping and timer state, and the random-number state, so that a resumed run
continues exactly as an uninterrupted one), early stopping on ``val_loss``, a wall-clock budget,
``OUT/metrics.csv`` (CSV logger) including training throughput in molecules (samples) per
second, and the best weights loaded back into the module at the end.  Checkpoints are read
with ``weights_only=True``.  Device, DDP and precision are Lightning's (``accelerator="auto"``
picks a GPU when there is one; ``strategy="ddp"`` with ``devices=N`` for several).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint, Timer
from lightning.pytorch.loggers import CSVLogger

from hohenberg.fileio import atomic_open
from hohenberg.training.checkpoint import load_weights_only
from hohenberg.training.config import TrainConfig  # defined apart so that reading it imports no torch
from hohenberg.training.lightning_module import batch_size_of


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


class AtomicCheckpoint(ModelCheckpoint):
    """A checkpoint written beside its place and renamed into it: an interrupted save leaves
    the previous checkpoint whole."""

    def _save_checkpoint(self, trainer, filepath: str) -> None:
        partial = f"{filepath}.partial"
        super()._save_checkpoint(trainer, partial)
        if os.path.exists(partial):  # only the process that writes (rank 0) has it
            os.replace(partial, filepath)


class ResumeState(Callback):
    """What Lightning's checkpoint leaves out, so that a resumed run continues exactly as an
    uninterrupted one would:

    * the random state: the global torch, NumPy and Python generators (dropout, noise) and the
      training loader's own generator (the order of the next epoch's batches);
    * the plateau scheduler's step of the checkpointed epoch: Lightning saves at the end of
      validation, before that step, and skips plateau schedulers when it restarts, so the step
      would be lost; the monitored value is kept and the step is made when training resumes.
    """

    def __init__(self, loader_generator: torch.Generator | None = None, monitor: str = "val_loss"):
        self.loader_generator = loader_generator
        self.monitor = monitor
        self._pending: float | None = None

    def state_dict(self) -> dict:
        import random

        import numpy as np

        kind, keys, pos, has_gauss, gauss = np.random.get_state()
        state = {"torch": torch.get_rng_state(), "numpy_keys": torch.from_numpy(keys.astype(np.int64)),
                 "numpy_pos": int(pos), "numpy_gauss": (int(has_gauss), float(gauss)),
                 "python": random.getstate(), "monitored": self._monitored}
        if self.loader_generator is not None:
            state["loader"] = self.loader_generator.get_state()
        return state

    def on_validation_end(self, trainer, pl_module):
        value = trainer.callback_metrics.get(self.monitor)
        self._monitored = float(value) if value is not None else None

    _monitored: float | None = None

    def load_state_dict(self, state: dict) -> None:
        import random

        import numpy as np

        torch.set_rng_state(state["torch"])
        has_gauss, gauss = state["numpy_gauss"]
        np.random.set_state(("MT19937", state["numpy_keys"].numpy().astype(np.uint32), state["numpy_pos"],
                             has_gauss, gauss))
        random.setstate(_as_tuple(state["python"]))
        if self.loader_generator is not None and "loader" in state:
            self.loader_generator.set_state(state["loader"])
        self._pending = state.get("monitored")

    def on_train_start(self, trainer, pl_module):
        if self._pending is None:
            return
        for config in trainer.lr_scheduler_configs:
            sched = config.scheduler
            if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau) and sched.last_epoch < trainer.current_epoch:
                sched.step(self._pending)
        self._pending = None


def _as_tuple(x):
    """Python's RNG state as ``random.setstate`` wants it (a checkpoint may turn tuples into lists)."""
    return tuple(_as_tuple(v) for v in x) if isinstance(x, (list, tuple)) else x


class EpochProgress(Callback):
    """One line per epoch for a person at a terminal: epoch, losses, validation MAE of the first
    targets, training throughput and the time left (from the wall-clock budget or the epochs left)."""

    def __init__(self, log: Callable[[str], None], max_epochs: int, max_time_s: float | None, n_mae: int = 4):
        self.emit, self.max_epochs, self.max_time_s, self.n_mae = log, max_epochs, max_time_s, n_mae
        self._t0 = None
        self._epochs_here = 0

    def on_train_start(self, trainer, pl_module):
        self._t0 = time.perf_counter()
        self._first_epoch = trainer.current_epoch

    def on_train_epoch_end(self, trainer, pl_module):
        # after validation and after the epoch's training loss and throughput are logged
        if self._t0 is None:
            return
        m = {k: float(v) for k, v in trainer.callback_metrics.items()}
        epoch = trainer.current_epoch + 1
        done = epoch - self._first_epoch
        elapsed = time.perf_counter() - self._t0
        per_epoch = elapsed / max(done, 1)
        left = (self.max_epochs - epoch) * per_epoch
        timers = [c for c in trainer.callbacks if isinstance(c, Timer)]
        if self.max_time_s and timers:
            left = min(left, max(self.max_time_s - timers[0].time_elapsed("train"), 0.0))
        maes = [f"{k[len('val_mae_'):]} {v:.4g}" for k, v in m.items() if k.startswith("val_mae_")][: self.n_mae]
        rate = m.get("train_molecules_per_s", float("nan"))
        self.emit(f"epoch {epoch}/{self.max_epochs}  train_loss {m.get('train_loss', float('nan')):.4f}  "
                 f"val_loss {m.get('val_loss', float('nan')):.4f}  val MAE: {', '.join(maes)}  "
                 f"{rate:.0f} molecules/s  ETA {_hms(left)}")


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def resumes(out_dir: str | Path, resume: bool = True) -> bool:
    """Whether :func:`fit` into ``out_dir`` continues from its ``checkpoints/last.ckpt``."""
    return resume and (Path(out_dir) / "checkpoints" / "last.ckpt").exists()


def fit(module: L.LightningModule, train_loader, val_loader, cfg: TrainConfig, out_dir: str | Path,
        resume: bool = True, progress: Callable[[str], None] | None = None) -> FitResult:
    """Train ``module`` (see module docstring); returns where the best weights are and how it went."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Lightning's banners (GPU available, tips) and small-data warnings say nothing actionable here
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*(log_every_n_steps|LeafSpec|does not have many workers"
                                              "|exists and is not empty).*")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    best = AtomicCheckpoint(dirpath=out / "checkpoints", filename="best", monitor="val_loss", mode="min",
                            save_top_k=1, enable_version_counter=False)
    # Lightning's save_last writes only when the monitored checkpoint improved, so a resume would
    # repeat the epochs since the best one: the latest epoch gets a checkpoint of its own
    latest = AtomicCheckpoint(dirpath=out / "checkpoints", filename="last", save_top_k=1,
                              enable_version_counter=False)
    stop = EarlyStopping(monitor="val_loss", mode="min", patience=cfg.patience)
    speed = Throughput()
    callbacks = [best, latest, stop, speed, ResumeState(getattr(train_loader, "generator", None))]
    if progress is not None:
        callbacks.append(EpochProgress(progress, cfg.max_epochs, cfg.max_time_s))
    trainer = L.Trainer(
        max_epochs=cfg.max_epochs,
        max_time=timedelta(seconds=cfg.max_time_s) if cfg.max_time_s else None,
        accelerator=cfg.accelerator, devices=cfg.devices, strategy=cfg.strategy, precision=cfg.precision,
        callbacks=callbacks, logger=CSVLogger(out, name="", version=""),
        enable_progress_bar=False, enable_model_summary=False, log_every_n_steps=10**9,
        num_sanity_val_steps=0,
    )
    last = out / "checkpoints" / "last.ckpt"
    resuming = resumes(out, resume)
    if resuming:  # Lightning would fail deep inside its loop on a damaged or foreign file, naming none
        load_weights_only(last, "cannot resume from this checkpoint", "start over in a new folder, or move it aside")
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
