"""The shared Lightning loop: seeds, checkpoints, resume, early stopping, CSV metrics, offsets."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from hohenberg.graph.dataset import table_graphs
from hohenberg.graph.models import GraphModelConfig, build_model
from hohenberg.graph.run import fit_scaler
from hohenberg.training.lightning_module import OptimConfig, RegressionTask
from hohenberg.training.trainer import TrainConfig, fit

torch.set_num_threads(1)  # 2 shared cores: intra-op threads only contend

TARGETS = ("homo_eV", "U0_eV")


@pytest.fixture(scope="module")
def data(qm9_table):
    ds, _ = table_graphs(qm9_table, np.arange(80), 5.0)
    return ds.select("basic", TARGETS, ("bond",))


def _task(data, seed=0):
    torch.manual_seed(seed)
    model = build_model(GraphModelConfig(model="gin", views=("bond",), features="basic", targets=TARGETS,
                                         hidden=16, layers=2))
    fit_scaler(model, data, np.arange(60))
    return RegressionTask(model, TARGETS, OptimConfig(lr=2e-3))


def _loaders(data):
    return (DataLoader(data[torch.arange(60)], batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0)),
            DataLoader(data[torch.arange(60, 80)], batch_size=32))


def _epochs(path):
    with open(path, newline="") as fh:
        return sorted({int(r["epoch"]) for r in csv.DictReader(fh) if r.get("val_loss")})


def test_fit_writes_metrics_checkpoints_and_resumes(data, tmp_path):
    cfg = TrainConfig(max_epochs=2, batch_size=16, accelerator="cpu", patience=50)
    res = fit(_task(data), *_loaders(data), cfg, tmp_path)
    assert res.epochs == 2 and res.train_molecules_per_s > 0
    assert (tmp_path / "checkpoints" / "last.ckpt").exists() and res.best_checkpoint.endswith("best.ckpt")
    assert _epochs(tmp_path / "metrics.csv") == [0, 1]
    header = open(tmp_path / "metrics.csv").readline()
    assert "val_mae_homo_meV" in header and "val_mae_U0_meV" in header and "train_molecules_per_s" in header
    # a checkpoint is plain state: it loads with weights_only=True
    assert "state_dict" in torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)

    # resume: a fresh module, a larger epoch budget; training continues at epoch 2, not 0, and the
    # training clock of max_time continues too (the fit record sums the runs, wall_s is this run's)
    res2 = fit(_task(data, seed=1), *_loaders(data),
               TrainConfig(**{**cfg.to_dict(), "max_epochs": 4, "max_time_s": 3600}), tmp_path)
    assert res2.epochs == 4
    assert _epochs(tmp_path / "metrics.csv") == [0, 1, 2, 3]
    res3 = fit(_task(data, seed=1), *_loaders(data),
               TrainConfig(**{**cfg.to_dict(), "max_epochs": 5, "max_time_s": 3600}), tmp_path)
    assert res3.epochs == 5 and 0 < res3.clock_s - res2.clock_s <= res3.wall_s  # the increment is this run's
    assert res2.clock_s > 0 and res.clock_s != res.clock_s  # NaN without max_time


def test_early_stopping_and_best_weights_restored(data, tmp_path):
    # lr 0: validation never improves after the first epoch, so patience 2 stops at epoch 3
    task = _task(data)
    task.optim = OptimConfig(lr=0.0)
    res = fit(task, *_loaders(data), TrainConfig(max_epochs=50, patience=2, accelerator="cpu"), tmp_path)
    assert res.stopped_early and res.epochs == 3
    best = torch.load(res.best_checkpoint, weights_only=True)["state_dict"]
    assert all(torch.equal(best[k], v) for k, v in task.state_dict().items())


def test_offsets_are_restored_in_physical_units(data):
    task = _task(data)
    batch = next(iter(DataLoader(data, batch_size=80)))
    with torch.no_grad():
        pred = task.model(batch)
    # an untrained network already predicts U0 to the per-element fit: within 1 eV of ~ -10^4 eV
    assert pred.dtype == torch.float64
    err_u0 = (pred[:, 1] - batch.y[:, 1]).abs().mean()
    assert batch.y[:, 1].abs().mean() > 5000 and err_u0 < 1.0
