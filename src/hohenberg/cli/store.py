"""``hohenberg store``: what a volumetric store holds, and whether every record in it is sound."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hohenberg.cli.output import console, print_json, print_table

app = typer.Typer(help="Volumetric stores written by 'hohenberg qc batch': summary, integrity check, index repair.",
                  no_args_is_help=True)

StoreArg = Annotated[Path, typer.Argument(metavar="DIR", help="A store folder (from 'hohenberg qc batch --out DIR').")]
JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]


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
    """Read, checksum and decode every record; check the index lists every record in the shards and
    store.json agrees with the records; list each problem; exit 1 if any."""
    from hohenberg.store import verify_store

    report = verify_store(store)
    result = {"store": str(store), "checked": report.checked, "bad_count": len(report.bad), "bad": report.bad,
              "index_problems": report.index_problems, "manifest_problems": report.manifest_problems,
              "uncommitted_tail_bytes": report.uncommitted_tail_bytes, "ok": report.ok}
    if json_out:
        print_json(result)
    else:
        for b in report.bad:
            console.print(f"[red]bad record[/] {b['id']}: {b['problem']}", highlight=False)
        for p in report.index_problems:
            console.print(f"[red]index[/] {p}", highlight=False)
        for p in report.manifest_problems:
            console.print(f"[red]store.json[/] {p}", highlight=False)
        if report.uncommitted_tail_bytes:
            console.print(f"{report.uncommitted_tail_bytes} uncommitted bytes after the last record (a write cut "
                          "short; not a record; the next writer removes them)", highlight=False)
        if report.ok:
            state = "[green]ok[/]"
        else:
            state = (f"[red]{len(report.bad)} bad record(s), "
                     f"{len(report.index_problems) + len(report.manifest_problems)} store problem(s)[/]")
            if report.index_problems or report.manifest_problems:
                state += f" (rebuild the index from the records: 'hohenberg store repair {store}')"
        console.print(f"{store}: {report.checked} records checked, {state}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def repair(store: StoreArg, json_out: JsonOpt = False) -> None:
    """Rebuild each shard's index from the records in it (atomically): list again every complete
    record an index lost, move an incomplete tail to DIR/lost+found/, set store.json's level to the
    records' own; delete nothing.  Then run 'hohenberg store verify'."""
    from hohenberg.store import repair_store

    report = repair_store(store)
    if json_out:
        print_json(report)
        return
    rows = []
    for s in report["shards"]:
        what = [f"{len(s['recovered'])} recovered" if s["recovered"] else "",
                f"index rewritten ({s['listed_before']} -> {s['listed_now']} records)" if s["index_rewritten"] else "",
                f"{s['tail_bytes']} tail bytes moved to {s['tail_moved_to']}" if s["tail_moved_to"] else "",
                f"bytes {s['not_records']} are no record (left in place)" if s["not_records"] else "",
                *s["problems"]]
        rows.append((s["shard"], s["listed_now"], "; ".join(w for w in what if w) or "unchanged"))
    print_table(f"store repair {store}", ["shard", "records", "done"], rows)
    level = report["level"]
    if level["changed"]:
        console.print(f"store.json level {level['was']!r} -> {level['manifest']!r} (what its records say)",
                      highlight=False)
    elif len(level["records"]) > 1:
        console.print(f"[red]records disagree on the level[/] {level['records']}; store.json left as it is",
                      highlight=False)
    if report["duplicate_ids"]:
        console.print(f"[red]ids stored twice[/] {report['duplicate_ids']} (readers use the first)", highlight=False)
    console.print(f"{store}: {report['records']} records listed, {report['recovered']} recovered"
                  + ("" if report["changed"] else ", nothing to change"), highlight=False)
