"""Oracles: the measurement a search spends its budget on.

* :class:`TableOracle` looks the value up in the pool's own table (QM9 as a fully labelled space,
  to measure a search);
* :class:`QCOracle` computes it at a ``qc`` level (``gfn2-xtb``, ``hf/sto-3g``, ``b3lyp/6-31g*``
  ...) through :func:`hohenberg.qc.batch.run_batch`, the worker pool of ``qc batch``: geometry by
  RDKit ETKDG + MMFF94 (or relaxed with ``optimize``, an xTB level), every result committed to a
  store under the run folder, so an interrupted search resumes without computing a molecule
  twice.  A molecule that fails (embedding, SCF) is a call with value NaN, logged in the store's
  ``failures.jsonl``.

``calls_now`` counts the values this oracle obtained in this process (looked up, or computed);
a value already in the store is read back, not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hohenberg.errors import InputError

QC_TARGETS = ("gap_eV", "homo_eV", "lumo_eV", "mu_D", "energy_eV")


class TableOracle:
    def __init__(self, values, target: str = ""):
        self.values = np.asarray(values, float)
        self.target = target
        self.calls_now = 0
        self.name = "table"

    def evaluate(self, idx: Sequence[int], ids: Sequence[str], smiles: Sequence[str]) -> np.ndarray:
        self.calls_now += len(idx)
        return self.values[np.asarray(idx, int)]


class QCOracle:
    def __init__(self, level: str, store: str | Path, target: str, workers: int = 1, optimize: str | None = None):
        from hohenberg.qc.levels import parse_level

        if target not in QC_TARGETS:
            raise InputError(None, f"target {target!r} is not computed by a qc oracle; choose from {', '.join(QC_TARGETS)}")
        try:
            parse_level(level)
            if optimize:
                parse_level(optimize)
        except Exception as exc:
            raise InputError(None, f"unknown oracle {level!r}: {exc}; use table or a qc level "
                                   f"(gfn2-xtb, hf/sto-3g, b3lyp/6-31g*)") from None
        self.level, self.store, self.target = level, Path(store), target
        self.workers, self.optimize = workers, optimize
        self.calls_now = 0
        self.name = level

    def evaluate(self, idx: Sequence[int], ids: Sequence[str], smiles: Sequence[str]) -> np.ndarray:
        from hohenberg.qc.batch import BatchConfig, run_batch
        from hohenberg.qc.inputs import SmilesEntry
        from hohenberg.store.reader import StoreReader

        items = [SmilesEntry(str(i), s, "pool", int(k) + 1) for i, s, k in zip(ids, smiles, idx)]
        config = BatchConfig(self.level, density=False, optimize=self.optimize)
        failed_before = self._failed()
        summary = run_batch(items, self.store, config, workers=self.workers)
        self.calls_now += summary.computed + len(self._failed() - failed_before)  # a failure was a call too
        out = np.full(len(items), np.nan)
        with StoreReader(self.store) as reader:
            for j, item in enumerate(items):
                if item.name in reader:
                    arrays = reader.record(item.name, {self.target}).arrays
                    if self.target in arrays:
                        out[j] = float(arrays[self.target])
        return out


    def _failed(self) -> set[str]:
        from hohenberg.store.to_table import store_failures

        if not (self.store / "failures.jsonl").is_file():
            return set()
        return set(store_failures(self.store))


def make_oracle(name: str, target: str, pool, store: str | Path | None = None, workers: int = 1,
                optimize: str | None = None):
    """``table`` (the pool's own values of ``target``) or a qc level."""
    if name == "table":
        if target not in pool.values:
            known = ", ".join(sorted(pool.values)) or "none: the pool is not a table"
            raise InputError(None, f"the table oracle needs {target!r} in the pool's table (it has {known})")
        return TableOracle(pool.values[target], target)
    if store is None:
        raise InputError(None, "a qc oracle needs a run folder for its store")
    return QCOracle(name, store, target, workers, optimize)
