"""A live inverse-design run: mutation pool from 20 seed molecules, a qc oracle, a gap window.

One command:

    .venv/bin/python benchmarks/design_live.py --json > runs/design-live/result.json

It runs ``hohenberg design`` (the library call behind it) in two invocations, ``--budget 60`` then
``--budget 100`` on the same folder (the second resumes: 40 new calls, none repeated), then a
third time (0 new calls).  To judge the picks it then computes the whole pool at the same level
into a separate store (``reference/``, not counted as oracle calls) and reports: the pool's
share inside the window, the share among the random start and among the surrogate's picks, and
P(a surrogate pick beats a random pick from the pool) (its score's percentile in the pool,
averaged over picks; ties half).  Also: how many pool molecules are in QM9 (canonical SMILES).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ["CCO", "CC(=O)O", "c1ccccc1", "c1ccncc1", "c1ccoc1", "C1CCCCC1", "CC(N)=O", "C=CC=O", "CC#N", "OCCO",
         "c1cc[nH]c1", "O=C1CCCC1", "CN(C)C", "COC=O", "FC(F)F", "C#CC", "Nc1ccccc1", "Oc1ccccc1", "CC(C)=O",
         "C1COCCN1"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--oracle", default="gfn2-xtb")
    ap.add_argument("--goal", default="window:3.0:3.5")
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--initial", type=int, default=20)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--pool-size", type=int, default=2000)
    ap.add_argument("--max-heavy", type=int, default=12)
    ap.add_argument("--surrogate", default="gp-tanimoto")
    ap.add_argument("--acquisition", default="ei")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--qm9", default=str(ROOT / "runs/qm9/qm9.npz"))
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "runs/design-live"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    import warnings

    warnings.filterwarnings("ignore")
    from hohenberg.design.acquisition import parse_goal
    from hohenberg.design.loop import DesignConfig, run_design

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = out / "seeds.smi"
    seeds.write_text("".join(f"{s} seed-{i}\n" for i, s in enumerate(SEEDS)))
    cfg = lambda budget: DesignConfig("gap_eV", args.goal, f"mutate:{seeds}", oracle=args.oracle,  # noqa: E731
                                      surrogate=args.surrogate, acquisition=args.acquisition, batch=args.batch,
                                      budget=budget, n_initial=args.initial, seed=0)
    kw = dict(workers=args.workers, pool_size=args.pool_size, max_heavy=args.max_heavy)
    invocations = []
    for budget in (min(60, args.budget), args.budget, args.budget):
        r = run_design(cfg(budget), out / "run", **kw)
        invocations.append({"budget": budget, "oracle_calls": r["oracle_calls"],
                            "oracle_calls_now": r["oracle_calls_now"], "wall_s": r["wall_s"]})
    result = {k: r[k] for k in ("target", "goal", "oracle", "surrogate", "acquisition", "batch", "n_initial",
                                "pool_size", "oracle_calls", "failed_calls", "best_value", "best_smiles",
                                "in_window", "in_window_initial", "in_window_chosen", "calls_initial",
                                "beat_random", "surrogate_s", "top")}
    result["invocations"] = invocations
    result["search_wall_s"] = round(sum(i["wall_s"] for i in invocations), 1)
    state = json.loads((out / "run" / "state.json").read_text())
    calls = state["calls"]
    from hohenberg.design.pool import Pool

    pool = Pool.load_csv(out / "run" / "pool.csv")
    if Path(args.qm9).is_file():
        from rdkit import Chem

        from hohenberg.molecules.table import MoleculeTable

        def canon(s):
            m = Chem.MolFromSmiles(s)
            return Chem.MolToSmiles(m) if m is not None else s

        qm9 = {canon(str(s)) for s in MoleculeTable.load(args.qm9).text["smiles"]}
        result["pool_in_qm9"] = int(sum(s in qm9 for s in pool.smiles))
        result["found_in_qm9"] = int(sum(c["smiles"] in qm9 for c in calls))
    if not args.no_reference:
        from hohenberg.design.oracle import QCOracle

        t = time.perf_counter()
        ref = QCOracle(args.oracle, out / "reference", "gap_eV", workers=args.workers)
        y = ref.evaluate(np.arange(len(pool)), pool.ids, pool.smiles)
        result["reference_wall_s"] = round(time.perf_counter() - t, 1)
        goal = parse_goal(args.goal)
        ok = np.isfinite(y)
        s_pool = goal.score(y[ok])
        result["reference_ok"] = int(ok.sum())
        result["pool_in_window"] = int(goal.hit(y[ok]).sum())
        best_pool = int(np.flatnonzero(ok)[np.argmax(s_pool)])
        result["pool_best"] = {"smiles": pool.smiles[best_pool], "value": float(y[best_pool])}

        def percentile(v):
            s = goal.score(np.array([v]))[0]
            return float(((s > s_pool).sum() + 0.5 * (s == s_pool).sum()) / len(s_pool)) if np.isfinite(s) else np.nan

        pct = np.array([percentile(c["value"]) for c in calls])
        chosen = np.array([c["phase"] != "initial" for c in calls])
        result["p_beats_random_pool_pick"] = {"surrogate": float(np.nanmean(pct[chosen])),
                                              "random_start": float(np.nanmean(pct[~chosen]))}
    (out / "result.json").write_text(json.dumps(result, indent=1, default=float))
    print(json.dumps(result, indent=1, default=float) if args.json else
          f"best {result['best_value']} ({result['best_smiles']}), in window {result['in_window']}/{result['oracle_calls']}")


if __name__ == "__main__":
    main()
