"""Volumetric inputs: molecules from a store, rendered as views (random rigid motions) in batches.

:class:`StoreVolumes` reads one record per item (the stored density, only if a channel needs it,
the atoms and the grid's centre) and the QM9 targets of the molecule from a table;
:class:`TableVolumes` gives the same items from a table alone, for channels made from the atoms.
:class:`ViewCollate` turns a list of items into a batch: it draws one rotation (uniform on SO(3))
and one translation per molecule (``augment=True``; every batch, so every epoch sees new ones),
resamples the stored densities onto the moved views in one batched trilinear call, renders the
promolecule and potential channels exactly on the same views from the moved atoms, and applies
each channel's transform.  Runs inside DataLoader workers, so augmentation overlaps training.

Channel transforms: densities ``log1p(rho / density_scale)`` (rho spans 1e-6..1e3 e/bohr^3 from
the tail to the carbon nucleus; the log keeps the valence region, where chemistry happens, from
being drowned by cores), potential ``log1p(V / Hartree)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from hohenberg.configs import known_options, to_plain
from hohenberg.errors import HohenbergError
from hohenberg.grids import Grid
from hohenberg.volumetric.augment import (SIGN_FLIPS, lattice_motions, positions_in_view, principal_frame,
                                          random_rotations, random_shifts, resample)

CHANNELS = ("density", "promolecule", "potential")

# Keys of a batch made by ViewCollate (HKCollate shares the ids, targets and motions): the
# collates write them and the models, tasks and evaluation read them through these names.
KEY_GRID = "grid"  # (B, C, s, s, s) float32 transformed input channels
KEY_Z = "z"  # atomic numbers of all atoms, concatenated
KEY_BATCH = "batch"  # molecule of each atom
KEY_Y = "y"  # reference values (the name Lightning tasks read, like a PyG batch's .y)
KEY_IDS = "ids"  # molecule ids, a list
KEY_ROTATIONS = "rotations"  # (B, 3, 3) rigid motion of each view
KEY_SHIFTS = "shifts"  # (B, 3) Angstrom


@dataclass
class ViewConfig:
    """What the network sees: channels and the view grid (Angstrom), augmentation ranges."""

    channels: tuple[str, ...] = ("density",)
    size: int = 32  # points per axis
    spacing: float = 0.45  # Angstrom; 32 x 0.45 = 14 A, a QM9 molecule in any orientation
    max_shift: float = 0.5  # Angstrom, random translation per axis (augmentation)
    # "random": the stored orientation, or uniform on SO(3) when augmenting; "principal": the
    # molecule's principal-axes frame, or one of its 4 sign-flipped variants when augmenting
    orientation: str = "random"
    density_scale: float = 1e-2  # e/bohr^3 in log1p(rho / scale)
    promolecule_level: str = "hf/sto-3g"  # radial tables of the free atoms (hohenberg.qc.promolecule)
    potential_sigma: float = 0.2  # Angstrom, Gaussian smearing of the nuclear charges

    def __post_init__(self):
        self.channels = tuple(self.channels)
        bad = [c for c in self.channels if c not in CHANNELS]
        if bad or not self.channels:
            raise ValueError(f"unknown input channel(s) {bad}; choose from {', '.join(CHANNELS)}")
        if self.orientation not in ("random", "principal"):
            raise ValueError(f"orientation must be 'random' or 'principal', not {self.orientation!r}")
        if self.size < 4 or self.spacing <= 0:
            raise ValueError("view needs size >= 4 and spacing > 0")

    def to_dict(self) -> dict:
        return to_plain(self)

    @classmethod
    def from_dict(cls, d: dict) -> ViewConfig:
        return cls(**known_options(cls, d, "view"))


def check_targets(table, targets: Sequence[str]) -> Sequence[str]:
    """``targets`` when the table has every one, else an error listing the table's properties."""
    bad = [t for t in targets if t not in table.properties]
    if bad:
        raise HohenbergError(f"target(s) {bad} not in the table; it has {', '.join(sorted(table.properties))}")
    return targets


def target_values(table, rows: np.ndarray, targets: Sequence[str]) -> np.ndarray:
    """``(len(rows), len(targets))`` float64 reference values (NaN where unknown)."""
    if not targets:
        return np.zeros((len(rows), 0))
    return np.stack([np.asarray(table.properties[t], dtype=np.float64)[rows] for t in targets], 1)


class MoleculeItems(Dataset):
    """Items of the molecules ``ids`` whose reference values are the rows of ``y``."""

    ids: list[str]
    _y: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def y(self) -> np.ndarray:
        return self._y


class StoreVolumes(MoleculeItems):
    """Items ``{"id", "density" (float32 (n, n, n) e/bohr^3, or None), "promolecule" (same, or
    None), "center" (3,) A, "spacing" A, "numbers", "positions" (A), "y" (float64 targets, NaN when
    unknown)}``.

    With ``promolecule_level``, each item also holds the promolecule on the record's own grid:
    rendered there and resampled like the stored density, both inputs are smoothed alike (same
    trilinear treatment of the nuclear cusps).  It is rendered once per molecule and kept in
    ``cache_dir/LEVEL/ID.npy`` (float16, written atomically, so concurrent loader workers are
    safe), which stays valid while a store grows.
    """

    def __init__(self, store: str | Path, ids: Sequence[str] | None = None, table=None,
                 targets: Sequence[str] = (), need_density: bool = True, promolecule_level: str | None = None,
                 cache_dir: str | Path | None = None):
        from hohenberg.store.reader import StoreReader

        self.reader = StoreReader(store)
        self.promolecule_level = promolecule_level
        self.cache = None
        if promolecule_level is not None:
            base = Path(cache_dir) if cache_dir is not None else Path(store) / ".cache" / "promolecule"
            self.cache = base / promolecule_level.replace("/", "_").replace("*", "star")
        if self.reader.layout != "grid":
            raise HohenbergError(f"{store}: volumetric training reads stored grids; this store is in the "
                                 f"{self.reader.layout!r} layout")
        self.ids = list(self.reader.ids if ids is None else ids)
        missing = [i for i in self.ids if i not in self.reader]
        if missing:
            raise HohenbergError(f"{store}: {len(missing)} requested id(s) not in the store, e.g. {missing[0]!r}")
        self.targets = tuple(targets)
        self.need_density = need_density
        rows = np.zeros(len(self.ids), dtype=np.int64)
        if self.targets:
            if table is None:
                raise HohenbergError("targets need a molecule table to read them from")
            check_targets(table, self.targets)
            try:
                rows = table.index_of(self.ids)
            except KeyError as exc:
                raise HohenbergError(f"{store}: {exc.args[0]} (the table does not match the store)") from None
        self._y = target_values(table, rows, self.targets)

    def __getitem__(self, i: int) -> dict:
        rid = self.ids[i]
        names = {"numbers", "positions", "grid_origin", "grid_axes"} | ({"density"} if self.need_density else set())
        rec = self.reader.record(rid, names)
        axes = np.asarray(rec["grid_axes"])
        spacing = float(axes[0, 0])
        if not np.allclose(axes, np.eye(3) * spacing):
            raise HohenbergError(f"{self.reader.root}: record {rid!r} is not on an axis-aligned cubic grid")
        n = int(self.reader.config["size"])
        center = np.asarray(rec["grid_origin"]) + spacing * (n - 1) / 2
        density = None
        if self.need_density:
            if "density" not in rec.arrays:
                raise HohenbergError(f"{self.reader.root}: record {rid!r} has no density grid")
            density = torch.from_numpy(np.ascontiguousarray(rec["density"], dtype=np.float32))
        promolecule = None
        if self.cache is not None:
            pro = self._cached_promolecule(rid, rec, n)
            promolecule = torch.from_numpy(pro.astype(np.float32))
        return {"id": rid, "density": density, "promolecule": promolecule, "center": torch.as_tensor(center, dtype=torch.float64),
                "spacing": spacing, "numbers": torch.as_tensor(np.asarray(rec["numbers"]), dtype=torch.long),
                "positions": torch.as_tensor(np.asarray(rec["positions"]), dtype=torch.float64),
                "y": torch.as_tensor(self._y[i])}

    def _cached_promolecule(self, rid: str, rec, n: int) -> np.ndarray:
        path = self.cache / f"{rid}.npy"
        if path.exists():
            return np.load(path)
        from hohenberg.fileio import atomic_open
        from hohenberg.qc.promolecule import promolecule_density, radial_table

        grid = Grid(rec["grid_origin"], rec["grid_axes"], (n, n, n))
        pro = promolecule_density(rec["numbers"], rec["positions"], grid,
                                  radial_table(self.promolecule_level)).astype(np.float16)
        self.cache.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "wb") as fh:
            np.save(fh, pro)
        return pro


class PredictedDensities(MoleculeItems):
    """:class:`StoreVolumes` items whose ``density`` is the one a Hohenberg-Kohn map predicts from
    the promolecule (no SCF): the seed's pipeline molecule -> promolecule -> HK map -> density ->
    3D CNN, trained and tested like the SCF density.

    The map predicts on each record's own box (its centre, the store's size and spacing, which
    must be the map's), so the prediction takes the stored density's place exactly.
    Each prediction is made once and kept in ``cache_dir/hkmap-SHA/ID.npy`` (float16, atomic
    writes), keyed by the map's weights, so another map never reads these."""

    def __init__(self, base: StoreVolumes, hkmap_dir: str | Path, load_map: Callable[[Path], object],
                 cache_dir: str | Path | None = None):
        from hohenberg.fileio import sha256_of

        # ``load_map(dir)`` gives the map (``.cfg``, ``.predict_on_box``): the map's package sits
        # above this one (it builds on these views), so the caller hands its loader in
        self.base, self.hkmap_dir, self.load_map = base, Path(hkmap_dir), load_map
        self.ids, self._y = base.ids, base.y
        digest = sha256_of(self.hkmap_dir / "model.pt")[:12]
        root = Path(cache_dir) if cache_dir is not None else Path(base.reader.root) / ".cache"
        self.cache = root / f"hkmap-{digest}"
        self._model = None  # loaded on first use (in each loader worker)

    def __getitem__(self, i: int) -> dict:
        item = self.base[i]
        path = self.cache / f"{item['id']}.npy"
        if path.exists():
            rho = np.load(path)
        else:
            rho = self._predict(item)
            from hohenberg.fileio import atomic_open

            self.cache.mkdir(parents=True, exist_ok=True)
            with atomic_open(path, "wb") as fh:
                np.save(fh, rho)
        item["density"] = torch.from_numpy(rho.astype(np.float32))
        return item

    def _predict(self, item: dict) -> np.ndarray:
        if self._model is None:
            self._model = self.load_map(self.hkmap_dir)
        cfg, n = self._model.cfg, int(self.base.reader.config["size"])
        if cfg.output_size != n or abs(cfg.output_spacing - item["spacing"]) > 1e-9:
            raise HohenbergError(f"{self.hkmap_dir}: the map's box ({cfg.output_size}^3 at {cfg.output_spacing:g} A) "
                                 f"is not the store's ({n}^3 at {item['spacing']:g} A)")
        # on the record's own box (its centre), so the prediction takes the stored density's place
        rho = self._model.predict_on_box(item["numbers"].numpy(), item["positions"].numpy(), item["center"].numpy())
        return rho.astype(np.float16)


class TableVolumes(MoleculeItems):
    """Items for channels made from the atoms alone (``promolecule``, ``potential``): no store.

    The items are :class:`StoreVolumes`' without grids (``density`` and ``promolecule`` None), so
    :func:`render_channel` renders each channel exactly on the moved view from the moved atoms; the
    view is centred on the molecule's bounding-box centre, as a store's grid is.  Rendering a
    24^3 promolecule view takes milliseconds, less than the network's step on it, so nothing is
    cached: a table of all QM9 trains without any precomputation."""

    def __init__(self, table, ids: Sequence[str] | None = None, targets: Sequence[str] = ()):
        self.table = table
        self.ids = [str(i) for i in (table.ids if ids is None else ids)]
        try:
            self.rows = table.index_of(self.ids)
        except KeyError as exc:
            raise HohenbergError(f"{exc.args[0]} (not in the table)") from None
        self.targets = tuple(targets)
        self._y = target_values(table, self.rows, check_targets(table, self.targets))

    def __getitem__(self, i: int) -> dict:
        r = int(self.rows[i])
        a, b = self.table.offsets[r], self.table.offsets[r + 1]
        return atoms_item(self.ids[i], self.table.numbers[a:b], self.table.positions[a:b], self._y[i])


def atoms_item(mid: str, numbers, positions, y) -> dict:
    """An item without grids: every channel is rendered from the atoms on the view."""
    pos = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
    center = (pos.min(0) + pos.max(0)) / 2
    return {"id": mid, "density": None, "promolecule": None, "center": torch.as_tensor(center, dtype=torch.float64),
            "spacing": 0.0, "numbers": torch.as_tensor(np.asarray(numbers), dtype=torch.long),
            "positions": torch.as_tensor(pos), "y": torch.as_tensor(np.asarray(y, dtype=np.float64))}


def render_channel(name: str, items: Sequence[dict], rotations: torch.Tensor, shifts: torch.Tensor,
                   size: int, spacing: float, cfg: ViewConfig) -> torch.Tensor:
    """``(B, size, size, size)`` float32 raw values of one channel (e/bohr^3, or Hartree/e) on the views."""
    if name == "density" or (name == "promolecule" and items[0].get("promolecule") is not None):
        vols = torch.stack([it[name] for it in items])[:, None]
        s = {it["spacing"] for it in items}
        if len(s) != 1:
            raise HohenbergError("a batch mixes stored grid spacings")
        centers = torch.stack([it["center"] for it in items])
        return resample(vols, centers, s.pop(), centers, rotations, shifts, size, spacing)[:, 0]
    from hohenberg.qc.potentials import smeared_nuclear_potential
    from hohenberg.qc.promolecule import promolecule_density, radial_table

    view = Grid.cube(np.zeros(3), spacing, size)
    table = radial_table(cfg.promolecule_level) if name == "promolecule" else None
    out = []
    for it, R, t in zip(items, rotations, shifts):
        pos = positions_in_view(it["positions"], it["center"], R, t).numpy()
        z = it["numbers"].numpy()
        v = (promolecule_density(z, pos, view, table) if name == "promolecule"
             else smeared_nuclear_potential(z, pos, view, cfg.potential_sigma))
        out.append(torch.from_numpy(v.astype(np.float32)))
    return torch.stack(out)


def transform_channel(name: str, raw: torch.Tensor, cfg: ViewConfig) -> torch.Tensor:
    if name == "potential":
        return torch.log1p(raw.clamp(min=0))
    return torch.log1p(raw.clamp(min=0) / cfg.density_scale)


def draw_motions(n: int, augment: bool, max_shift: float, generator: torch.Generator | None = None,
                 lattice_spacing: float | None = None):
    """Identity, or random rigid motions: uniform on SO(3) with continuous shifts, or (given the
    stored grids' ``lattice_spacing``) the cube's symmetries with whole-step shifts (exact resampling)."""
    if not augment:
        return torch.eye(3, dtype=torch.float64).expand(n, 3, 3).clone(), torch.zeros(n, 3, dtype=torch.float64)
    if lattice_spacing is not None:
        return lattice_motions(n, max_shift, lattice_spacing, generator)
    return random_rotations(n, generator), random_shifts(n, max_shift, generator)


class ViewCollate:
    """Items -> batch ``{"grid" (B, C, s, s, s) float32, "z", "batch", "y" (B, T) float64, "ids",
    "rotations", "shifts"}``; ``augment`` draws a random motion per molecule (module docstring)."""

    def __init__(self, cfg: ViewConfig, augment: bool = False, generator: torch.Generator | None = None):
        self.cfg = cfg
        self.augment = augment
        self.generator = generator

    def __call__(self, items: Sequence[dict]) -> dict:
        cfg = self.cfg
        R, t = draw_motions(len(items), self.augment, cfg.max_shift, self.generator)
        if cfg.orientation == "principal":
            R = torch.stack([principal_frame(it["numbers"], it["positions"]) for it in items])
            if self.augment:
                pick = torch.randint(len(SIGN_FLIPS), (len(items),), generator=self.generator)
                R = R * SIGN_FLIPS[pick][:, None, :]  # flips the frame's axes (columns)
        chans = [transform_channel(c, render_channel(c, items, R, t, cfg.size, cfg.spacing, cfg), cfg)
                 for c in cfg.channels]
        z = torch.cat([it["numbers"] for it in items])
        batch = torch.repeat_interleave(torch.arange(len(items)), torch.tensor([len(it["numbers"]) for it in items]))
        return {KEY_GRID: torch.stack(chans, 1), KEY_Z: z, KEY_BATCH: batch,
                KEY_Y: torch.stack([it["y"] for it in items]), KEY_IDS: [it["id"] for it in items],
                KEY_ROTATIONS: R, KEY_SHIFTS: t}
