"""A trained volumetric property model applied to new molecules: the density it needs, made on the spot.

A 3D CNN reads channels that a store provided in training.  For a new molecule each is made here,
on a box centred on the molecule like the stored ones (:func:`hohenberg.grids.grid_for`; a
molecule that does not fit is refused, not cut):

* ``promolecule`` and ``potential``: rendered from the atoms (milliseconds);
* ``density``: either an SCF at the level of the training store (``scf``, about a second per
  small molecule at hf/sto-3g), or the density a Hohenberg-Kohn map predicts from the promolecule
  (``hkmap:MODEL_DIR``, or ``hkmap`` for the one that ships; no SCF).  Which one was used is part
  of every answer.

The promolecule channel is rendered on the same box as the density and resampled with it, as in
training (:class:`~hohenberg.volumetric.data.StoreVolumes`), so both inputs are smoothed alike; a
model trained without a store sees its channels rendered on the view itself, as in training
(:class:`~hohenberg.volumetric.data.TableVolumes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from hohenberg.errors import InputError
from hohenberg.grids import Grid, grid_for
from hohenberg.molecules.molecule import Molecule


def density_source_label(source: str, level: str) -> str:
    if source == "scf":
        return f"SCF density at {level} (computed for each molecule)"
    where = source.split(":", 1)[1] if ":" in source else "that ships with the package"
    return f"density predicted by the Hohenberg-Kohn map {where} (no SCF)"


def molecule_item(mol: Molecule, view_cfg, store_config: dict, source: str = "scf", hkmap=None) -> dict:
    """One item in the form :class:`~hohenberg.volumetric.data.StoreVolumes` gives (targets NaN)."""
    from hohenberg.qc.promolecule import promolecule_density, radial_table

    name = f"molecule {mol.name or mol.formula}"
    if store_config.get("layout") == "atoms":  # trained without a store: views rendered from the atoms
        from hohenberg.volumetric.data import atoms_item

        return atoms_item(mol.name or mol.formula, mol.numbers, mol.positions, np.zeros(0))
    density = None
    if "density" in view_cfg.channels and source != "scf":
        grid, rho = hkmap.predict_density(mol.numbers, mol.positions, name=name)
        density = torch.from_numpy(rho.astype(np.float32))
    else:
        grid = grid_for(mol.positions, float(store_config["spacing"]), int(store_config["size"]), name=name)
        if "density" in view_cfg.channels:
            from hohenberg.qc.density import density_on_grid
            from hohenberg.qc.scf import run_scf

            density = torch.from_numpy(density_on_grid(run_scf(mol, store_config["level"]), grid).astype(np.float32))
    spacing = float(grid.axes[0, 0])
    center = grid.origin + spacing * (grid.shape[0] - 1) / 2
    promolecule = None
    if "promolecule" in view_cfg.channels:
        pro = promolecule_density(mol.numbers, mol.positions, Grid(grid.origin, grid.axes, grid.shape),
                                  radial_table(view_cfg.promolecule_level))
        promolecule = torch.from_numpy(pro.astype(np.float16).astype(np.float32))  # float16, as the training cache
    return {"id": mol.name or mol.formula, "density": density, "promolecule": promolecule,
            "center": torch.as_tensor(center, dtype=torch.float64), "spacing": spacing,
            "numbers": torch.as_tensor(np.asarray(mol.numbers), dtype=torch.long),
            "positions": torch.as_tensor(np.asarray(mol.positions, dtype=np.float64)),
            "y": torch.zeros(0, dtype=torch.float64)}  # no reference values for a new molecule


def predict_volumetric(model_dir: str | Path, molecules: Sequence[Molecule], density: str = "scf",
                       tta: int = 1, load_map: Callable | None = None) -> dict:
    """Predictions of a volumetric model for ``molecules``: ``{"targets", "mean" (n, T), "std"
    (n, T): spread over ``tta`` random orientations (0 for one), "density_source", "level"}``.
    ``density`` 'hkmap' or 'hkmap:DIR' takes the density from a Hohenberg-Kohn map, which
    ``load_map(DIR)`` loads (:func:`hohenberg.families.volumetric.load_density_map`)."""
    from hohenberg.volumetric.run import load_volumetric, predict_views

    model, prov = load_volumetric(model_dir)
    store_config = prov.get("store_config", {})
    if not {"level", "spacing", "size"} <= set(store_config):
        raise InputError(model_dir, "the model does not record its training store's level and grid")
    hkmap = None
    if density != "scf":
        if density != "hkmap" and not density.startswith("hkmap:"):
            raise InputError(None, f"the density must be 'scf', 'hkmap' (the shipped map) or 'hkmap:MODEL_DIR', "
                                   f"not {density!r}")
        if "density" in model.cfg.view.channels:
            from hohenberg.pretrained import model_path

            if load_map is None:
                raise InputError(None, "a density predicted by a Hohenberg-Kohn map needs the map's loader (load_map)")
            hkmap = load_map(model_path(density.split(":", 1)[1] if ":" in density else "hkmap"))
    items = []
    for mol in molecules:
        try:
            items.append(molecule_item(mol, model.cfg.view, store_config, density, hkmap))
        except InputError:
            raise
        except Exception as exc:  # an SCF that fails, an element without atomic density, a box too small
            raise InputError(None, f"molecule {mol.name or mol.formula}: {exc}") from None
    pred = predict_views(model, items, tta=tta, batch_size=8)
    uses_density = "density" in model.cfg.view.channels
    return {"targets": tuple(model.cfg.targets), "mean": pred["mean"], "std": pred["std"],
            "channels": list(model.cfg.view.channels), "level": store_config["level"],
            "density_source": density_source_label(density, store_config["level"]) if uses_density
            else "no density channel: the promolecule (and potential) rendered from the atoms"}
