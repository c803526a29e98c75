"""Train, evaluate and apply a Hohenberg-Kohn map model.

A model directory holds ``model.pt`` (kind ``"hkmap"``: weights + :class:`HKConfig`, loads with
``weights_only=True``), ``checkpoints/`` and ``metrics.csv`` (the shared Lightning loop),
``model.json`` (configuration, split sizes, fit, test metrics under the protocol of
:mod:`hohenberg.hkmap.metrics`), ``test_metrics.csv`` (per molecule), ``learning_curve.png``
and ``density_slice.png`` (true / predicted / error of one held-out molecule).

Splits: a JSON file of id lists (``{"train": [...], "val": [...], "test": [...]}``, or the
``train4000``-style names of ``runs/vol/split.json``; the longest ``train*`` list is used) restricted
to the molecules the store holds, the first ``n`` of each list (nested training subsets); without
one, a seeded random 80/10/10 split of the store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, RandomSampler

from hohenberg.datasets.splits import evaluation_ids, read_id_lists, sized_parts, write_split_ids
from hohenberg.errors import HohenbergError, InputError
from hohenberg.fileio import atomic_write, write_records_csv
from hohenberg.hkmap.config import MOTIONS, HKRunConfig  # noqa: F401  (apart so that reading them imports no torch)
from hohenberg.hkmap.data import (KEY_IDS, KEY_N_ELECTRONS, KEY_NUMBERS, KEY_POSITIONS, KEY_PRO, KEY_VOXEL, KEY_X,
                                  KEY_Y, HKCollate)
from hohenberg.hkmap.metrics import dipole_debye, nmae_percent, summarise, view_points
from hohenberg.hkmap.model import HKConfig, HKNet
from hohenberg.hkmap.symmetry import check_n_ops, symmetrised
from hohenberg.manifest import write_manifest
from hohenberg.training.checkpoint import load_built_model, load_model_dir, save_model_file
from hohenberg.training.lightning_module import OptimConfig, adam_on_plateau
from hohenberg.training.trainer import fit, resumes
from hohenberg.volumetric.data import StoreVolumes

MODEL_KIND = "hkmap"


class HKTask(L.LightningModule):
    """Loss = per-molecule NMAE (%) on the output view, averaged over the batch: the L1 error of
    the density, normalised like the reported metric, so training optimises what is reported."""

    def __init__(self, model: HKNet, lr: float = 1e-3, weight_decay: float = 0.0, lr_patience: int = 3):
        super().__init__()
        self.model = model
        self.lr, self.weight_decay, self.lr_patience = lr, weight_decay, lr_patience

    def _nmae(self, batch) -> torch.Tensor:
        rho = self.model(batch[KEY_X], batch[KEY_PRO])
        return nmae_percent(rho, batch[KEY_Y], batch[KEY_VOXEL], batch[KEY_N_ELECTRONS].to(rho.dtype)).mean()

    def training_step(self, batch, batch_idx):
        loss = self._nmae(batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[KEY_IDS]))
        return loss

    def validation_step(self, batch, batch_idx):
        loss = self._nmae(batch)
        n = len(batch[KEY_IDS])
        self.log("val_loss", loss, on_step=False, on_epoch=True, batch_size=n)
        self.log("val_nmae_percent", loss, on_step=False, on_epoch=True, batch_size=n)

    def configure_optimizers(self):
        return adam_on_plateau(self.parameters(), OptimConfig(lr=self.lr, weight_decay=self.weight_decay,
                                                              lr_factor=0.5, lr_patience=self.lr_patience))


def split_ids(store_ids: Sequence[str], cfg: HKRunConfig) -> dict[str, list[str]]:
    held = set(store_ids)
    if cfg.split_file:
        lists = {k: [i for i in v if i in held] for k, v in read_id_lists(cfg.split_file).items()}
    else:
        perm = np.random.default_rng(cfg.split_seed).permutation(len(store_ids))
        ids = [store_ids[i] for i in perm]
        n10 = max(len(ids) // 10, 1)
        lists = {"test": ids[:n10], "val": ids[n10:2 * n10], "train": ids[2 * n10:]}
    # the first n of each list: nested training subsets
    return sized_parts(lists, {"train": cfg.n_train, "val": cfg.n_val, "test": cfg.n_test}, lambda ids, n: ids[:n])


def training_views(cfg: HKConfig, size: int | None) -> HKConfig:
    """``cfg`` with input (and output, in proportion) views of ``size`` points: same spacings."""
    if not size or size == cfg.view.size:
        return cfg
    ratio = cfg.output_size / cfg.view.size
    return replace(cfg, view=replace(cfg.view, size=size), out_size=int(round(size * ratio)) if cfg.out_size else None)


def warm_start(model: HKNet, saved_config: dict, state: dict[str, torch.Tensor]) -> list[str]:
    """Copy a trained model's weights into ``model`` (same architecture); input channels the new
    model adds (e.g. ``promolecule`` -> ``both``) get zero weights in the first convolution, so the
    warm-started model computes exactly what the trained one did.  Returns the names of the input
    channels added; any other mismatch is an error naming the parameter."""
    saved = HKConfig.from_dict(saved_config)
    if (saved.target, saved.delta_scale, saved.ratio_scale) != (model.cfg.target, model.cfg.delta_scale,
                                                                 model.cfg.ratio_scale):
        raise HohenbergError(f"warm start: the saved model predicts target {saved.target!r}, this one "
                             f"{model.cfg.target!r} (or another scale): its weights would mean something else")
    old, new = saved.view.channels, model.cfg.view.channels
    missing = [c for c in old if c not in new]
    if missing:
        raise HohenbergError(f"warm start: the new model lacks input channel(s) {missing} of the saved one")
    own = model.state_dict()
    stem = "encoder.stem.0.weight"
    for key, value in own.items():
        if key not in state:
            raise HohenbergError(f"warm start: the saved model has no parameter {key!r} (another architecture)")
        src = state[key]
        if key == stem and src.shape[1] != value.shape[1]:
            padded = torch.zeros_like(value)
            for i, name in enumerate(old):
                padded[:, new.index(name)] = src[:, i]
            src = padded
        if src.shape != value.shape:
            raise HohenbergError(f"warm start: parameter {key!r} is {tuple(src.shape)} in the saved model, "
                                 f"{tuple(value.shape)} here (another architecture)")
        own[key] = src
    model.load_state_dict(own)
    return [c for c in new if c not in old]


def make_dataset(store, ids, cfg: HKConfig, cache_dir=None) -> StoreVolumes:
    return StoreVolumes(store, ids, need_density=True, promolecule_level=cfg.view.promolecule_level,
                        cache_dir=cache_dir)


def train_hkmap(store: str | Path, cfg: HKRunConfig, out_dir: str | Path, resume: bool = True,
                log: Callable[[str], None] = lambda s: None) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mcfg, tcfg = cfg.model, cfg.train
    cache_dir = cfg.cache_dir
    # the ids themselves: "the first N present" changes while a store is still being written, and a
    # resumed fit must continue on the molecules it started with
    saved_ids = out / "split_ids.json"
    if resume and saved_ids.exists():
        ids = json.loads(saved_ids.read_text())
    else:
        ids = split_ids(StoreVolumes(store, need_density=False).ids, cfg)
        atomic_write(saved_ids, json.dumps(ids))
        write_split_ids(out, ids, cfg.split_file or "random", cfg.split_seed)  # the same file as every model
    data = {k: make_dataset(store, v, mcfg, cache_dir) for k, v in ids.items()}
    torch.manual_seed(tcfg.seed)
    model = HKNet(mcfg)
    if cfg.init_from and not resumes(out, resume):
        saved = load_model_dir(cfg.init_from, MODEL_KIND, "hohenberg train hkmap")
        added = warm_start(model, saved.config, saved.state_dict)
        log(f"warm start from {cfg.init_from}" + (f" (new input channels {', '.join(added)}, zero weights)"
                                                  if added else ""))
    g = torch.Generator().manual_seed(tcfg.seed)
    n_epoch = min(cfg.epoch_size or len(data["train"]), len(data["train"]))
    sampler = RandomSampler(data["train"], num_samples=n_epoch, generator=g)
    train_loader = DataLoader(data["train"], batch_size=tcfg.batch_size, sampler=sampler,
                              collate_fn=HKCollate(training_views(mcfg, cfg.train_size), augment=cfg.augment,
                                                   generator=g, lattice=cfg.motions == "lattice"),
                              num_workers=tcfg.num_workers, persistent_workers=tcfg.num_workers > 0)
    val_loader = DataLoader(data["val"], batch_size=tcfg.batch_size, collate_fn=HKCollate(mcfg),
                            num_workers=tcfg.num_workers, persistent_workers=tcfg.num_workers > 0)
    log(f"hkmap U-Net ({mcfg.encoder.arch}, {'+'.join(mcfg.view.channels)} -> {mcfg.target}): "
        f"{model.n_parameters:,} parameters; train {len(ids['train'])}, val {len(ids['val'])}, "
        f"test {len(ids['test'])}; view {mcfg.view.size}^3 at {mcfg.view.spacing} A -> "
        f"{mcfg.output_size}^3 at {mcfg.output_spacing} A")
    task = HKTask(model, tcfg.lr, tcfg.weight_decay)
    res = fit(task, train_loader, val_loader, tcfg, out, resume=resume)
    log(f"{res.epochs} epochs, {res.wall_s:.0f} s, {res.train_molecules_per_s:.2f} molecules/s, "
        f"best val NMAE {res.best_val_loss:.3f} %")
    model.eval()
    provenance = {"store": str(store), "store_config": data["train"].reader.config, "split_file": cfg.split_file,
                  "split_seed": cfg.split_seed, "split_sizes": {k: len(v) for k, v in ids.items()},
                  "train_config": tcfg.to_dict(), "augment": cfg.augment, "motions": cfg.motions,
                  "init_from": cfg.init_from, "epoch_size": n_epoch, "train_size": cfg.train_size}
    fit_info = {"epochs": res.epochs, "wall_s": round(res.wall_s, 1), "train_clock_s": round(res.clock_s, 1),
                "best_val_nmae_percent": res.best_val_loss,
                "train_molecules_per_s": round(res.train_molecules_per_s, 3), "stopped_early": res.stopped_early}
    save_model_file(out / "model.pt", MODEL_KIND, mcfg.to_dict(), model.state_dict(), provenance | {"fit": fit_info})
    test = evaluate_hkmap(model, data["test"], out, batch_size=tcfg.batch_size, symmetries=cfg.test_symmetries)
    summary = {"kind": MODEL_KIND, "model": mcfg.to_dict(), "n_parameters": model.n_parameters,
               "provenance": provenance, "fit": fit_info, **test}
    atomic_write(out / "model.json", json.dumps(summary, indent=2))
    from hohenberg.training.curves import learning_curves

    learning_curves(out / "learning_curve.png", {"hkmap": out / "metrics.csv"}, ["train_loss", "val_nmae_percent"],
                    title="Hohenberg-Kohn map: NMAE (%)")
    write_manifest(out, MODEL_KIND, DENSITY_TARGETS, domain=store_domain(provenance["store_config"]),
                   provenance=provenance, card={"metrics": {k: test[k] for k in ("test_nmae_percent", "n_test")
                                                            if k in test}})
    return summary


DENSITY_TARGETS = ({"name": "density", "unit": "e/bohr3"},)
"""What a map predicts, as a model manifest names it."""


def store_domain(store_config: dict) -> dict:
    """The training domain of a grid model: the level of theory and the box of its store."""
    return {k: store_config.get(k) for k in ("level", "size", "spacing") if store_config.get(k) is not None}


@torch.no_grad()
def evaluate_hkmap(model: HKNet, dataset: StoreVolumes, out: Path | None = None, batch_size: int = 4,
                   motions: tuple[torch.Tensor, torch.Tensor] | None = None, symmetries: int = 1) -> dict:
    """Test metrics under the stated protocol: the output view is the stored grid (identity motion
    unless ``motions`` is given; predictions averaged over ``symmetries`` cube symmetries,
    :mod:`hohenberg.hkmap.symmetry`), NMAE and dipole error per molecule for the model and for the
    promolecule; per-molecule rows to ``out/test_metrics.csv`` and a slice PNG of the first one."""
    model.eval()
    cfg = model.cfg
    pts = view_points(cfg.output_size, cfg.output_spacing)
    rows, first = [], None
    t0 = time.perf_counter()
    for batch in DataLoader(dataset, batch_size=batch_size, collate_fn=HKCollate(cfg, motions=motions)):
        rho = symmetrised(model, batch[KEY_X], batch[KEY_PRO], symmetries).double().numpy()
        y, pro = batch[KEY_Y].double().numpy(), batch[KEY_PRO].double().numpy()
        dv, n_el = batch[KEY_VOXEL], batch[KEY_N_ELECTRONS].numpy()
        nm_model = nmae_percent(rho, y, dv, n_el)
        nm_pro = nmae_percent(pro, y, dv, n_el)
        for b, rid in enumerate(batch[KEY_IDS]):
            z, pos = batch[KEY_NUMBERS][b].numpy(), batch[KEY_POSITIONS][b].numpy()
            mu_true = dipole_debye(y[b], pro[b], pts, dv, z, pos)
            mu_pred = dipole_debye(rho[b], pro[b], pts, dv, z, pos)
            mu_pro = np.zeros(3)  # no dipole by construction (neutral spherical atoms)
            rows.append({"id": rid, "n_electrons": float(n_el[b]), "nmae_percent": float(nm_model[b]),
                         "promolecule_nmae_percent": float(nm_pro[b]), "mu_true_D": float(np.linalg.norm(mu_true)),
                         "mu_pred_D": float(np.linalg.norm(mu_pred)),
                         "dipole_error_D": float(np.linalg.norm(mu_pred - mu_true)),
                         "promolecule_dipole_error_D": float(np.linalg.norm(mu_pro - mu_true)),
                         "voxel_sum_pred_electrons": float(rho[b].sum() * dv),
                         "voxel_sum_true_electrons": float(y[b].sum() * dv)})
            if first is None:
                first = (rid, y[b], rho[b], pro[b])
    wall = time.perf_counter() - t0
    col = {k: np.array([r[k] for r in rows]) for k in rows[0] if k != "id"}
    protocol = (f"stored grid {cfg.output_size}^3 at {cfg.output_spacing} A, identity orientation"
                if motions is None else "given motions")
    if symmetries > 1:
        protocol += f", prediction averaged over {symmetries} cube symmetries"
    summary = {"n_test": len(rows), "protocol": protocol, "test_symmetries": symmetries,
               "test_nmae_percent": summarise(col["nmae_percent"]),
               "promolecule_nmae_percent": summarise(col["promolecule_nmae_percent"]),
               "improvement_over_promolecule": float(col["promolecule_nmae_percent"].mean() / col["nmae_percent"].mean()),
               "dipole_mae_D": float(col["dipole_error_D"].mean()),
               "promolecule_dipole_mae_D": float(col["promolecule_dipole_error_D"].mean()),
               "voxel_sum_minus_true_mae_electrons": float(np.abs(col["voxel_sum_pred_electrons"]
                                                                  - col["voxel_sum_true_electrons"]).mean()),
               "predict_molecules_per_s": round(len(rows) / wall, 2)}
    if out is not None:
        write_records_csv(Path(out) / "test_metrics.csv", rows)
        from hohenberg.reports.slices import slice_panels

        rid, y, rho, pro = first
        slice_panels(Path(out) / "density_slice.png",
                     {"SCF density (e/bohr^3)": y, "predicted": np.maximum(rho, 1e-12), "predicted - SCF": rho - y,
                      "promolecule - SCF": pro - y},
                     title=f"{rid}: NMAE {rows[0]['nmae_percent']:.2f} % (promolecule "
                           f"{rows[0]['promolecule_nmae_percent']:.2f} %)")
    return summary


def evaluate_split(model_dir: str | Path, store: str | Path, split: str = "test", out: str | Path | None = None) -> dict:
    """:func:`evaluate_hkmap` of a saved model on ``split`` (test | val | train | all) of the ids it
    was trained with (``split.json``), restricted to the molecules ``store`` holds."""
    model, _ = load_hkmap(model_dir)
    ids = evaluation_ids(model_dir, split, StoreVolumes(store, need_density=False).ids, store)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
    summary = evaluate_hkmap(model, make_dataset(store, ids, model.cfg), Path(out) if out is not None else None)
    return {"split": split, **summary}


def load_hkmap(model_dir: str | Path) -> tuple[HKNet, dict]:
    return load_built_model(model_dir, MODEL_KIND, "hohenberg train hkmap", HKConfig.from_dict, HKNet)


@torch.no_grad()
def box_for(cfg: HKConfig, positions: np.ndarray, name: str = "the molecule") -> HKConfig:
    """``cfg`` with a view large enough for the molecule.

    The network is fully convolutional, so a molecule larger than the training box gets a larger
    box at the same spacing (rounded up to a size every encoder stage can halve) rather than being
    cut; the box never shrinks below the training one, so small molecules see what training saw.
    A super-resolution model keeps its box (its two grids would have to grow together)."""
    from hohenberg.grids import points_to_fit

    need = points_to_fit(positions, cfg.output_spacing)
    if need <= cfg.output_size or cfg.super_resolution:
        return cfg  # fits, or refused by grid_for with the size that would hold it
    step = 2 ** len(cfg.encoder.widths)
    size = int(np.ceil(need / step) * step)
    return replace(cfg, view=replace(cfg.view, size=size))


def predict_density(model: HKNet, numbers: np.ndarray, positions: np.ndarray, symmetries: int = 1,
                    name: str = "the molecule"):
    """The predicted density of one molecule on its output grid (a :class:`Grid` centred on the
    bounding-box centre, like the stored grids, grown for a larger molecule: :func:`box_for`),
    without any SCF: ``(grid, rho e/bohr^3)``;
    averaged over ``symmetries`` cube symmetries (:mod:`hohenberg.hkmap.symmetry`)."""
    from hohenberg.grids import grid_for

    cfg = box_for(model.cfg, positions, name)
    grid = grid_for(positions, cfg.output_spacing, cfg.output_size, name=name)
    center = grid.origin + cfg.output_spacing * (cfg.output_size - 1) / 2
    return grid, predict_on_box(model, numbers, positions, center, symmetries, cfg)


@torch.no_grad()
def predict_on_box(model: HKNet, numbers: np.ndarray, positions: np.ndarray, center: np.ndarray,
                   symmetries: int = 1, cfg: HKConfig | None = None) -> np.ndarray:
    """The predicted density (e/bohr^3) on the output box of ``cfg`` (default: the model's)
    centred at ``center`` (Angstrom), as given: e.g. a stored record's box, which a store written
    with a smaller margin may hold closer to the atoms than :func:`predict_density` would."""
    cfg = cfg or model.cfg
    item = {"id": "input", "density": None, "promolecule": None,
            "center": torch.as_tensor(np.asarray(center, dtype=np.float64)), "spacing": cfg.output_spacing,
            "numbers": torch.as_tensor(np.asarray(numbers), dtype=torch.long),
            "positions": torch.as_tensor(np.asarray(positions, dtype=np.float64))}
    batch = HKCollate(cfg)([item])
    return symmetrised(model, batch[KEY_X], batch[KEY_PRO], symmetries)[0].double().numpy()


def density_report(model: HKNet, mol, symmetries: int = 1) -> tuple:
    """``(grid, rho, promolecule, report)`` of one molecule: the predicted density (no SCF), the
    promolecule on the same grid, and what a user checks first: electrons on the grid (the voxel
    sum, against the molecule's count) and the dipole of the predicted density (Debye)."""
    from hohenberg.qc.promolecule import promolecule_density

    try:
        check_n_ops(symmetries, "symmetries")
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    name = mol.name or mol.formula
    try:
        grid, rho = predict_density(model, mol.numbers, mol.positions, symmetries, name=name)
    except HohenbergError:
        raise
    except Exception as exc:  # e.g. an element without promolecule table
        raise HohenbergError(f"{name}: cannot predict a density for {mol.formula}: {exc}") from None
    pro = promolecule_density(mol.numbers, mol.positions, grid, model.cfg.view.promolecule_level)
    mu = dipole_debye(rho, pro, grid.points().reshape(*grid.shape, 3), grid.voxel_volume_bohr3, mol.numbers,
                      mol.positions)
    report = {"formula": mol.formula, "electrons": mol.n_electrons, "voxel_sum_electrons": grid.integrate(rho),
              "dipole_D": mu.tolist(), "mu_D": float(np.linalg.norm(mu)), "grid_shape": list(grid.shape),
              "spacing_A": float(grid.axes[0, 0]), "symmetries": symmetries}
    return grid, rho, pro, report
