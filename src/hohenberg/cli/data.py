"""``hohenberg data``: build and inspect data sets."""

from __future__ import annotations

import time
import resource
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hohenberg.cli.output import console, print_json, print_table
from hohenberg.datasets import qm9
from hohenberg.datasets.statistics import target_statistics
from hohenberg.models.metrics import target_label
from hohenberg.molecules.table import MoleculeTable

app = typer.Typer(help="Build and inspect data sets (QM9).", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the results as JSON (units in the keys).")]


@app.command("qm9")
def build_qm9(
    out: Annotated[Path, typer.Option("--out", "-o", help="Table file to write (.npz).")],
    source: Annotated[Optional[Path], typer.Option(
        help="The qm9pack wheel (.whl), a directory of dsgdb9nsd_*.xyz files, the official "
             "dsgdb9nsd.xyz.tar.bz2, or a directory of qm9pack CSVs. Default: the installed qm9pack package.")] = None,
    exclude_uncharacterized: Annotated[bool, typer.Option(
        help="Drop the 3,054 molecules whose geometry does not match their SMILES.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Build the QM9 table (13 targets in eV/D/bohr^3/..., geometries in Angstrom) from either source."""
    t0 = time.perf_counter()
    with Progress(TextColumn("reading QM9"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=json_out) as bar:
        task = bar.add_task("qm9", total=qm9.N_MOLECULES)
        table = qm9.ingest(source, include_uncharacterized=not exclude_uncharacterized,
                           progress=lambda n: bar.update(task, completed=n) if n % 2000 == 0 else None)
    path = table.save(out)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    t1 = time.perf_counter()
    MoleculeTable.load(path)
    load_s = time.perf_counter() - t1
    flagged = int(table.properties["uncharacterized"].sum())
    result = {"path": str(path), "molecules": len(table), "atoms": int(table.offsets[-1]),
              "uncharacterized": flagged, "source_kind": table.meta["source_kind"],
              "ingest_time_s": round(seconds, 3), "peak_rss_MiB": round(peak, 1),
              "load_time_s": round(load_s, 4), "file_size_MB": round(path.stat().st_size / 1e6, 2)}
    if json_out:
        print_json(result)
    else:
        print_table("QM9 table written", ["", "value"], [(k, v) for k, v in result.items()])


@app.command("info")
def info(
    table_path: Annotated[Path, typer.Argument(metavar="TABLE", help="A table written by 'hohenberg data qm9'.")],
    json_out: JsonOpt = False,
) -> None:
    """Counts and per-target statistics (mean, std, min, max) with units."""
    table = MoleculeTable.load(table_path)
    targets = [t for t in qm9.TARGETS if t in table.properties]
    stats = target_statistics(table, targets)
    flagged = int(table.properties.get("uncharacterized", [0]).sum()) if "uncharacterized" in table.properties else 0
    split = qm9.standard_split(table) if "qm9_index" in table.properties else {}
    result = {"molecules": len(table), "atoms": int(table.offsets[-1]),
              "atoms_per_molecule_mean": float(table.n_atoms.mean()), "uncharacterized": flagged,
              "split_sizes": {k: len(v) for k, v in split.items()}, "meta": table.meta, "targets": stats}
    if json_out:
        print_json(result)
        return
    console.print(f"[bold]{table_path}[/]: {len(table)} molecules, {result['atoms']} atoms "
                  f"({result['atoms_per_molecule_mean']:.2f} per molecule), {flagged} uncharacterized; "
                  f"split {result['split_sizes']}; source {table.meta.get('source_kind', '?')}")
    print_statistics(stats)


def print_statistics(stats: dict[str, dict]) -> None:
    print_table("per-target statistics", ["target", "unit", "count", "mean", "std", "min", "max"],
                [(target_label(t), s["unit"], s["count"], s["mean"], s["std"], s["min"], s["max"])
                 for t, s in stats.items()])


@app.command("from-store")
def from_store(
    store_path: Annotated[Path, typer.Argument(metavar="STORE", help="A store written by 'hohenberg qc batch'.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Table file to write (.npz).")],
    json_out: JsonOpt = False,
) -> None:
    """A training table from a store: one row per computed molecule (energy, HOMO, LUMO, gap, dipole,
    Mulliken charges), the level recorded as each column's provenance; failed molecules are counted."""
    from hohenberg.store.to_table import store_failures, table_from_store

    table = table_from_store(store_path)
    failed = store_failures(store_path)
    path = table.save(out)
    result = {"path": str(path), "molecules": len(table), "atoms": int(table.offsets[-1]),
              "level": table.meta["level"], "failed": len(failed), "failed_ids": sorted(failed),
              "columns": sorted(table.properties) + sorted(table.atom_properties)}
    if json_out:
        print_json(result)
    else:
        print_table("table written from store", ["", "value"], [(k, v) for k, v in result.items()])
