"""Entry point of the ``hohenberg`` command: command groups by area, user errors as one line."""

from __future__ import annotations

import pickle
import sys
import warnings
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from hohenberg import __version__
from hohenberg.cli import data, materials, models, mol, qc, store, subgraph, train
from hohenberg.cli.design import design
from hohenberg.cli.hkmap import predict_density
from hohenberg.cli.output import err_console
from hohenberg.errors import HohenbergError, first_line

_default_showwarning = warnings.showwarning

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
app.add_typer(models.app, name="model")
app.command("evaluate")(models.evaluate)
app.command("predict")(models.predict)
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


MESSAGE_CAP = 500  # characters: an error names what is wrong; it never echoes a whole input


def one_line(text: str, cap: int = MESSAGE_CAP) -> str:
    """``text`` on one line, cut to ``cap`` characters (a 200 MB input line stays out of the terminal)."""
    text = " ".join(str(text).split())
    if len(text) <= cap:
        return text
    suffix = f" ... ({len(text)} characters in all)"
    return text[: cap - len(suffix)] + suffix


def _os_message(exc: OSError) -> str:
    """``path: reason`` of an operating-system error (unreadable file, folder where a file goes, disk full)."""
    reason = exc.strerror or type(exc).__name__
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(map(str, paths))}: {reason}" if paths else f"{reason} ({exc})"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    from hohenberg.errors import InputWarning

    if issubclass(category, InputWarning):
        err_console.print(f"[yellow]warning:[/] {escape(one_line(str(message)))}", highlight=False, soft_wrap=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


def main() -> None:
    """The error boundary: a user's mistake (bad file, option, molecule or level; a file the
    system refuses) is one line and exit status 2; anything else is a bug and keeps its traceback."""
    warnings.showwarning = _show_warning
    try:
        app()
    except HohenbergError as exc:
        err_console.print(f"[bold red]error:[/] {escape(one_line(str(exc)))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except OSError as exc:  # permissions, a folder where a file is expected, disk full: the user's to fix
        err_console.print(f"[bold red]error:[/] {escape(one_line(_os_message(exc)))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except pickle.UnpicklingError as exc:  # torch.load(weights_only=True) refused a file holding Python objects
        text = ("a file holds pickled Python objects, which are not loaded (they could run code); "
                f"it is not one Hohenberg wrote: {first_line(exc)}")
        err_console.print(f"[bold red]error:[/] {escape(one_line(text))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]: completed outputs are kept; run again to resume")
        sys.exit(130)
