"""Train and evaluate volumetric property models on a store (+ the table holding the targets).

A model directory holds ``model.pt`` (weights, configuration, provenance; loads with
``weights_only=True``), ``checkpoints/`` and ``metrics.csv`` (the shared Lightning loop: resume,
early stopping), ``model.json`` (configuration, split sizes, throughput, peak memory, test errors
with units in the keys, next to the per-element baseline trained on the same molecules),
``test_predictions.csv``, ``parity.png`` and ``learning_curve.png``.

Splits: the table's split (:func:`hohenberg.datasets.splits.split_table`: QM9's standard split,
random, scaffold or a file of ids), restricted to the molecules the store holds (a model whose
channels are rendered from the atoms needs no store: the whole table), then nested
random subsets of the requested sizes, so that learning curves compare like with like; the ids
are written to ``split.json`` and evaluation reads them back.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from hohenberg.datasets.qm9 import quick_subset
from hohenberg.datasets.splits import PARTS, evaluation_ids, resolve_kind, sized_parts, split_table, write_split_ids
from hohenberg.datasets.targets import table_elements
from hohenberg.errors import HohenbergError
from hohenberg.fileio import atomic_open, atomic_write
from hohenberg.manifest import write_manifest
from hohenberg.models.metrics import error_summary, report_unit, target_label
from hohenberg.training.checkpoint import load_built_model, save_model_file
from hohenberg.training.lightning_module import OptimConfig, RegressionTask
from hohenberg.training.trainer import TrainConfig, fit
from hohenberg.volumetric.config import VolumetricRunConfig  # defined apart so that reading it imports no torch
from hohenberg.volumetric.data import PredictedDensities, StoreVolumes, TableVolumes, ViewCollate
from hohenberg.volumetric.memory import parse_bytes, peak_memory_bytes, plan_batch_size
from hohenberg.volumetric.models import VolumetricModelConfig, VolumetricRegressor, build_model

MODEL_KIND = "volumetric"


def split_ids(store_ids: Sequence[str], table, cfg: VolumetricRunConfig) -> dict[str, list[str]]:
    """Train/val/test ids: the table's split restricted to the store (module docstring)."""
    held = set(store_ids)
    split = split_table(table, cfg.split, cfg.split_seed)
    parts = {k: np.array([r for r in split[k] if str(table.ids[r]) in held], dtype=np.int64) for k in PARTS}
    rows = sized_parts(parts, {"train": cfg.n_train, "val": cfg.n_val, "test": cfg.n_test},
                       lambda r, n: quick_subset(r, n, cfg.split_seed))
    return {k: [str(table.ids[r]) for r in v] for k, v in rows.items()}


def source_of(store, table, mcfg: VolumetricModelConfig) -> tuple[list[str], dict]:
    """Ids held and the grid description a prediction needs: the store's configuration, or (no
    store: channels rendered from the table's atoms) ``layout: "atoms"`` with the view's grid."""
    if store is not None:
        reader = StoreVolumes(store, need_density=False)
        return reader.ids, reader.reader.config
    if "density" in mcfg.view.channels:
        raise HohenbergError("the density channel is read from a store of SCF densities (`hohenberg qc batch`); "
                             "without a store train on promolecule and/or potential")
    return [str(i) for i in table.ids], {"layout": "atoms", "level": None, "size": mcfg.view.size,
                                         "spacing": mcfg.view.spacing}


def make_dataset(store, ids, table, model_cfg: VolumetricModelConfig, cache_dir=None,
                 density_from: str = "store", load_map: Callable | None = None
                 ) -> StoreVolumes | TableVolumes | PredictedDensities:
    """Items of ``ids``: from the store, or (``store`` None) rendered from the table's atoms; with
    ``density_from="hkmap:DIR"`` the density channel is that map's prediction, not the SCF's
    (``load_map(DIR)`` loads the map: :func:`hohenberg.families.volumetric.load_density_map`)."""
    channels = model_cfg.view.channels
    if store is None:
        return TableVolumes(table, ids, model_cfg.targets)
    if density_from != "store" and "density" in channels:
        if not density_from.startswith("hkmap:"):
            raise HohenbergError(f"density_from must be 'store' or 'hkmap:MODEL_DIR', not {density_from!r}")
        level = model_cfg.view.promolecule_level if "promolecule" in channels else None
        base = StoreVolumes(store, ids, table, model_cfg.targets, need_density=False, promolecule_level=level,
                            cache_dir=cache_dir)
        if load_map is None:
            raise HohenbergError("a density predicted by a Hohenberg-Kohn map needs the map's loader (load_map)")
        return PredictedDensities(base, density_from.split(":", 1)[1], load_map)
    level = model_cfg.view.promolecule_level if "promolecule" in channels else None
    return StoreVolumes(store, ids, table, model_cfg.targets, need_density="density" in channels,
                        promolecule_level=level, cache_dir=cache_dir)


def _numbers(table, ids) -> tuple[torch.Tensor, torch.Tensor]:
    rows = table.index_of(ids)
    z = [table.numbers[table.offsets[r]:table.offsets[r + 1]] for r in rows]
    batch = np.repeat(np.arange(len(rows)), [len(a) for a in z])
    return torch.as_tensor(np.concatenate(z), dtype=torch.long), torch.as_tensor(batch)


def train_volumetric(store: str | Path | None, table, cfg: VolumetricRunConfig, out_dir: str | Path, resume: bool = True,
                     log: Callable[[str], None] = lambda s: None, load_map: Callable | None = None) -> dict:
    """Train on ``store``'s grids, or (``store`` None) on views rendered from ``table``'s atoms
    (promolecule / potential channels: all of a table, nothing precomputed); test; write ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mcfg, tcfg = cfg.model, cfg.train
    held, store_config = source_of(store, table, mcfg)
    ids = split_ids(held, table, cfg)
    write_split_ids(out, ids, resolve_kind(table, cfg.split), cfg.split_seed)
    data = {k: make_dataset(store, v, table, mcfg, cfg.cache_dir, cfg.density_from, load_map) for k, v in ids.items()}
    torch.manual_seed(tcfg.seed)
    model = build_model(mcfg)
    z, b = _numbers(table, ids["train"])
    model.scaler.fit(z, b, torch.as_tensor(data["train"].y))
    batch_size, plan = tcfg.batch_size, None
    if cfg.max_memory:
        collate = ViewCollate(mcfg.view, augment=False)
        sample = [data["train"][i] for i in range(min(2, len(data["train"])))]
        autocast = torch.bfloat16 if tcfg.precision.startswith("bf16") else None
        plan = plan_batch_size(model, lambda n: collate([sample[i % len(sample)] for i in range(n)]),
                               parse_bytes(cfg.max_memory), autocast)
        batch_size = plan.batch_size
        log(f"memory budget {cfg.max_memory}: batch size {batch_size} "
            f"({plan.per_sample_bytes / 2**20:.1f} MiB activations per sample)")
    task = RegressionTask(model, mcfg.targets, OptimConfig(lr=tcfg.lr, weight_decay=tcfg.weight_decay, loss=tcfg.loss,
                                                                   schedule=tcfg.lr_schedule))
    g = torch.Generator().manual_seed(tcfg.seed)
    train_loader = DataLoader(data["train"], batch_size=batch_size, shuffle=True, generator=g,
                              collate_fn=ViewCollate(mcfg.view, augment=cfg.augment), num_workers=tcfg.num_workers,
                              persistent_workers=tcfg.num_workers > 0)
    val_loader = DataLoader(data["val"], batch_size=max(batch_size, 16), collate_fn=ViewCollate(mcfg.view),
                            num_workers=tcfg.num_workers, persistent_workers=tcfg.num_workers > 0)
    log(f"{mcfg.encoder.arch}: {model.n_parameters:,} parameters; train {len(ids['train'])}, val {len(ids['val'])}, "
        f"test {len(ids['test'])} molecules; views {mcfg.view.size}^3 at {mcfg.view.spacing} A")
    res = fit(task, train_loader, val_loader, TrainConfig(**{**tcfg.to_dict(), "batch_size": batch_size}), out,
              resume=resume)
    if res.rank != 0:  # DDP: the other ranks trained; rank 0 alone tests and writes
        return {}
    log(f"{res.epochs} epochs, {res.wall_s:.0f} s, {res.train_molecules_per_s:.1f} molecules/s, "
        f"best val_loss {res.best_val_loss:.4f}")
    model.eval()
    provenance = {"store": str(store) if store is not None else None, "store_config": store_config,
                  "table_meta": dict(table.meta),
                  "split": resolve_kind(table, cfg.split), "split_seed": cfg.split_seed,
                  "split_sizes": {k: len(v) for k, v in ids.items()},
                  "train_config": tcfg.to_dict(), "augment": cfg.augment, "density_from": cfg.density_from}
    fit_info = {"epochs": res.epochs, "wall_s": round(res.wall_s, 1), "clock_s": round(res.clock_s, 1),
                "best_val_loss": res.best_val_loss,
                "train_molecules_per_s": round(res.train_molecules_per_s, 2), "stopped_early": res.stopped_early,
                "batch_size": batch_size, **peak_memory_bytes(_device_of(tcfg))}
    if plan is not None:
        fit_info["memory_plan"] = {"budget_bytes": plan.budget_bytes, "per_sample_bytes": plan.per_sample_bytes,
                                   "fixed_bytes": plan.fixed_bytes}
    save_model_file(out / "model.pt", MODEL_KIND, mcfg.to_dict(), model.state_dict(), provenance | {"fit": fit_info})
    summary = evaluate_model(model, data["test"], cfg.tta, out, seed=tcfg.seed)
    baseline = _baseline_errors(table, ids["train"], ids["test"], mcfg.targets)
    summary = {"kind": MODEL_KIND, "model": mcfg.to_dict(), "n_parameters": model.n_parameters,
               "train": tcfg.to_dict(), "augment": cfg.augment, "provenance": provenance, "fit": fit_info,
               **summary, "baseline_test_errors": baseline}
    atomic_write(out / "model.json", json.dumps(summary, indent=2))
    from hohenberg.training.curves import learning_curves

    metrics = ["train_loss", "val_loss"] + [f"val_mae_{target_label(t)}_{report_unit(t)[0]}" for t in mcfg.targets[:2]]
    learning_curves(out / "learning_curve.png", {mcfg.encoder.arch: out / "metrics.csv"}, metrics)
    domain = {k: store_config.get(k) for k in ("level", "size", "spacing") if store_config.get(k) is not None}
    write_manifest(out, MODEL_KIND, mcfg.targets, domain=domain, provenance=provenance,
                   card={"metrics": {"test_errors": summary["test_errors"], "baseline_test_errors": baseline}})
    return summary


def _device_of(tcfg: TrainConfig) -> str:
    on_gpu = tcfg.accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
    return "cuda" if on_gpu else "cpu"


def _baseline_errors(table, train_ids, test_ids, targets) -> dict:
    from hohenberg.models.baseline import ElementCountRegressor

    tr, te = table.take(table.index_of(train_ids)), table.take(table.index_of(test_ids))
    elements = table_elements(tr)
    out = {}
    for t in targets:
        y = np.asarray(tr.properties[t], dtype=np.float64)
        ok = np.isfinite(y)
        reg = ElementCountRegressor(elements).fit(tr.element_counts(elements)[ok], y[ok])
        out[t] = error_summary(t, te.properties[t], reg.predict(te.element_counts(elements)))
    return out


@torch.no_grad()
def predict_views(model: VolumetricRegressor, dataset: StoreVolumes, tta: int = 1, batch_size: int = 16,
                  seed: int = 0, device: str | torch.device = "cpu") -> dict[str, np.ndarray]:
    """Predictions ``(n, n_targets)``: the stored orientation (``tta=1``), or the mean and spread
    over ``tta`` random rotations and translations of every molecule."""
    model.eval().to(device)
    g = torch.Generator().manual_seed(seed)
    runs = []
    for _ in range(max(tta, 1)):
        collate = ViewCollate(model.cfg.view, augment=tta > 1, generator=g)
        out = []
        for batch in DataLoader(dataset, batch_size=batch_size, collate_fn=collate):
            batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
            out.append(model(batch).cpu())
        runs.append(torch.cat(out).numpy())
    P = np.stack(runs)
    return {"mean": P.mean(0), "std": P.std(0) if len(runs) > 1 else np.zeros(P.shape[1:])}


def evaluate_model(model: VolumetricRegressor, dataset: StoreVolumes, tta: int, out: Path | None,
                   seed: int = 0) -> dict:
    t0 = time.perf_counter()
    pred = predict_views(model, dataset, tta, seed=seed)
    wall = time.perf_counter() - t0
    y = dataset.y
    targets = model.cfg.targets
    errors = {t: error_summary(t, y[:, j], pred["mean"][:, j]) for j, t in enumerate(targets)}
    summary = {"n_test": len(dataset), "tta": tta, "test_errors": errors,
               "predict_molecules_per_s": round(len(dataset) * max(tta, 1) / wall, 2)}
    if tta > 1:  # how much predictions move when the molecule turns
        summary["rotation_std"] = {f"{target_label(t)}_{report_unit(t)[0]}": float(pred["std"][:, j].mean() * report_unit(t)[1])
                                   for j, t in enumerate(targets)}
    if out is not None:
        _write_predictions(out / "test_predictions.csv", dataset.ids, targets, pred["mean"], y)
        from hohenberg.reports.figures import target_parity

        target_parity(out / "parity.png", targets[:6], y, pred["mean"],
                      title=f"3D CNN {model.cfg.encoder.arch} ({'+'.join(model.cfg.view.channels)}), test")
    return summary


def _write_predictions(path: Path, ids, targets, pred, y) -> None:
    with atomic_open(path, "w") as fh:
        w = csv.writer(fh)
        w.writerow(["id"] + [c for t in targets for c in (f"{t}_pred", f"{t}_ref")])
        for i, mid in enumerate(ids):
            w.writerow([mid] + [f"{v:.6f}" for j in range(len(targets)) for v in (pred[i, j], y[i, j])])


def load_volumetric(model_dir: str | Path) -> tuple[VolumetricRegressor, dict]:
    return load_built_model(model_dir, MODEL_KIND, "hohenberg train volumetric", VolumetricModelConfig.from_dict,
                      build_model)


def evaluate_volumetric(model_dir: str | Path, store: str | Path | None, table, split: str = "test", tta: int = 1,
                        out: str | Path | None = None, load_map: Callable | None = None) -> dict:
    """Test errors of a saved model on ``split`` (test | val | train | all) of the molecules in
    ``store`` (None: of the table, for models whose channels are rendered from the atoms)."""
    model, prov = load_volumetric(model_dir)
    held = source_of(store, table, model.cfg)[0]
    if split == "all":
        in_table = set(map(str, table.ids))
        held = [i for i in held if i in in_table]

    def rebuild():  # a model directory written before splits were stored as ids
        sizes = prov.get("split_sizes", {})
        cfg = VolumetricRunConfig(n_train=sizes.get("train"), n_val=sizes.get("val"), n_test=sizes.get("test"),
                                  split_seed=int(prov.get("split_seed", 0)), split=prov.get("split", "auto"))
        return split_ids(held, table, cfg)

    ids = evaluation_ids(model_dir, split, held, store, rebuild)
    ds = make_dataset(store, ids, table, model.cfg, density_from=prov.get("density_from", "store"), load_map=load_map)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
    summary = evaluate_model(model, ds, tta, Path(out) if out is not None else None)
    summary["split"] = split
    if out is not None:
        atomic_write(Path(out) / "evaluation.json", json.dumps(summary, indent=2))
    return summary
