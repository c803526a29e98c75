"""Entry point of the ``hohenberg`` command: command groups by area, user errors as one line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from hohenberg import __version__
from hohenberg.cli import data, graph, materials, mol, network, qc, store, subgraph, train, volumetric
from hohenberg.cli.design import design
from hohenberg.cli.hkmap import predict_density
from hohenberg.cli.output import err_console
from hohenberg.errors import HohenbergError

app = typer.Typer(
    help="Hohenberg: DFT-quality electronic properties of molecules and materials from learned models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data.app, name="data")
app.add_typer(mol.app, name="mol")
app.add_typer(train.app, name="train")
app.add_typer(qc.app, name="qc")
app.add_typer(store.app, name="store")
app.add_typer(materials.app, name="materials")
app.add_typer(subgraph.app, name="subgraph")
# a model directory written by `train pairs` / `train network` is routed to hohenberg.cli.network
app.command("evaluate")(network.routing_evaluate(volumetric.evaluate))
app.command("predict")(network.routing_predict(graph.predict))
app.command("predict-density")(predict_density)
app.command("design")(design)


@app.command()
def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Report folder."),
    source: Optional[Path] = typer.Option(None, help="QM9 source (default: the installed qm9pack package)."),
) -> None:
    """Run the main job end to end: QM9 -> summary -> baseline -> QC -> shipped model -> report under OUT."""
    from hohenberg.cli.data import print_statistics
    from hohenberg.cli.output import console, print_table
    from hohenberg.demo import run_demo
    from hohenberg.models.metrics import report_unit, target_label

    result = run_demo(out, source, log=console.print)
    print_statistics(result["info"]["targets"])
    rows = []
    for t, e in result["baseline"]["test_errors"].items():
        unit = report_unit(t)[0]
        rows.append((target_label(t), unit, e[f"mae_{unit}"]))
    print_table("per-element linear baseline, QM9 test split", ["target", "unit", "MAE"], rows)
    from hohenberg.demo import DEMO_TARGETS

    shipped = result["shipped"]
    print_table(f"shipped QM9 model ({shipped['model']}): prediction ± sigma (QM9)",
                ["molecule"] + [f"{target_label(t)} ({t.rsplit('_', 1)[1]})" for t in DEMO_TARGETS],
                [[m["name"]] + [f"{m[t]:.3f} ± {m[t + '_std']:.3f} ({m['qm9'][t]:.3f})" for t in DEMO_TARGETS]
                 for m in shipped["molecules"]])
    console.print(f"report: {out / 'report.md'}")


@app.command()
def version() -> None:
    """Print the Hohenberg version."""
    print(__version__)


def main() -> None:
    try:
        app()
    except HohenbergError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]: completed outputs are kept; run again to resume")
        sys.exit(130)
