"""``hohenberg data``: build and inspect data sets."""

from __future__ import annotations

import time
import resource
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hohenberg.cli.output import console, err_console, print_json, print_table

app = typer.Typer(help="Build and inspect data sets (QM9, or your own molecules).", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]


@app.command("qm9")
def build_qm9(
    out: Annotated[Path, typer.Option("--out", "-o", help="Table file to write (.npz).")],
    source: Annotated[Optional[Path], typer.Option(
        help="The qm9pack wheel (.whl), a directory of dsgdb9nsd_*.xyz files, the official "
             "dsgdb9nsd.xyz.tar.bz2, or a directory of qm9pack CSVs. Default: the installed qm9pack package.")] = None,
    exclude_uncharacterized: Annotated[bool, typer.Option(metavar="",
        help="Drop the 3,054 molecules whose geometry does not match their SMILES.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Build the QM9 table (13 targets in eV/D/bohr^3/..., geometries in Angstrom) from either source."""
    from hohenberg.datasets import qm9
    from hohenberg.molecules.table import MoleculeTable

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
    table_path: Annotated[Path, typer.Argument(metavar="TABLE", help="A table written by 'hohenberg data qm9' or 'data import'.")],
    json_out: JsonOpt = False,
) -> None:
    """Counts, elements, charge/spin, per-target statistics (mean, std, min, max) with units, provenance;
    of a network file (`data network`): nodes, edges, components, degree distribution."""
    import numpy as np

    from hohenberg.cli.network import network_info
    from hohenberg.datasets import importing, qm9
    from hohenberg.datasets.statistics import target_statistics
    from hohenberg.molecules.table import MoleculeTable
    from hohenberg.network.build import is_network_file

    if is_network_file(table_path):
        return network_info(table_path, json_out)
    table = MoleculeTable.load(table_path)
    summary = importing.describe(table)
    is_qm9 = "qm9_index" in table.properties
    targets = list(summary["targets"])  # QM9's 13 for a QM9 table (hohenberg.datasets.targets)
    stats = target_statistics(table, [t for t in targets if np.isfinite(table.properties[t]).any()])
    flagged = int(table.properties["uncharacterized"].sum()) if "uncharacterized" in table.properties else 0
    split = qm9.standard_split(table) if is_qm9 else {}
    result = {"molecules": len(table), "atoms": int(table.offsets[-1]),
              "atoms_per_molecule_mean": float(table.n_atoms.mean()) if len(table) else 0.0,
              "uncharacterized": flagged, "split_sizes": {k: len(v) for k, v in split.items()},
              "elements": summary["elements"], "charge": summary["charge"], "spin": summary["spin"],
              "target_provenance": summary["target_provenance"], "meta": table.meta, "targets": stats}
    if json_out:
        print_json(result)
        return
    split_text = f"; split {result['split_sizes']}" if is_qm9 else ""
    console.print(f"[bold]{table_path}[/]: {len(table)} molecules, {result['atoms']} atoms "
                  f"({result['atoms_per_molecule_mean']:.2f} per molecule), {flagged} uncharacterized"
                  f"{split_text}; source {table.meta.get('source_kind', '?')}")
    print_composition(summary)
    print_statistics(stats)
    print_provenance(summary["target_provenance"])


from hohenberg.cli.network import build_network  # noqa: E402 (registered here, defined with its kin)

app.command("network")(build_network)


def print_statistics(stats: dict[str, dict]) -> None:
    from hohenberg.models.metrics import target_label

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


@app.command("join")
def join(
    table_path: Annotated[Path, typer.Argument(metavar="TABLE", help="The table to add columns to (.npz).")],
    other_path: Annotated[Path, typer.Argument(metavar="OTHER", help="A table of the same molecules (same ids and "
                                                                     "structures), e.g. from 'data from-store' of an "
                                                                     "xTB batch on TABLE.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Table file to write (.npz).")],
    prefix: Annotated[str, typer.Option(help="Put before every joined column name (homo_eV -> xtb_homo_eV).")] = "xtb_",
    json_out: JsonOpt = False,
) -> None:
    """Add OTHER's molecule and atom columns to TABLE under a prefix, matched by id (NaN where OTHER
    lacks a molecule); a molecule whose structure differs between the two is an error naming it."""
    from hohenberg.errors import InputError
    from hohenberg.molecules.table import MoleculeTable

    table, other = MoleculeTable.load(table_path), MoleculeTable.load(other_path)
    try:
        joined = table.joined(other, prefix)
    except ValueError as exc:
        raise InputError(other_path, str(exc)) from None
    path = joined.save(out)
    added = sorted(k for k in (*joined.properties, *joined.atom_properties)
                   if k not in table.properties and k not in table.atom_properties)
    held = set(map(str, other.ids))
    result = {"path": str(path), "molecules": len(joined), "matched": sum(str(m) in held for m in table.ids),
              "columns_added": added}
    if json_out:
        print_json(result)
    else:
        print_table("joined table written", ["", "value"], [(k, v) for k, v in result.items()])


def print_composition(summary: dict) -> None:
    console.print("elements (atoms): " + ", ".join(f"{el} {n}" for el, n in summary["elements"].items()))
    console.print("charge (molecules): " + ", ".join(f"{c}: {n}" for c, n in summary["charge"].items())
                  + "; spin 2S (molecules): " + ", ".join(f"{s}: {n}" for s, n in summary["spin"].items()))


def print_provenance(provenance: dict) -> None:
    if provenance:
        print_table("target provenance", ["target", "source", "unit in file", "level"],
                    [(t, p.get("source", ""), p.get("unit_in_file", ""), p.get("level", "")) for t, p in provenance.items()])


# -- importing users' own molecules --------------------------------------------------------------
@app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(
        metavar="FILE", help="Extended XYZ (.xyz/.extxyz), SDF (.sdf), CSV/TSV with a SMILES column, "
                                "ASE database (.db), or a QM9 source (directory, .tar.bz2, qm9pack wheel).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Table file to write (.npz); nothing is written on error.")],
    targets: Annotated[Optional[str], typer.Option(
        help="Comma-separated target columns (default: every numeric column but ids, SMILES, charge, spin).")] = None,
    units: Annotated[Optional[str], typer.Option(
        help="Units of columns whose names do not carry one, e.g. 'gap=Ha,energy=kcal/mol,logS=1'.")] = None,
    on_error: Annotated[str, typer.Option(
        help="'fail': stop at the first bad molecule; 'skip': leave it out and list it in <table>.skipped.csv.")] = "fail",
    smiles_column: Annotated[Optional[str], typer.Option(help="The SMILES column of a CSV (default: 'smiles').")] = None,
    id_column: Annotated[Optional[str], typer.Option(
        help="Column (SDF tag, extxyz key, db key; 'title' for the SDF title line) with molecule ids.")] = None,
    level: Annotated[Optional[str], typer.Option(help="Level of theory of the targets, e.g. 'b3lyp/def2-svp'.")] = None,
    optimize: Annotated[Optional[str], typer.Option(
        help="Relax geometries embedded from SMILES (CSV/TSV rows) after ETKDG+MMFF: 'gfn2-xtb' or 'gfn1-xtb'.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Import your own molecules and targets into one table (energies converted to eV)."""
    from hohenberg.datasets import importing

    if on_error not in importing.ON_ERROR:
        raise typer.BadParameter(f"must be one of {', '.join(importing.ON_ERROR)}, not {on_error!r}",
                                 param_hint="--on-error")
    try:
        declared = importing.parse_units_option(units) if units is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--units") from None
    target_list = importing.parse_list_option(targets) if targets is not None else None
    t0 = time.perf_counter()
    with Progress(TextColumn("importing {task.description}"), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=json_out) as bar:
        task = bar.add_task("", total=None)
        result = importing.import_molecules(
            files, target_list, declared, on_error, id_column, smiles_column, level=level, optimize=optimize,
            progress=lambda name, n: bar.update(task, description=name, completed=n))
    path = result.table.save(out)
    skipped_path = None
    if on_error == "skip":
        skipped_path = importing.write_skipped_csv(path.with_name(f"{path.stem}.skipped.csv"), result.skipped)
    summary = importing.describe(result.table)
    report = {"path": str(path), "molecules": summary["molecules"], "atoms": summary["atoms"],
              "elements": summary["elements"], "targets": summary["targets"],
              "source_kind": result.table.meta["source_kind"], "skipped": len(result.skipped),
              "time_s": round(time.perf_counter() - t0, 3)}
    if skipped_path is not None:
        report |= {"skipped_csv": str(skipped_path), "skipped_rows": result.skipped}
    if json_out:
        print_json(report)
        return
    print_import_report(report, result.table.meta)


def print_import_report(report: dict, meta: dict[str, str]) -> None:
    rows = [("table", report["path"]), ("molecules", report["molecules"]), ("atoms", report["atoms"]),
            ("elements", ", ".join(f"{el} {n}" for el, n in report["elements"].items())),
            ("targets", ", ".join(f"{t} ({u})" for t, u in report["targets"].items()) or "none"),
            ("source", report["source_kind"]), ("skipped", report["skipped"]), ("time (s)", report["time_s"])]
    if "skipped_csv" in report:
        rows.append(("skipped rows", report["skipped_csv"]))
    if "hydrogens_added" in meta:
        rows.append(("hydrogens added by RDKit", f"{meta['hydrogens_added']} molecules"))
    print_table("imported", ["", "value"], rows)


# -- reading from a store: kept below this line --------------------------------------------------
