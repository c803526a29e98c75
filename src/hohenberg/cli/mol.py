"""``hohenberg mol``: read molecule files (xyz, extxyz, QM9 xyz, sdf, SMILES, cube) and convert them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hohenberg.cli.output import print_json, print_table
from hohenberg.errors import InputError

app = typer.Typer(help="Read, inspect and convert molecule files.", no_args_is_help=True)


@app.command("info")
def info(
    source: Annotated[str, typer.Argument(help="A molecule file (.xyz .extxyz .sdf .mol .smi .cube) or a SMILES string.")],
    json_out: Annotated[bool, typer.Option("--json", metavar="", help="Print as JSON.")] = False,
) -> None:
    """Formula, atom and electron counts of every molecule in SOURCE."""
    from hohenberg.molecules.formats import read_molecules

    mols = read_molecules(source)
    rows = [{"name": m.name, "formula": m.formula, "atoms": m.n_atoms, "electrons": m.n_electrons,
             "charge": m.charge, "spin_2S": m.spin} for m in mols]
    if json_out:
        print_json({"molecules": rows})
    else:
        print_table(f"{source}: {len(mols)} molecule(s)", list(rows[0]), [list(r.values()) for r in rows])


@app.command("convert")
def convert(
    source: Annotated[str, typer.Argument(help="Input file or SMILES string.")],
    out: Annotated[Path, typer.Argument(help="Output file: .xyz, .extxyz or .sdf.")],
    json_out: Annotated[bool, typer.Option("--json", metavar="", help="Print as JSON.")] = False,
) -> None:
    """Convert between formats (SMILES are embedded in 3D with ETKDG + MMFF94)."""
    from hohenberg.molecules.formats import read_molecules
    from hohenberg.molecules.sdf import write_sdf
    from hohenberg.molecules.xyz import write_xyz

    mols = read_molecules(source)
    suffix = out.suffix.lower()
    if suffix == ".sdf":
        write_sdf(mols, out)
    elif suffix in (".xyz", ".extxyz"):
        write_xyz(mols, out, extended=suffix == ".extxyz")
    else:
        raise InputError(out, "output format must be .xyz, .extxyz or .sdf")
    if json_out:
        print_json({"written": str(out), "molecules": len(mols)})
    else:
        print(f"wrote {len(mols)} molecule(s) to {out}")
