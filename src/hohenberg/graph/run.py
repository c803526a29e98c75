"""Train, evaluate and apply graph models on a :class:`MoleculeTable`: the work behind the CLI.

A model directory holds:

* ``member_<k>.pt``: weights + configuration + provenance of ensemble member k
  (:mod:`hohenberg.training.checkpoint`, loads with ``weights_only=True``);
* ``member_<k>/``: Lightning checkpoints (resume), ``metrics.csv``;
* ``model.json``: configuration, split sizes, provenance, training domain, test errors (units in keys);
* ``split.json``: the ids of the training, validation and test molecules;
* ``learning_curve.png``, ``parity.png``, ``test_predictions.csv``.

Ensemble members differ only in their seed (initialisation and batch order); the spread of
their predictions is the reported uncertainty.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from hohenberg.datasets.splits import check_part, read_split, resolve_kind, split_table, subset, write_split
from hohenberg.datasets.targets import table_elements
from hohenberg.errors import InputError
from hohenberg.fileio import atomic_open, atomic_write
from hohenberg.graph.config import GraphRunConfig  # defined apart so that reading it imports no torch
from hohenberg.graph.dataset import GraphDataset, table_graphs
from hohenberg.graph.domain import Domain
from hohenberg.graph.inference import load_members, predict_ensemble, views_needed  # noqa: F401 (API)
from hohenberg.graph.models import GraphModelConfig, build_model
from hohenberg.manifest import write_manifest
from hohenberg.models.metrics import error_summary, report_unit, target_label
from hohenberg.molecules.table import MoleculeTable
from hohenberg.training.checkpoint import load_model_file, save_model_file
from hohenberg.training.lightning_module import OptimConfig, RegressionTask
from hohenberg.training.trainer import TrainConfig, fit


def split_rows(table: MoleculeTable, cfg: GraphRunConfig) -> dict[str, np.ndarray]:
    """Rows of train/val/test (:func:`~hohenberg.datasets.splits.split_table`), each optionally a
    nested random subset."""
    split = split_table(table, cfg.split, cfg.split_seed)
    sizes = {"train": cfg.n_train, "val": cfg.n_val, "test": cfg.n_test}
    return {k: subset(split[k], n, cfg.split_seed) for k, n in sizes.items()}


def evaluation_rows(model_dir: str | Path, table: MoleculeTable, part: str, provenance: dict) -> np.ndarray:
    """Rows of ``table`` a saved model is evaluated on: every row (``all``), or ``part`` of the
    split stored in ``model_dir`` (every id of it must be in the table)."""
    if check_part(part) == "all":
        return np.arange(len(table))
    stored = read_split(model_dir, table)
    if stored is None:  # a model directory written before splits were stored as ids
        sizes = provenance.get("split_sizes", {})
        run = GraphRunConfig(n_train=sizes.get("train"), n_val=sizes.get("val"), n_test=sizes.get("test"),
                             split_seed=provenance.get("split_seed", 0), split=provenance.get("split", "auto"))
        stored = split_rows(table, run)
    return stored[part]


def _check_elements(table: MoleculeTable) -> None:
    """Refuse, naming a molecule, elements beyond the per-element offsets' table (Z > 86)."""
    from hohenberg.training.scaler import MAX_Z
    from hohenberg.units import symbol

    heavy = np.flatnonzero(table.numbers >= MAX_Z)
    if len(heavy):
        row = int(np.searchsorted(table.offsets, heavy[0], side="right") - 1)
        z = int(table.numbers[heavy[0]])
        raise InputError(None, f"molecule {table.ids[row]} (row {row + 1}): element {symbol(z)} (Z = {z}); graph models "
                               f"take elements up to Z = {MAX_Z - 1} (Rn)")


def training_domain(table: MoleculeTable, rows: np.ndarray, name: str) -> Domain:
    """What the training molecules cover: elements, size, charges, spins, and (QM9's own table) the
    kind of geometry."""
    from hohenberg.datasets.splits import is_qm9
    from hohenberg.graph.domain import QM9_GEOMETRY

    sub = table.take(rows)
    heavy = np.add.reduceat((sub.numbers > 1).astype(np.int64), sub.offsets[:-1]) if len(sub) else np.zeros(0)
    elements = table_elements(sub)
    from hohenberg.units import symbol

    return Domain(elements=elements, max_heavy_atoms=int(heavy.max()) if len(heavy) else 0,
                  charges=tuple(sorted({int(c) for c in sub.charge})), spins=tuple(sorted({int(s) for s in sub.spin})),
                  description=f"{len(sub)} training molecules of {name}: elements {', '.join(symbol(z) for z in elements)}, "
                              f"up to {int(heavy.max()) if len(heavy) else 0} heavy atoms",
                  geometry=QM9_GEOMETRY if is_qm9(table) else "")


def _loader(ds, idx, batch_size, shuffle=False, num_workers=0):
    return DataLoader(ds[torch.as_tensor(idx)] if idx is not None else ds, batch_size=batch_size,
                      shuffle=shuffle, num_workers=num_workers)


def fit_scaler(model: torch.nn.Module, ds: GraphDataset, idx: np.ndarray) -> None:
    """Per-target offsets/scale from the training molecules only (never validation or test)."""
    sub = ds[torch.as_tensor(idx)]
    batch = next(iter(DataLoader(sub, batch_size=len(sub))))
    model.scaler.fit(batch.z, batch.batch, batch.y)


def train_graph_model(table: MoleculeTable, cfg: GraphRunConfig, out_dir: str | Path,
                      cache_dir: str | Path | None = None, resume: bool = True,
                      log: Callable[[str], None] = lambda s: None, only_member: int | None = None,
                      graph_workers: int = 1) -> dict:
    """Train ``cfg.ensemble`` members, measure them on the test rows, write the model directory.

    Members already written (``member_<k>.pt`` with the same configuration and seed) are loaded,
    not trained again.  ``only_member=k`` trains member k alone and returns its fit record
    without testing, so that members can train in parallel processes into one directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mcfg, tcfg = cfg.model, cfg.train
    rows = split_rows(table, cfg)
    if len(rows["train"]) == 0 or len(rows["val"]) == 0 or len(rows["test"]) == 0:
        raise InputError(None, f"the split leaves an empty part ({ {k: len(v) for k, v in rows.items()} }): "
                         "the table is too small for a train/validation/test split")
    _check_elements(table)
    if cfg.elements_from_table:
        mcfg = replace(mcfg, elements=table_elements(table.take(rows["train"])))
    source = "QM9" if table.meta.get("dataset") == "qm9" else table.meta.get("source", "the table")
    domain = training_domain(table, rows["train"], source)
    write_split(out, table, rows, resolve_kind(table, cfg.split), cfg.split_seed)
    order = np.concatenate([rows["train"], rows["val"], rows["test"]])
    t0 = time.perf_counter()
    full, cached = table_graphs(table, order, mcfg.cutoff, cache_dir,
                                progress=lambda i, n: log(f"graphs {i}/{n}"), workers=graph_workers)
    graph_s = time.perf_counter() - t0
    ds = full.select(mcfg.features, mcfg.targets, views_needed(mcfg), mcfg.elements)
    n_tr, n_va = len(rows["train"]), len(rows["val"])
    idx = {"train": np.arange(n_tr), "val": np.arange(n_tr, n_tr + n_va), "test": np.arange(n_tr + n_va, len(order))}
    log(f"{len(order)} graphs {'from cache' if cached else f'built in {graph_s:.1f} s'}")
    provenance = {
        "table_meta": dict(table.meta), "fingerprint": full.provenance["fingerprint"],
        "split": resolve_kind(table, cfg.split), "split_seed": cfg.split_seed,
        "split_sizes": {k: int(len(v)) for k, v in rows.items()},
        "featurizer_version": full.provenance["featurizer_version"], "bond_sources": full.provenance["bond_sources"],
        "train_config": tcfg.to_dict(),
    }
    members, fits = [], []
    for k in (range(cfg.ensemble) if only_member is None else [only_member]):
        seed = tcfg.seed + k
        done = _finished_member(out / f"member_{k}.pt", mcfg, tcfg, seed) if resume else None
        if done is not None:  # trained earlier (e.g. by a parallel `--member k` run): reuse it
            log(f"member {k}: trained earlier ({done[1]['epochs']} epochs), loaded from member_{k}.pt")
            members.append(done[0])
            fits.append(done[1])
            continue
        torch.manual_seed(seed)
        model = build_model(mcfg)
        fit_scaler(model, ds, idx["train"])
        task = RegressionTask(model, mcfg.targets, OptimConfig(lr=tcfg.lr, weight_decay=tcfg.weight_decay, loss=tcfg.loss,
                                                                   schedule=tcfg.lr_schedule))
        mcfg_k = TrainConfig(**{**tcfg.to_dict(), "seed": seed})
        g = torch.Generator().manual_seed(seed)
        train_loader = DataLoader(ds[torch.as_tensor(idx["train"])], batch_size=tcfg.batch_size, shuffle=True,
                                  num_workers=tcfg.num_workers, generator=g)
        val_loader = _loader(ds, idx["val"], 256)
        res = fit(task, train_loader, val_loader, mcfg_k, out / f"member_{k}", resume=resume,
                  progress=lambda line, k=k: log(f"member {k}: {line}"))
        log(f"member {k}: {res.epochs} epochs, {res.wall_s:.0f} s, {res.train_molecules_per_s:.0f} molecules/s, "
            f"best val_loss {res.best_val_loss:.4f}")
        fits.append({"member": k, "seed": seed, "epochs": res.epochs, "wall_s": round(res.wall_s, 1),
                     "train_molecules_per_s": round(res.train_molecules_per_s, 1),
                     "best_val_loss": res.best_val_loss, "stopped_early": res.stopped_early})
        save_model_file(out / f"member_{k}.pt", "graph", mcfg.to_dict(), model.state_dict(),
                        provenance | {"seed": seed, "fit": fits[-1]})
        members.append(model.eval())
    if only_member is not None:
        return {"member": only_member, "fit": fits[-1], "provenance": provenance}
    pred = predict_ensemble(members, ds[torch.as_tensor(idx["test"])])
    y = _y_of(ds, idx["test"])
    errors = {t: error_summary(t, y[:, j], pred["mean"][:, j]) for j, t in enumerate(mcfg.targets)}
    summary = {
        "model": mcfg.to_dict(), "train": tcfg.to_dict(), "ensemble": cfg.ensemble, "provenance": provenance,
        "domain": domain.to_dict(), "graph_build_s": round(graph_s, 1), "graphs_from_cache": cached, "fits": fits,
        "train_molecules_per_s": float(np.mean([f["train_molecules_per_s"] for f in fits])),
        "test_errors": errors,
    }
    if pred["attention"] is not None:
        summary["attention"] = attention_summary(pred["attention"], mcfg.views)
    atomic_write(out / "model.json", json.dumps(summary, indent=2))
    write_predictions(out / "test_predictions.csv", full.provenance["ids"][n_tr + n_va:], mcfg.targets, pred, y)
    _figures(out, mcfg, pred, y, cfg.ensemble)
    write_manifest(out, "graph", mcfg.targets, domain=domain.to_dict(), provenance=provenance,
                   card={"metrics": {"test_errors": errors}})
    return summary


def evaluate_graph_model(model_dir: str | Path, table: MoleculeTable, split: str = "test", out: str | Path | None = None,
                         cache_dir: str | Path | None = None, where: str | Path | None = None) -> dict:
    """MAE/RMSE per target of a saved graph model on the ``split`` part (its own ``split.json``)
    of ``table``; with ``out``, ``evaluation.json``, ``predictions.csv`` and ``parity.png`` there."""
    cfg, members, provs = load_members(model_dir)
    missing = [t for t in cfg.targets if t not in table.properties]
    if missing:
        raise InputError(where, f"table has no column(s) {', '.join(missing)}")
    rows = evaluation_rows(model_dir, table, split, provs[0])
    ds, _ = table_graphs(table, rows, cfg.cutoff, cache_dir)
    ds = ds.select(cfg.features, cfg.targets, views_needed(cfg), cfg.elements)
    pred = predict_ensemble(members, ds)
    y = _y_of(ds, np.arange(len(rows)))
    errors = {t: error_summary(t, y[:, j], pred["mean"][:, j]) for j, t in enumerate(cfg.targets)}
    payload = {"model_dir": str(model_dir), "table": str(where), "split": split, "n_molecules": int(len(rows)),
               "ensemble": len(members), "model": cfg.to_dict(), "errors": errors,
               "title": f"{cfg.model} on {Path(str(where)).name} ({split}, n={len(rows)}, ensemble {len(members)})"}
    if pred["attention"] is not None:
        payload["attention"] = attention_summary(pred["attention"], cfg.views)
    if out is not None:
        from hohenberg.reports.figures import target_parity

        out = Path(out)
        atomic_write(out / "evaluation.json", json.dumps(payload, indent=2))
        write_predictions(out / "predictions.csv", ds.provenance["ids"], cfg.targets, pred, y)
        target_parity(out / "parity.png", cfg.targets, y, pred["mean"],
                      title=f"{cfg.model}: {Path(str(where)).name} ({split}, n={len(rows)})")
    return payload


def _finished_member(path: Path, mcfg: GraphModelConfig, tcfg: TrainConfig, seed: int):
    """``(model, fit record)`` of a member file written with this configuration and seed, else None."""
    if not path.is_file():
        return None
    saved = load_model_file(path)
    train = saved.provenance.get("train_config", {})
    same_train = {k: v for k, v in train.items() if k != "seed"} == {k: v for k, v in tcfg.to_dict().items() if k != "seed"}
    if saved.config != mcfg.to_dict() or saved.provenance.get("seed") != seed or not same_train:
        return None
    model = build_model(mcfg)
    model.load_state_dict(saved.state_dict)
    return model.eval(), saved.provenance["fit"]


def _y_of(ds: GraphDataset, idx: np.ndarray) -> np.ndarray:
    return ds._data.y[torch.as_tensor(idx)].numpy()  # one row of y per molecule


def attention_summary(weights: np.ndarray, views: Sequence[str]) -> dict:
    """Mean, spread and how often each view has the largest weight, over the molecules given."""
    top = np.bincount(weights.argmax(1), minlength=len(views)) / len(weights)
    return {v: {"mean_weight": float(weights[:, j].mean()), "std_weight": float(weights[:, j].std()),
                "fraction_top": float(top[j])} for j, v in enumerate(views)}


def write_predictions(path: Path, ids: Sequence[str], targets: Sequence[str], pred: dict, y: np.ndarray | None) -> None:
    with atomic_open(path, "w") as fh:
        w = csv.writer(fh)
        cols = ["id"]
        for t in targets:
            cols += [f"{t}_pred", f"{t}_std"] + ([f"{t}_ref"] if y is not None else [])
        w.writerow(cols)
        for i, mid in enumerate(ids):
            row = [mid]
            for j in range(len(targets)):
                row += [f"{pred['mean'][i, j]:.6f}", f"{pred['std'][i, j]:.6f}"] + ([f"{y[i, j]:.6f}"] if y is not None else [])
            w.writerow(row)


def _figures(out: Path, mcfg: GraphModelConfig, pred: dict, y: np.ndarray, n_members: int) -> None:
    from hohenberg.reports.figures import target_parity
    from hohenberg.training.curves import learning_curves

    target_parity(out / "parity.png", mcfg.targets, y, pred["mean"],
                  title=f"{mcfg.model} ({'+'.join(mcfg.views)}, {mcfg.features}), test")
    metrics = ["train_loss", "val_loss"] + [f"val_mae_{target_label(t)}_{report_unit(t)[0]}" for t in mcfg.targets[:2]]
    learning_curves(out / "learning_curve.png", {f"member {k}": out / f"member_{k}" / "metrics.csv"
                                                 for k in range(n_members)}, metrics)
