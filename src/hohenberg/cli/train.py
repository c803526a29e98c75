"""``hohenberg train``: fit models and measure them on held-out data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from hohenberg.cli.output import console, print_json, print_table
from hohenberg.cli.graph import train_graph
from hohenberg.cli.hkmap import train_hkmap
from hohenberg.cli.network import train_network, train_pairs
from hohenberg.cli.subgraph import train_subgraph
from hohenberg.cli.volumetric import train_volumetric
from hohenberg.errors import InputError

app = typer.Typer(help="Train models and measure them on the test split.", no_args_is_help=True)
app.command("subgraph")(train_subgraph)
app.command("graph")(train_graph)
app.command("volumetric")(train_volumetric)
app.command("hkmap")(train_hkmap)
app.command("pairs")(train_pairs)
app.command("network")(train_network)


@app.command("baseline")
def baseline(
    table_path: Annotated[Path, typer.Argument(metavar="TABLE", help="A molecule table (.npz).")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for baseline.json and parity.png.")] = None,
    targets: Annotated[str, typer.Option(help="Comma-separated targets, or 'all' (every target of the table).")] = "all",
    n_train: Annotated[Optional[int], typer.Option(help="Train on this many molecules of the training split.")] = None,
    split: Annotated[str, typer.Option(help="auto (QM9: standard, else random) | standard | random | scaffold | "
                                            "a JSON file of id lists.")] = "auto",
    seed: Annotated[int, typer.Option(help="Seed of the split.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")] = False,
) -> None:
    """Per-element linear baseline (element counts -> target): test MAE of every target of the table."""
    from hohenberg.datasets.splits import resolve_kind
    from hohenberg.datasets.targets import table_targets
    from hohenberg.fileio import atomic_write
    from hohenberg.models.metrics import report_unit, target_label
    from hohenberg.molecules.table import MoleculeTable
    from hohenberg.training.baseline import run_baseline

    table = MoleculeTable.load(table_path)
    names = table_targets(table) if targets == "all" else tuple(t.strip() for t in targets.split(",") if t.strip())
    missing = [t for t in names if t not in table.properties]
    if missing or not names:
        raise InputError(table_path, f"table has no column(s) {', '.join(missing) or targets!r}; "
                                     f"its targets: {', '.join(table_targets(table))}")
    resolve_kind(table, split)
    result = run_baseline(table, names, seed=seed, n_train=n_train, split=split)
    payload = result.to_json()
    if out is not None:
        from hohenberg.reports.figures import parity_grid

        from hohenberg.datasets.splits import write_split_ids

        atomic_write(out / "baseline.json", json.dumps(payload, indent=2))
        write_split_ids(out, result.split_ids, result.split, seed)
        parity_grid(out / "baseline_parity.png",
                    {target_label(t): (*result.predictions[t], report_unit(t)[0]) for t in names},
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
