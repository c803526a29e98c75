"""``hohenberg store``: what a volumetric store holds, and whether every record in it is sound."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hohenberg.cli.output import console, print_json, print_table

app = typer.Typer(help="Volumetric stores written by 'hohenberg qc batch': summary and integrity check.",
                  no_args_is_help=True)

StoreArg = Annotated[Path, typer.Argument(metavar="DIR", help="A store folder (from 'hohenberg qc batch --out DIR').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the results as JSON (units in the keys).")]


@app.command()
def info(store: StoreArg, json_out: JsonOpt = False) -> None:
    """Count, bytes per molecule, level, grid and layout of a store."""
    from hohenberg.store import store_info

    report = store_info(store)
    if json_out:
        print_json(report)
        return
    codec = report.pop("density_codec")
    if codec:
        report["density_codec"] = f"{codec['name']} (floor {codec['floor']:g} e/bohr^3, log step {codec['step']:g})"
    report["grid_shape"] = "x".join(map(str, report["grid_shape"]))
    print_table(f"store {store}", ["", "value"], list(report.items()))


@app.command()
def verify(store: StoreArg, json_out: JsonOpt = False) -> None:
    """Read, checksum and decode every record; list each bad one by id; exit 1 if any."""
    from hohenberg.store import verify_store

    report = verify_store(store)
    result = {"store": str(store), "checked": report.checked, "bad_count": len(report.bad), "bad": report.bad,
              "index_problems": report.index_problems, "uncommitted_tail_bytes": report.uncommitted_tail_bytes,
              "ok": report.ok}
    if json_out:
        print_json(result)
    else:
        for b in report.bad:
            console.print(f"[red]bad record[/] {b['id']}: {b['problem']}", highlight=False)
        for p in report.index_problems:
            console.print(f"[red]index[/] {p}", highlight=False)
        if report.uncommitted_tail_bytes:
            console.print(f"{report.uncommitted_tail_bytes} uncommitted bytes after the last record (a write cut "
                          "short; not a record; the next writer removes them)", highlight=False)
        state = "[green]ok[/]" if report.ok else f"[red]{len(report.bad)} bad record(s)[/]"
        console.print(f"{store}: {report.checked} records checked, {state}")
    if not report.ok:
        raise typer.Exit(1)
