"""The search loop: initial random picks, then fit the surrogate, acquire a batch, measure, repeat.

Every oracle call is a row of the run's ``state.json`` (pool index, id, SMILES, value, and the
surrogate's prediction when it chose the molecule).  The state is written atomically twice per
batch: once with the chosen batch as ``pending`` before the oracle runs, once with its values
after.  A rerun (after a crash, a kill or Ctrl-C) first finishes a pending batch (the qc oracle's
store skips what it already computed) and then continues, so no molecule is measured twice, and a
finished run rerun makes no call.  The budget may be raised on a rerun; any other change of the
configuration is refused, since the calls made would not belong to it.

The random stream of batch ``b`` is seeded by ``(seed, b)``, so a resumed run picks what an
uninterrupted one would have (the graph ensemble restarts cold after a resume, its picks may
differ).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from hohenberg.design.acquisition import ACQUISITIONS, acquire, parse_goal, upper_confidence_bound
from hohenberg.design.surrogates import SURROGATES, featurize, make_surrogate
from hohenberg.errors import InputError
from hohenberg.fileio import atomic_write

STATE = "state.json"


@dataclass
class DesignConfig:
    target: str
    goal: str
    pool: str  # the pool's spec, as given
    oracle: str = "table"
    surrogate: str = "gp-tanimoto"
    acquisition: str = "ei"
    batch: int = 10
    budget: int = 100  # oracle calls in all, initial ones included
    n_initial: int = 10  # random picks before the first surrogate
    seed: int = 0
    beta: float = 4.0  # UCB: mean + sqrt(beta) std
    thompson_subset: int = 1000  # Thompson draws over the best candidates by UCB(beta=9)

    def check(self) -> DesignConfig:
        parse_goal(self.goal)
        if self.surrogate not in SURROGATES:
            raise InputError(None, f"unknown surrogate {self.surrogate!r}; choose from {', '.join(SURROGATES)}")
        if self.acquisition not in ACQUISITIONS:
            raise InputError(None, f"unknown acquisition {self.acquisition!r}; choose from {', '.join(ACQUISITIONS)}")
        for name in ("batch", "budget", "n_initial"):
            if getattr(self, name) < (0 if name == "n_initial" else 1):
                raise InputError(None, f"--{name.replace('n_', '')} {getattr(self, name)}: must be positive")
        return self

    def identity(self) -> dict:
        """What the calls made depend on: everything but the budget."""
        d = asdict(self)
        d.pop("budget")
        return d


class DesignRun:
    """One search (module docstring).  ``out=None`` keeps everything in memory (benchmarks);
    ``features``: the surrogate's inputs for the whole pool, if already computed."""

    def __init__(self, config: DesignConfig, pool, oracle, out: str | Path | None = None, features=None,
                 log: Callable[[str], None] | None = None):
        self.config = config.check()
        self.goal = parse_goal(config.goal)
        self.pool, self.oracle = pool, oracle
        self.out = None if out is None else Path(out)
        self.features = features
        self.log = log or (lambda msg: None)
        self.calls: list[dict] = []
        self.pending: list[dict] = []
        self.surrogate = None
        self.fit_s = 0.0
        if self.out is not None and (self.out / STATE).is_file():
            self._load()

    # -- state ---------------------------------------------------------------------------------
    def _load(self) -> None:
        state = json.loads((self.out / STATE).read_text())
        old, new = state["config"], self.config.identity()
        diff = [k for k in new if old.get(k) != new[k]]
        if diff:
            k = diff[0]
            raise InputError(self.out, f"this run was made with {k}={old.get(k)!r}, not {new[k]!r}: "
                                       f"write to another folder, or resume with the same settings (only the budget may change)")
        self.calls, self.pending = state["calls"], state.get("pending", [])
        self.fit_s = float(state.get("fit_s", 0.0))

    def _save(self) -> None:
        if self.out is None:
            return
        state = {"config": self.config.identity(), "budget": self.config.budget, "fit_s": self.fit_s,
                 "calls": self.calls, "pending": self.pending}
        atomic_write(self.out / STATE, json.dumps(state, indent=1, allow_nan=True))

    # -- the loop ----------------------------------------------------------------------------------
    def _measure(self, picks: list[dict]) -> None:
        idx = [p["index"] for p in picks]
        values = self.oracle.evaluate(idx, [p["id"] for p in picks], [p["smiles"] for p in picks])
        for p, v in zip(picks, values):
            self.calls.append({**p, "call": len(self.calls) + 1, "value": float(v)})
        self.pending = []
        self._save()

    def _batch_number(self) -> int:
        return 1 + max((c["batch"] for c in self.calls), default=0)

    def _pick(self, k: int) -> list[dict]:
        cfg = self.config
        b = self._batch_number()
        rng = np.random.default_rng([cfg.seed, b])
        done = np.zeros(len(self.pool), bool)
        done[[c["index"] for c in self.calls]] = True
        cands = np.flatnonzero(~done)
        k = min(k, len(cands))
        measured = [c for c in self.calls if np.isfinite(c["value"])]
        if len(self.calls) < cfg.n_initial or cfg.acquisition == "random" or len(measured) < 2:
            phase = "initial" if len(self.calls) < cfg.n_initial or cfg.acquisition != "random" else "random"
            chosen = rng.choice(cands, size=k, replace=False)
            mean = std = np.full(k, np.nan)
        else:
            phase = cfg.acquisition
            if self.features is None:
                self.log(f"featurizing {len(self.pool)} candidates for {cfg.surrogate}")
                self.features = featurize(cfg.surrogate, self.pool.smiles, getattr(self.pool, "molecules", None))
            t = time.perf_counter()
            if self.surrogate is None:
                self.surrogate = make_surrogate(cfg.surrogate, cfg.seed)
            X = self.features
            train = np.asarray([c["index"] for c in measured])
            self.surrogate.fit(X[train], np.asarray([c["value"] for c in measured]))
            mean_all, std_all = self.surrogate.predict(X[cands])
            observed = np.asarray([c["value"] for c in measured])
            if cfg.acquisition == "thompson":
                pre = np.arange(len(cands))
                if len(pre) > cfg.thompson_subset:
                    pre = np.argsort(-upper_confidence_bound(self.goal, mean_all, std_all, 9.0),
                                     kind="stable")[:cfg.thompson_subset]
                draws = self.surrogate.sample(X[cands[pre]], k, seed=cfg.seed * 100003 + b)
                local = pre[acquire("thompson", self.goal, k, draws=draws)]
            else:
                local = acquire(cfg.acquisition, self.goal, k, mean_all, std_all, observed, rng=rng, beta=cfg.beta)
            self.fit_s += time.perf_counter() - t
            chosen, mean, std = cands[local], mean_all[local], std_all[local]
        return [{"batch": b, "phase": phase, "index": int(i), "id": self.pool.ids[i], "smiles": self.pool.smiles[i],
                 "pred_mean": float(m), "pred_std": float(s)} for i, m, s in zip(chosen, mean, std)]

    def run(self, stop: Callable[[DesignRun], bool] | None = None) -> DesignRun:
        """Measure until the budget is spent, the pool exhausted or ``stop(self)`` is true."""
        cfg = self.config
        if self.pending:
            self.log(f"finishing the interrupted batch {self.pending[0]['batch']} ({len(self.pending)} molecules)")
            self._measure(self.pending)
        while len(self.calls) < min(cfg.budget, len(self.pool)) and not (stop and stop(self)):
            left = cfg.budget - len(self.calls)
            k = min(cfg.n_initial - len(self.calls), left) if len(self.calls) < cfg.n_initial else min(cfg.batch, left)
            self.pending = self._pick(k)
            if not self.pending:
                break
            self._save()
            self._measure(self.pending)
            best = self.best()
            self.log(f"batch {self.calls[-1]['batch']} ({self.calls[-1]['phase']}): {len(self.calls)} calls, "
                     f"best {cfg.target} = {best['value']:.4g} ({best['smiles']})" if best else
                     f"batch {self.calls[-1]['batch']}: {len(self.calls)} calls, no value yet")
        return self

    # -- results -------------------------------------------------------------------------------------
    def values(self) -> np.ndarray:
        return np.asarray([c["value"] for c in self.calls], float)

    def scores(self) -> np.ndarray:
        s = self.goal.score(self.values())
        return np.where(np.isfinite(s), s, -np.inf)

    def best(self) -> dict | None:
        if not self.calls or not np.isfinite(self.values()).any():
            return None
        return self.calls[int(np.argmax(self.scores()))]

    def top(self, n: int = 10) -> list[dict]:
        s = self.scores()
        order = [int(i) for i in np.argsort(-s, kind="stable") if np.isfinite(s[i])]
        return [self.calls[i] for i in order[:n]]

    def trace(self) -> np.ndarray:
        """Best value found after each call (NaN until the first value)."""
        s, v = self.scores(), self.values()
        out, best, best_v = [], -np.inf, np.nan
        for si, vi in zip(s, v):
            if si > best:
                best, best_v = si, vi
            out.append(best_v)
        return np.asarray(out)

    def beat_random(self) -> float | None:
        """P(a surrogate pick scores above a random pick): over all pairs of a surrogate-chosen
        call and an initial (uniformly random) call, ties counted half; None without both."""
        s = self.goal.score(self.values())
        phase = np.asarray([c["phase"] for c in self.calls])
        rand, chosen = s[(phase == "initial") & np.isfinite(s)], s[(phase != "initial") & np.isfinite(s)]
        if not len(rand) or not len(chosen):
            return None
        diff = chosen[:, None] - rand[None, :]
        return float(((diff > 0) + 0.5 * (diff == 0)).mean())

    def summary(self, calls_before: int = 0) -> dict:
        cfg = self.config
        best = self.best()
        v = self.values()
        phase = np.asarray([c["phase"] for c in self.calls])
        out = {
            "target": cfg.target, "goal": str(self.goal), "pool": cfg.pool, "pool_size": len(self.pool),
            "oracle": cfg.oracle, "surrogate": cfg.surrogate, "acquisition": cfg.acquisition, "batch": cfg.batch,
            "budget": cfg.budget, "n_initial": cfg.n_initial, "seed": cfg.seed,
            "oracle_calls": len(self.calls), "oracle_calls_now": int(self.oracle.calls_now),
            "failed_calls": int((~np.isfinite(v)).sum()),
            "best_value": None if best is None else best["value"],
            "best_smiles": None if best is None else best["smiles"],
            "best_id": None if best is None else best["id"],
            "surrogate_s": round(self.fit_s, 2),
            "top": [{k: c[k] for k in ("call", "id", "smiles", "value", "pred_mean", "pred_std", "phase")}
                    for c in self.top(10)],
            "beat_random": self.beat_random(),
        }
        if self.goal.kind == "window":
            hit = self.goal.hit(v)
            out["in_window"] = int(hit.sum())
            out["in_window_initial"] = int(hit[phase == "initial"].sum())
            out["in_window_chosen"] = int(hit[phase != "initial"].sum())
            out["calls_initial"] = int((phase == "initial").sum())
        return out


def run_design(config: DesignConfig, out: str | Path, workers: int = 1, optimize: str | None = None,
               pool_size: int = 2000, max_heavy: int = 9, log: Callable[[str], None] | None = None) -> dict:
    """The ``hohenberg design`` job: pool, oracle, search, report under ``out``; the summary."""
    from hohenberg.design.oracle import make_oracle
    from hohenberg.design.pool import Pool, load_pool
    from hohenberg.design.report import write_report

    config.check()
    if config.oracle != "table":  # a misspelt level fails before a mutation pool is built
        from hohenberg.design.oracle import QCOracle

        QCOracle(config.oracle, Path(out) / "oracle", config.target, workers, optimize)
    out = Path(out)
    t0 = time.perf_counter()
    saved = out / "pool.csv"
    if saved.is_file() and (out / STATE).is_file() and not config.pool.lower().endswith(".npz"):
        pool = Pool.load_csv(saved)  # the molecules this run has been searching
    else:
        pool = load_pool(config.pool, size=pool_size, max_heavy=max_heavy, seed=config.seed)
    if len(pool) == 0:
        raise InputError(config.pool, "the pool is empty")
    oracle = make_oracle(config.oracle, config.target, pool, out / "oracle", workers, optimize)
    run = DesignRun(config, pool, oracle, out, log=log)  # refuses a different configuration
    out.mkdir(parents=True, exist_ok=True)
    if not saved.is_file():
        pool.save(saved)
    run.run()
    summary = run.summary()
    summary["wall_s"] = round(time.perf_counter() - t0, 2)
    summary["files"] = write_report(run, out, summary)
    return summary
