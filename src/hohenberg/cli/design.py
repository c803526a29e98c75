"""``hohenberg design``: search a pool of molecules for a property goal (parses and prints only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hohenberg.cli.output import console, print_json, print_table


def design(
    target: Annotated[str, typer.Option(help="Property to optimise: a column of the pool's table (oracle table) "
                                             "or gap_eV, homo_eV, lumo_eV, mu_D, energy_eV (qc oracle).")],
    goal: Annotated[str, typer.Option(help="max, min or window:LOW:HIGH (in the target's unit).")],
    pool: Annotated[str, typer.Option(help="Candidates: a table (.npz), a SMILES file, or mutate:SEEDS.smi.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder (state, oracle store, report); a rerun resumes.")],
    oracle: Annotated[str, typer.Option(help="table (look the value up in the pool's table) or a qc level: "
                                             "gfn2-xtb, hf/sto-3g, b3lyp/6-31g* ...")] = "table",
    budget: Annotated[int, typer.Option(help="Oracle calls in all, the random start included.")] = 100,
    batch: Annotated[int, typer.Option(help="Molecules measured per surrogate refit.")] = 10,
    initial: Annotated[int, typer.Option(help="Random picks measured before the first surrogate.")] = 10,
    surrogate: Annotated[str, typer.Option(help="gp-tanimoto (GP on Morgan counts), gp-tanimoto-3d (the same "
                                                 "plus force-field polarity descriptors on the 3D geometry: the "
                                                 "table's own, else ETKDG + MMFF94) or gin (graph ensemble).")] = "gp-tanimoto",
    acquisition: Annotated[str, typer.Option(help="ei, ucb, thompson, greedy (mean only) or random.")] = "ei",
    seed: Annotated[int, typer.Option(help="Random start, mutation pool and ensemble initialisation.")] = 0,
    beta: Annotated[float, typer.Option(help="UCB: mean + sqrt(beta) * std.")] = 4.0,
    workers: Annotated[int, typer.Option(help="qc oracle: processes computing a batch in parallel.")] = 1,
    optimize: Annotated[str | None, typer.Option(help="qc oracle: relax each geometry at this xTB level first "
                                                      "(default: RDKit ETKDG + MMFF94).")] = None,
    pool_size: Annotated[int, typer.Option(help="mutate: pools: at most this many molecules.")] = 2000,
    max_heavy: Annotated[int, typer.Option(help="mutate: pools: at most this many heavy atoms.")] = 9,
    json_out: Annotated[bool, typer.Option("--json", metavar="", help="Print the summary as JSON.")] = False,
) -> None:
    """Surrogate-driven search of a pool of molecules (Bayesian optimisation); resumable."""
    from hohenberg.design.loop import DesignConfig, run_design

    config = DesignConfig(target=target, goal=goal, pool=pool, oracle=oracle, surrogate=surrogate,
                          acquisition=acquisition, batch=batch, budget=budget, n_initial=initial, seed=seed, beta=beta)
    log = (lambda m: None) if json_out else (lambda m: console.print(m, highlight=False))
    result = run_design(config, out, workers=workers, optimize=optimize, pool_size=pool_size, max_heavy=max_heavy,
                        log=log)
    if json_out:
        print_json(result)
        return
    print_table(f"best molecules: {result['target']} ({result['goal']}), {result['oracle_calls']} oracle calls "
                f"({result['oracle_calls_now']} now) of {result['pool_size']} candidates",
                ["SMILES", "value", "predicted", "sigma", "call"],
                [[t["smiles"], t["value"], t["pred_mean"], t["pred_std"], t["call"]] for t in result["top"]])
    if result.get("beat_random") is not None:
        console.print(f"surrogate's picks beat a random pick: {100 * result['beat_random']:.0f} % of pairs")
    if "in_window" in result:
        console.print(f"in the window: {result['in_window']} of {result['oracle_calls']} calls "
                      f"({result['in_window_initial']} of {result['calls_initial']} random ones)")
    console.print(f"report: {out} (calls.csv, trace.png, best.csv, top.png, result.json); {result['wall_s']} s")
