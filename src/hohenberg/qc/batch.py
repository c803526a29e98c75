"""Single points and density grids for many molecules: local process pool or a Dask cluster.

Each finished molecule is appended at once, by the driver process, to the volumetric store at
``OUT`` (:mod:`hohenberg.store`: a record is committed completely or not at all, so a crash or a
kill never leaves half of one); a failure is appended to ``OUT/failures.jsonl`` with the molecule
id and the reason.  A rerun (after a crash, a kill or Ctrl-C) skips what is already in the store,
so it recomputes nothing; ``OUT/store.json`` fixes the configuration (level, grid, layout), and a
rerun with another one is refused rather than mixing results.  At most ``max_in_flight``
molecules are submitted at a time, so memory stays bounded however large the table.

Levels: any PySCF level, or an xTB level (``gfn2-xtb``, ``gfn1-xtb``: :mod:`hohenberg.qc.xtb`),
which stores properties only (``density=False``).  ``optimize`` (an xTB level) relaxes each
geometry on the worker before the single point; the stored positions are then the relaxed ones and
every record's ``geometry`` says where its positions come from.  Items are molecules or SMILES
still to be embedded (:mod:`hohenberg.qc.inputs`), embedded on the worker too.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hohenberg.errors import HohenbergError
from hohenberg.grids import MARGIN, grid_for
from hohenberg.molecules.molecule import Molecule
from hohenberg.qc.inputs import BatchItem, SmilesEntry, as_molecule, geometry_of
from hohenberg.qc.levels import parse_level


@dataclass(frozen=True)
class BatchConfig:
    level: str
    spacing: float = 0.2  # Angstrom
    size: int = 64  # points per axis
    density: bool = True  # store the density (grid layout) or what renders it (orbitals layout)
    threads_per_task: int = 1
    layout: str = "grid"  # store layout: "grid" (density on the grid) or "orbitals" (rendered on read)
    container: str | None = None  # "shards" or "hdf5" for a new store; None: the default, or the store's own
    optimize: str | None = None  # an xTB level to relax each geometry with first; None: input geometries
    margin: float = MARGIN  # Angstrom: a molecule closer to a face of its box fails (never cut silently)


@dataclass
class BatchSummary:
    done: int  # results on disk for the requested ids
    computed: int  # of which computed in this run
    skipped: int  # already on disk before this run
    failed: int  # failures logged (this run and earlier)
    out: str


def compute_one(item: BatchItem, config: BatchConfig) -> dict[str, np.ndarray]:
    """Pure function run on a worker: properties (and the grid) of one molecule as arrays."""
    from hohenberg.qc.density import density_on_grid, orbital_arrays
    from hohenberg.qc.scf import run_scf
    from hohenberg.qc.xtb import optimize_geometry, run_xtb

    molecule = as_molecule(item)
    if config.optimize:
        molecule = optimize_geometry(molecule, config.optimize)
    level = parse_level(config.level)
    if level.is_xtb:
        result = run_xtb(molecule, level)
    else:
        result = run_scf(molecule, level, threads=config.threads_per_task)
    s = result.summary()
    arrays = {k: np.asarray(s[k], dtype=np.float64) for k in
              ("energy_eV", "homo_eV", "lumo_eV", "gap_eV", "mu_D", "dipole_D", "mulliken_charges_e", "wall_s")}
    arrays["scf_cycles"] = np.asarray(s["scf_cycles"])
    arrays["numbers"] = molecule.numbers
    arrays["positions"] = molecule.positions
    arrays["charge"] = np.asarray(molecule.charge, dtype=np.int64)  # so a table can be rebuilt from the store
    arrays["spin"] = np.asarray(molecule.spin, dtype=np.int64)
    if config.density:
        grid = grid_for(molecule.positions, config.spacing, config.size, config.margin, f"molecule {molecule.name}")
        if config.layout == "orbitals":  # no grid evaluation here: the reader renders it
            arrays.update(orbital_arrays(result.mol, result.mo_coeff, result.mo_occ))
        else:
            arrays["density"] = density_on_grid(result, grid).astype(np.float32)
        arrays["grid_origin"] = grid.origin
        arrays["grid_axes"] = grid.axes
    return arrays


def _safe_id(name: str) -> str:
    if not name or "\n" in name:
        raise HohenbergError(f"molecule id {name!r} cannot name a record")
    return name


class BatchDir:
    """The on-disk state of a batch: the store of results, and the failure log beside it."""

    def __init__(self, out: str | Path, config: BatchConfig):
        from hohenberg.store import StoreWriter

        self.out = Path(out)
        # what the results depend on; threads_per_task does not, so reruns may change it
        science = {"level": config.level, "spacing": config.spacing, "size": config.size,
                   "density": config.density}
        if config.optimize:  # only when set, so stores written before the option still resume
            science["optimize"] = config.optimize
        self.store = StoreWriter(self.out, science, layout_name=config.layout, container=config.container)
        self.failures_path = self.out / "failures.jsonl"

    def done_ids(self) -> set[str]:
        return set(self.store.ids)

    def failed_ids(self) -> set[str]:
        if not self.failures_path.exists():
            return set()
        ids = set()
        for line in self.failures_path.read_text().splitlines():
            try:
                ids.add(json.loads(line)["id"])
            except (ValueError, KeyError):
                continue  # a line cut by a crash
        return ids

    def write(self, mol_id: str, arrays: dict[str, np.ndarray], level: str, geometry: str | None = None,
              smiles: str | None = None) -> None:
        meta = {"level": level, "source": "hohenberg qc batch"}
        if geometry is not None:
            meta["geometry"] = geometry
        if smiles:  # kept so a table built from the store has its SMILES (scaffolds, subgraph models)
            meta["smiles"] = smiles
        self.store.put(mol_id, arrays, meta)

    def fail(self, mol_id: str, reason: str) -> None:
        with open(self.failures_path, "a") as fh:
            fh.write(json.dumps({"id": mol_id, "reason": reason}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def close(self) -> None:
        self.store.close()


def run_batch(molecules: Iterable[BatchItem], out: str | Path, config: BatchConfig, workers: int = 1,
              scheduler: str | None = None, retry_failed: bool = False, max_in_flight: int | None = None,
              progress: Callable[[int, int], None] | None = None, total: int | None = None) -> BatchSummary:
    """Compute every molecule not yet on disk; see the module docstring."""
    if config.layout not in ("grid", "orbitals"):
        raise HohenbergError(f"unknown store layout {config.layout!r} (grid, orbitals)")
    level = parse_level(config.level)  # a misspelt level fails here, not once per molecule
    if config.density and not (config.spacing > 0 and config.size >= 2 and config.margin >= 0):
        raise HohenbergError(f"a grid of spacing {config.spacing:g} A, {config.size} points per axis and margin "
                             f"{config.margin:g} A holds no molecule (spacing > 0, size >= 2, margin >= 0)")
    if config.density and not level.has_density:
        raise HohenbergError(f"level {level.name} has no density grid: run the batch without density grids "
                             f"(density=False), properties only")
    if config.optimize and not parse_level(config.optimize).is_xtb:
        raise HohenbergError(f"optimize={config.optimize!r}: geometries are relaxed with an xTB level "
                             f"(gfn2-xtb, gfn1-xtb)")
    state = BatchDir(out, config)
    done = state.done_ids()
    skip = done | (set() if retry_failed else state.failed_ids())

    def todo_ids():  # an id given twice is computed once (the store holds one record per id)
        for m in molecules:
            if _safe_id(m.name) not in skip:
                skip.add(m.name)
                yield m

    todo = todo_ids()
    n_skipped = len(done)
    computed = failed = 0
    limit = max_in_flight or 2 * max(workers, 1)

    def record(mol: BatchItem, outcome: tuple[str, object]) -> None:
        nonlocal computed, failed
        kind, payload = outcome
        if kind == "ok":
            geometry = f"{parse_level(config.optimize).name}-opt" if config.optimize else geometry_of(mol)
            smiles = mol.smiles if isinstance(mol, SmilesEntry) else mol.info.get("smiles")
            state.write(mol.name, payload, config.level, geometry, smiles)
            computed += 1
        else:
            state.fail(mol.name, str(payload))
            failed += 1
        if progress is not None:
            progress(computed + failed, computed)

    try:
        if scheduler is not None:
            _run_dask(todo, config, scheduler, limit, record)
        elif workers <= 1:
            for mol in todo:
                record(mol, _guarded(mol, config))
        else:
            _run_pool(todo, config, workers, limit, record)
    finally:
        state.close()  # releases the writer's lock
    return BatchSummary(len(state.done_ids()), computed, n_skipped, len(state.failed_ids()), str(state.out))


def _guarded(molecule: BatchItem, config: BatchConfig) -> tuple[str, object]:
    """Run on a worker; exceptions become a reason string (the batch never dies of one molecule)."""
    try:
        return "ok", compute_one(molecule, config)
    except HohenbergError as exc:
        return "failed", str(exc)
    except Exception as exc:  # PySCF raises plain exceptions for bad input; record, don't crash
        return "failed", f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=2).splitlines()[-1]}"


def _windowed(todo: Iterator[Molecule], limit: int, submit, wait_one) -> None:
    """Keep at most ``limit`` tasks in flight; ``wait_one`` handles one finished task."""
    in_flight: dict = {}
    try:
        for mol in todo:
            while len(in_flight) >= limit:
                wait_one(in_flight)
            in_flight[submit(mol)] = mol
        while in_flight:
            wait_one(in_flight)
    except BaseException:
        for fut in in_flight:
            fut.cancel()
        raise


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _run_pool(todo, config, workers, limit, record) -> None:
    import multiprocessing as mp

    # spawned workers read these at start-up: without them each one's BLAS starts a thread per
    # core, and the workers oversubscribe the machine
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: str(config.threads_per_task) for k in _THREAD_VARS})
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            def wait_one(in_flight):
                finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for fut in finished:
                    record(in_flight.pop(fut), fut.result())

            _windowed(todo, limit, lambda m: pool.submit(_guarded, m, config), wait_one)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_dask(todo, config, scheduler, limit, record) -> None:
    from distributed import Client, as_completed

    with Client(scheduler, set_as_default=False) as client:
        done_stream = as_completed(loop=client.loop)

        def submit(mol):
            fut = client.submit(_guarded, mol, config, pure=False)
            done_stream.add(fut)
            return fut

        def wait_one(in_flight):
            fut = next(done_stream)
            record(in_flight.pop(fut), fut.result())

        _windowed(todo, limit, submit, wait_one)
