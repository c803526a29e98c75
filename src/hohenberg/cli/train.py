"""``hohenberg train``: fit models and measure them on held-out data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from hohenberg.cli.output import console, print_json, print_table
from hohenberg.cli.graph import train_graph
from hohenberg.cli.hkmap import train_hkmap
from hohenberg.cli.subgraph import train_subgraph
from hohenberg.cli.volumetric import train_volumetric
from hohenberg.datasets.qm9 import TARGETS
from hohenberg.fileio import atomic_write
from hohenberg.models.metrics import report_unit, target_label
from hohenberg.molecules.table import MoleculeTable

app = typer.Typer(help="Train models and measure them on the test split.", no_args_is_help=True)
app.command("subgraph")(train_subgraph)
app.command("graph")(train_graph)
app.command("volumetric")(train_volumetric)
app.command("hkmap")(train_hkmap)


@app.command("baseline")
def baseline(
    table_path: Annotated[Path, typer.Argument(metavar="TABLE", help="A QM9 table (.npz).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for baseline.json and parity.png.")] = None,
    n_train: Annotated[Optional[int], typer.Option(help="Train on this many molecules of the training split.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the standard split.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON (units in the keys).")] = False,
) -> None:
    """Per-element linear baseline (counts of H, C, N, O, F -> target): test MAE for all 13 targets."""
    from hohenberg.training.baseline import run_baseline

    table = MoleculeTable.load(table_path)
    result = run_baseline(table, TARGETS, seed=seed, n_train=n_train)
    payload = result.to_json()
    if out is not None:
        from hohenberg.reports.parity import parity_grid

        atomic_write(out / "baseline.json", json.dumps(payload, indent=2))
        parity_grid(out / "baseline_parity.png",
                    {target_label(t): (*result.predictions[t], report_unit(t)[0]) for t in TARGETS},
                    title=f"per-element linear baseline, test split (n={result.split_sizes['test']})")
    if json_out:
        print_json(payload)
        return
    rows = []
    for t, e in result.errors.items():
        unit = report_unit(t)[0]
        rows.append((target_label(t), unit, e[f"mae_{unit}"], e[f"rmse_{unit}"]))
    print_table(f"per-element linear baseline: test split (train {result.split_sizes['train']}, "
                f"test {result.split_sizes['test']})", ["target", "unit", "MAE", "RMSE"], rows)
    if out is not None:
        console.print(f"wrote {out / 'baseline.json'} and {out / 'baseline_parity.png'}")
