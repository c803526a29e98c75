"""``hohenberg qc``: PySCF and xTB single points, density and promolecule grids, and batches."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hohenberg.cli.output import console, err_console, print_json, print_table
from hohenberg.errors import HohenbergError, InputError
from hohenberg.units import MARGIN

if TYPE_CHECKING:
    from hohenberg.grids import Grid
    from hohenberg.molecules.molecule import Molecule

app = typer.Typer(help="Quantum chemistry with PySCF (and xTB through tblite): energies, orbitals, dipoles and "
                       "electron densities.",
                  no_args_is_help=True)

LevelOpt = Annotated[str, typer.Option(help="Level of theory: method/basis, e.g. b3lyp/6-31g*, pbe/def2-svp, "
                                            "hf/sto-3g, qm9 (= b3lyp/6-31g(2df,p)); options +df, +6d7f, +cart; "
                                            "or gfn2-xtb / gfn1-xtb (semi-empirical, properties only).")]
JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]
SmilesOpt = Annotated[bool, typer.Option("--smiles", metavar="", help="Read INPUT as a SMILES string (embedded in 3D).")]
SpacingOpt = Annotated[float, typer.Option(help="Grid spacing in Angstrom.")]
SizeOpt = Annotated[Optional[int], typer.Option(help="Grid points per axis of the cube centred on the molecule "
                                                     "(default: just enough for --margin); a fixed size that "
                                                     "cannot hold the molecule is refused.")]
MarginOpt = Annotated[float, typer.Option(help="Angstrom between the outermost nucleus and every face of the box.")]
PngOpt = Annotated[Optional[Path], typer.Option("--png", help="Also draw mid-plane slices (PNG) here.")]


def _grid_level(level: str) -> None:
    """Commands that need a density matrix refuse xTB levels before any work."""
    from hohenberg.qc.levels import parse_level

    if not parse_level(level).has_density:
        raise InputError(None, f"--level {level}: xTB levels give properties only, no electron density; "
                               f"use a method/basis level (e.g. b3lyp/6-31g*)")


def _one_molecule(source: str, smiles: bool) -> Molecule:
    from hohenberg.molecules.formats import read_molecules
    from hohenberg.molecules.smiles import molecule_from_smiles

    mols = [molecule_from_smiles(source)] if smiles else read_molecules(source)
    if len(mols) != 1:
        raise InputError(source, f"holds {len(mols)} molecules; qc run/density take one (use 'hohenberg qc batch')")
    return mols[0]


@app.command("run")
def run(
    source: Annotated[str, typer.Argument(metavar="INPUT", help="xyz / sdf / cube file, or a SMILES string with --smiles.")],
    level: LevelOpt = "b3lyp/6-31g*",
    smiles: SmilesOpt = False,
    guess: Annotated[str, typer.Option(help="SCF starting point: minao (PySCF's default), atom (superposed atoms), "
                                            "or hkmap:MODEL_DIR (the density a Hohenberg-Kohn map model predicts; "
                                            "also runs minao to compare).")] = "minao",
    json_out: JsonOpt = False,
) -> None:
    """Single point: total energy, HOMO, LUMO, gap (eV), dipole (D), Mulliken charges, SCF cycles."""
    from hohenberg.hkmap.scf import guess_report, parse_guess, run_scf_guess
    from hohenberg.qc.levels import parse_level

    try:
        parse_guess(guess)
    except InputError as exc:
        raise InputError(None, f"--guess: {exc.message}") from None
    if parse_level(level).is_xtb:
        if guess != "minao":
            raise InputError(None, f"--guess {guess}: xTB levels take no SCF guess")
        return _run_xtb(_one_molecule(source, smiles), level, json_out)
    mol = _one_molecule(source, smiles)
    with console.status(f"SCF {mol.formula} at {level} ...", spinner="dots") if not json_out else nullcontext():
        result = run_scf_guess(mol, level, guess)
        summary = result.summary() | guess_report(result, mol, level)
    if json_out:
        print_json(summary)
        return
    print_table(f"{mol.name} ({mol.formula}) at {result.level.name}", ["quantity", "value"],
                [("energy (eV)", summary["energy_eV"]), ("HOMO (eV)", summary["homo_eV"]),
                 ("LUMO (eV)", summary["lumo_eV"]), ("gap (eV)", summary["gap_eV"]), ("dipole (D)", summary["mu_D"]),
                 ("SCF cycles", f"{summary['scf_cycles']} ({summary['solver']})"), ("wall time (s)", summary["wall_s"]),
                 ("guess", summary["guess"])]
                + [(k, v) for k, v in summary.items() if k.startswith(("minao_", "guess_fallback", "energy_minus"))])


def _run_xtb(mol: Molecule, level: str, json_out: bool) -> None:
    from hohenberg.qc.xtb import run_xtb

    summary = run_xtb(mol, level).summary()
    if json_out:
        print_json(summary)
        return
    print_table(f"{mol.name} ({mol.formula}) at {summary['level']}", ["quantity", "value"],
                [("energy (eV)", summary["energy_eV"]), ("HOMO (eV)", summary["homo_eV"]),
                 ("LUMO (eV)", summary["lumo_eV"]), ("gap (eV)", summary["gap_eV"]), ("dipole (D)", summary["mu_D"]),
                 ("charges (e)", " ".join(f"{q:+.3f}" for q in summary["mulliken_charges_e"])),
                 ("wall time (s)", summary["wall_s"])])


@app.command("density")
def density(
    source: Annotated[str, typer.Argument(metavar="INPUT")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Cube file to write (electrons/bohr^3).")],
    level: LevelOpt = "b3lyp/6-31g*",
    spacing: SpacingOpt = 0.2,
    size: SizeOpt = None,
    margin: MarginOpt = MARGIN,
    png: PngOpt = None,
    smiles: SmilesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """SCF density on a cube grid centred on the molecule, written as a Gaussian cube file."""
    from hohenberg.qc.density import becke_electron_count, density_on_grid
    from hohenberg.qc.scf import run_scf

    _grid_level(level)
    _check_grid_options(spacing, size, margin)
    mol = _one_molecule(source, smiles)
    grid = _grid(mol, spacing, size, margin)  # before the SCF: a box that cannot hold it fails at once
    result = run_scf(mol, level)
    rho = density_on_grid(result, grid)
    extra = {"level": result.level.name, "becke_electrons": becke_electron_count(result), "energy_eV": result.energy_eV}
    if png is not None:
        from hohenberg.qc.promolecule import promolecule_density

        pro = promolecule_density(mol.numbers, mol.positions, grid, _promolecule_level(result.level.name))
        extra["png"] = str(_slices(png, mol, {"density (e/bohr^3)": rho, "promolecule": pro,
                                              "density - promolecule": rho - pro}, result.level.name))
    _write_grid(out, mol, grid, rho, f"electron density, electrons/bohr^3, {result.level.name}", extra, json_out,
                "density written")


@app.command("promolecule")
def promolecule(
    source: Annotated[str, typer.Argument(metavar="INPUT")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Cube file to write (electrons/bohr^3).")],
    level: LevelOpt = "b3lyp/6-31g(2df,p)",
    spacing: SpacingOpt = 0.2,
    size: SizeOpt = None,
    margin: MarginOpt = MARGIN,
    png: PngOpt = None,
    smiles: SmilesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Superposed spherical atomic densities (no SCF: milliseconds) on the same kind of grid."""
    from hohenberg.qc.promolecule import promolecule_density

    _grid_level(level)
    _check_grid_options(spacing, size, margin)
    mol = _one_molecule(source, smiles)
    grid = _grid(mol, spacing, size, margin)
    rho = promolecule_density(mol.numbers, mol.positions, grid, level)
    extra = {"level": level}
    if png is not None:
        extra["png"] = str(_slices(png, mol, {"promolecule (e/bohr^3)": rho}, f"atoms at {level}"))
    _write_grid(out, mol, grid, rho, f"promolecule density, electrons/bohr^3, atoms at {level}",
                extra, json_out, "promolecule written")


def _check_grid_options(spacing: float, size: int | None, margin: float) -> None:
    """Grid options that can hold no molecule are refused before any file is read or SCF run."""
    if not spacing > 0:
        raise InputError(None, f"--spacing {spacing:g}: the grid spacing must be positive (Angstrom)")
    if size is not None and size < 2:
        raise InputError(None, f"--size {size}: a grid needs at least 2 points per axis")
    if not margin >= 0:
        raise InputError(None, f"--margin {margin:g}: must not be negative (Angstrom)")


def _grid(mol: Molecule, spacing: float, size: int | None, margin: float) -> Grid:
    from hohenberg.grids import grid_for

    try:
        return grid_for(mol.positions, spacing, size, margin, f"molecule {mol.name or mol.formula}")
    except HohenbergError as exc:
        raise InputError(None, str(exc)) from None


def _promolecule_level(level: str) -> str:
    """The level's own atomic densities where tabulated, else hf/sto-3g's (every level has a table
    for H-Kr at hf/sto-3g)."""
    from hohenberg.qc.promolecule import radial_table

    try:
        radial_table(level)
        return level
    except Exception:  # no table was made for this level
        return "hf/sto-3g"


def _slices(path: Path, mol: Molecule, fields: dict, what: str) -> Path:
    from hohenberg.reports.slices import slice_panels

    return slice_panels(path, fields, title=f"{mol.name or mol.formula} ({mol.formula}), {what}, mid plane")


@app.command("batch")
def batch(
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="Molecules: a table (.npz, e.g. from 'hohenberg data "
                                                                 "qm9'), a SMILES list (.smi: 'SMILES [name]' per line), "
                                                                 ".sdf, .xyz/.extxyz, or a folder of .xyz files.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Store folder (created, or extended: rerun to resume).")],
    level: LevelOpt = "pbe/def2-svp",
    limit: Annotated[Optional[int], typer.Option(help="Only the first N molecules of the input.")] = None,
    ids: Annotated[Optional[str], typer.Option(help="Comma-separated molecule ids instead of the whole input.")] = None,
    optimize: Annotated[Optional[str], typer.Option(help="Relax each geometry first with this xTB level (gfn2-xtb, "
                                                         "gfn1-xtb); the relaxed positions are stored.")] = None,
    workers: Annotated[int, typer.Option(help="Local worker processes.")] = 1,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address (tcp://host:port) instead of local workers.")] = None,
    spacing: SpacingOpt = 0.2,
    size: Annotated[int, typer.Option(help="Grid points per axis (every molecule on the same cube; one that "
                                           "cannot hold a molecule with --margin fails it, in failures.jsonl).")] = 64,
    margin: MarginOpt = MARGIN,
    no_density: Annotated[bool, typer.Option("--no-density", metavar="", help="Properties only, no grids (always so for xTB levels).")] = False,
    container: Annotated[Optional[str], typer.Option(help="File container of a new store: 'shards' (default) or "
                                                          "'hdf5' (HDF5 files other tools can read).")] = None,
    layout: Annotated[str, typer.Option(help="Store layout: 'grid' (compressed density grids) or 'orbitals' "
                                             "(occupied orbitals, rendered on any grid when read).")] = "grid",
    retry_failed: Annotated[bool, typer.Option(metavar="", help="Try again the molecules that failed before.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Properties and density grids for many molecules; resumable (rerun the same command).

    Ids come from the input (table ids, SMILES names, SDF titles, xyz comments, file names in a
    folder) or are generated as <file stem>-<row>; they must be unique."""
    import os

    from hohenberg.qc.batch import BatchConfig, run_batch
    from hohenberg.qc.inputs import read_batch_input
    from hohenberg.qc.levels import parse_level

    if layout not in ("grid", "orbitals"):
        raise InputError(None, f"--layout {layout!r}: choose 'grid' or 'orbitals'")
    if workers < 1:
        raise InputError(None, f"--workers {workers}: must be at least 1")
    if limit is not None and limit < 0:
        raise InputError(None, f"--limit {limit}: must not be negative")
    density = not no_density
    if density and not parse_level(level).has_density:
        density = False
        if not json_out:
            err_console.print(f"[yellow]{level}: xTB levels have no density grid; storing properties only "
                          f"(as --no-density)[/]")
    if density:  # every molecule would fail on such a grid: say so once, before any SCF
        _check_grid_options(spacing, size, margin)
    if optimize is not None and not parse_level(optimize).is_xtb:
        raise InputError(None, f"--optimize {optimize}: geometries are relaxed with an xTB level (gfn2-xtb, gfn1-xtb)")
    wanted = [i.strip() for i in ids.split(",") if i.strip()] if ids else None
    items = read_batch_input(source, ids=wanted, limit=limit)
    threads = max(1, (os.cpu_count() or 1) // max(workers, 1)) if scheduler is None else 1
    config = BatchConfig(level=level, spacing=spacing, size=size, density=density, threads_per_task=threads,
                         layout=layout, container=container, optimize=optimize, margin=margin)
    with Progress(TextColumn("qc batch"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=json_out) as bar:
        task = bar.add_task("batch", total=len(items))
        summary = run_batch(iter(items), out, config, workers=workers, scheduler=scheduler, retry_failed=retry_failed,
                            progress=lambda n, ok: bar.update(task, completed=n))
    report = {"requested": len(items), "done": summary.done, "computed_now": summary.computed,
              "already_done": summary.skipped, "failed": summary.failed, "out": summary.out, "level": level,
              "layout": layout, "density": density, "geometry": f"{optimize}-opt" if optimize else "input"}
    _report(report, json_out, "batch")
    if summary.failed:
        err_console.print(f"[yellow]{summary.failed} failure(s): see {out / 'failures.jsonl'}[/]")


def _write_grid(out: Path, mol: Molecule, grid: Grid, rho, comment: str, extra: dict, json_out: bool,
                title: str) -> None:
    """Write the cube file and report what a user checks first: where, and how many electrons."""
    from hohenberg.molecules.cube import write_cube

    write_cube(out, mol, grid, rho, comment=comment)
    _report({"out": str(out), "electrons": mol.n_electrons, "voxel_sum_electrons": grid.integrate(rho),
             "grid_shape": list(grid.shape), "spacing_A": float(grid.axes[0, 0]), **extra}, json_out, title)


def _report(report: dict, json_out: bool, title: str) -> None:
    if json_out:
        print_json(report)
    else:
        print_table(title, ["", "value"], list(report.items()))

