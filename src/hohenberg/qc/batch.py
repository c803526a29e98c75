"""Single points and density grids for many molecules: local process pool or a Dask cluster.

Each finished molecule is written at once, atomically, by the driver process to
``OUT/results/<id>.npz``; a failure is appended to ``OUT/failures.jsonl`` with the molecule id
and the reason.  A rerun (after a crash, a kill or Ctrl-C) skips what is already on disk, so it
recomputes nothing; ``OUT/batch.json`` fixes the configuration, and a rerun with another one is
refused rather than mixing results.  At most ``max_in_flight`` molecules are submitted at a
time, so memory stays bounded however large the table.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from hohenberg import __version__
from hohenberg.errors import HohenbergError
from hohenberg.fileio import atomic_open, atomic_write
from hohenberg.grids import Grid
from hohenberg.molecules.molecule import Molecule


@dataclass(frozen=True)
class BatchConfig:
    level: str
    spacing: float = 0.2  # Angstrom
    size: int = 64  # points per axis
    density: bool = True  # write the density grid (float32, electrons/bohr^3)
    threads_per_task: int = 1


@dataclass
class BatchSummary:
    done: int  # results on disk for the requested ids
    computed: int  # of which computed in this run
    skipped: int  # already on disk before this run
    failed: int  # failures logged (this run and earlier)
    out: str


def compute_one(molecule: Molecule, config: BatchConfig) -> dict[str, np.ndarray]:
    """Pure function run on a worker: properties (and the grid) of one molecule as arrays."""
    from hohenberg.qc.density import density_on_grid
    from hohenberg.qc.scf import run_scf

    result = run_scf(molecule, config.level, threads=config.threads_per_task)
    s = result.summary()
    arrays = {k: np.asarray(s[k], dtype=np.float64) for k in
              ("energy_eV", "homo_eV", "lumo_eV", "gap_eV", "mu_D", "dipole_D", "mulliken_charges_e", "wall_s")}
    arrays["scf_cycles"] = np.asarray(result.n_cycles)
    arrays["numbers"] = molecule.numbers
    arrays["positions"] = molecule.positions
    if config.density:
        grid = Grid.around(molecule.positions, config.spacing, config.size)
        arrays["density"] = density_on_grid(result, grid).astype(np.float32)
        arrays["grid_origin"] = grid.origin
        arrays["grid_axes"] = grid.axes
    return arrays


def _safe_id(name: str) -> str:
    if not name or any(c in name for c in "/\\\0") or name.startswith("."):
        raise HohenbergError(f"molecule id {name!r} cannot name a result file")
    return name


class BatchDir:
    """The on-disk state of a batch: results, failures, configuration."""

    def __init__(self, out: str | Path, config: BatchConfig):
        self.out = Path(out)
        self.results = self.out / "results"
        self.results.mkdir(parents=True, exist_ok=True)
        for stale in self.results.glob(".*.tmp"):  # a write cut short by a kill: never a result
            stale.unlink(missing_ok=True)
        self.failures_path = self.out / "failures.jsonl"
        manifest = self.out / "batch.json"
        wanted = {"config": asdict(config), "code": f"hohenberg {__version__}"}
        if manifest.exists():
            have = json.loads(manifest.read_text())
            if have.get("config") != wanted["config"]:
                raise HohenbergError(f"{manifest}: this batch was run with {have.get('config')}; "
                                     f"refusing to add results computed with {wanted['config']}")
        else:
            atomic_write(manifest, json.dumps(wanted, indent=2))

    def path(self, mol_id: str) -> Path:
        return self.results / f"{_safe_id(mol_id)}.npz"

    def done_ids(self) -> set[str]:
        return {p.stem for p in self.results.glob("*.npz")}

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

    def write(self, mol_id: str, arrays: dict[str, np.ndarray], level: str) -> None:
        with atomic_open(self.path(mol_id)) as fh:
            np.savez(fh, level=np.array(level), code=np.array(f"hohenberg {__version__}"), **arrays)

    def fail(self, mol_id: str, reason: str) -> None:
        with open(self.failures_path, "a") as fh:
            fh.write(json.dumps({"id": mol_id, "reason": reason}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def run_batch(molecules: Iterable[Molecule], out: str | Path, config: BatchConfig, workers: int = 1,
              scheduler: str | None = None, retry_failed: bool = False, max_in_flight: int | None = None,
              progress: Callable[[int, int], None] | None = None, total: int | None = None) -> BatchSummary:
    """Compute every molecule not yet on disk; see the module docstring."""
    state = BatchDir(out, config)
    done = state.done_ids()
    skip = done | (set() if retry_failed else state.failed_ids())
    todo = (m for m in molecules if _safe_id(m.name) not in skip)
    n_skipped = len(done)
    computed = failed = 0
    limit = max_in_flight or 2 * max(workers, 1)

    def record(mol: Molecule, outcome: tuple[str, object]) -> None:
        nonlocal computed, failed
        kind, payload = outcome
        if kind == "ok":
            state.write(mol.name, payload, config.level)
            computed += 1
        else:
            state.fail(mol.name, str(payload))
            failed += 1
        if progress is not None:
            progress(computed + failed, computed)

    if scheduler is not None:
        _run_dask(todo, config, scheduler, limit, record)
    elif workers <= 1:
        for mol in todo:
            record(mol, _guarded(mol, config))
    else:
        _run_pool(todo, config, workers, limit, record)
    return BatchSummary(len(state.done_ids()), computed, n_skipped, len(state.failed_ids()), str(state.out))


def _guarded(molecule: Molecule, config: BatchConfig) -> tuple[str, object]:
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


def _run_pool(todo, config, workers, limit, record) -> None:
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        def wait_one(in_flight):
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in finished:
                record(in_flight.pop(fut), fut.result())

        _windowed(todo, limit, lambda m: pool.submit(_guarded, m, config), wait_one)


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
