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


def test_resumed_run_equals_uninterrupted_run(data, tmp_path):
    """Weights, optimiser and scheduler after 2 + 2 epochs (a fresh module, fresh loaders and a
    reseeded process in between) are exactly those of 4 epochs in one run: the checkpoint carries
    the random state, including the loader's batch order."""
    cfg = TrainConfig(max_epochs=4, batch_size=16, accelerator="cpu", patience=50)
    fit(_task(data), *_loaders(data), cfg, tmp_path / "straight")
    fit(_task(data), *_loaders(data), TrainConfig(**{**cfg.to_dict(), "max_epochs": 2}), tmp_path / "split")
    torch.manual_seed(1234)  # a new process would start from another global state
    np.random.seed(99)
    fit(_task(data, seed=7), *_loaders(data), cfg, tmp_path / "split")
    a = torch.load(tmp_path / "straight" / "checkpoints" / "last.ckpt", weights_only=True)
    b = torch.load(tmp_path / "split" / "checkpoints" / "last.ckpt", weights_only=True)
    assert a["epoch"] == b["epoch"] and a["global_step"] == b["global_step"] == 4 * 4
    for k, v in a["state_dict"].items():
        assert torch.equal(v, b["state_dict"][k]), k
    sa, sb = a["optimizer_states"][0]["state"], b["optimizer_states"][0]["state"]
    assert all(torch.equal(sa[i]["exp_avg_sq"], sb[i]["exp_avg_sq"]) for i in sa)
    assert a["lr_schedulers"] == b["lr_schedulers"]
    # and the random state really matters: without it the batch order of epochs 3-4 differs
    fit(_task(data), *_loaders(data), TrainConfig(**{**cfg.to_dict(), "max_epochs": 2}), tmp_path / "norng")
    ck = torch.load(tmp_path / "norng" / "checkpoints" / "last.ckpt", weights_only=True)
    ck["callbacks"] = {k: v for k, v in ck["callbacks"].items() if not k.startswith("ResumeState")}
    torch.save(ck, tmp_path / "norng" / "checkpoints" / "last.ckpt")
    fit(_task(data), *_loaders(data), cfg, tmp_path / "norng")
    c = torch.load(tmp_path / "norng" / "checkpoints" / "last.ckpt", weights_only=True)
    assert not all(torch.equal(v, c["state_dict"][k]) for k, v in a["state_dict"].items())


def test_progress_lines_name_epoch_losses_throughput_and_eta(data, tmp_path):
    lines = []
    fit(_task(data), *_loaders(data), TrainConfig(max_epochs=2, batch_size=16, accelerator="cpu", max_time_s=600),
        tmp_path, progress=lines.append)
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2") and lines[1].startswith("epoch 2/2")
    for key in ("train_loss", "val_loss", "homo_meV", "U0_meV", "molecules/s", "ETA"):
        assert key in lines[0], key
    assert lines[1].endswith("ETA 0:00:00")


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


def test_a_foreign_checkpoint_is_refused_by_name_before_training(data, tmp_path):
    from hohenberg.errors import InputError

    (tmp_path / "checkpoints").mkdir()
    last = tmp_path / "checkpoints" / "last.ckpt"
    torch.save({"state_dict": {}, "optimizer": object()}, last)  # a pickle, not plain state
    with pytest.raises(InputError, match="last.ckpt: cannot resume from this checkpoint"):
        fit(_task(data), *_loaders(data), TrainConfig(max_epochs=1, accelerator="cpu"), tmp_path)
    assert not (tmp_path / "metrics.csv").exists()  # refused before any epoch
