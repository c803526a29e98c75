"""Hohenberg-Kohn map commands: ``hohenberg train hkmap`` and ``hohenberg predict-density``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from hohenberg.cli.output import console, print_json, print_table
from hohenberg.configs import field_defaults
from hohenberg.errors import HohenbergError, InputError
from hohenberg.hkmap.config import HKRunConfig

# Defaults come from the library's configuration, so the command and the library cannot drift apart.
# Read without building the model configuration, whose module imports torch.
_RUN = field_defaults(HKRunConfig, "train")
JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]


def train_hkmap(
    store: Annotated[Path, typer.Argument(metavar="STORE", help="A store of SCF density grids (`hohenberg qc batch`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")],
    inputs: Annotated[str, typer.Option("--inputs", "--input", help="Input grid: promolecule | potential | both.")] = "promolecule",
    target: Annotated[str, typer.Option(help="delta (SCF minus promolecule) | ratio (SCF over "
                                                         "promolecule, as a log) | density.")] = "delta",
    split: Annotated[Optional[Path], typer.Option(help="JSON id lists train (or train*), val, test; default: "
                                                       "a seeded 80/10/10 split of the store.")] = None,
    n_train: Annotated[Optional[int], typer.Option(help="Training molecules (the first N of the split's list).")] = None,
    n_val: Annotated[int, typer.Option(help="Validation molecules (early stopping).")] = _RUN.n_val,
    n_test: Annotated[Optional[int], typer.Option(help="Test molecules (default: all in the store).")] = None,
    size: Annotated[int, typer.Option(help="Input view points per axis.")] = 48,
    spacing: Annotated[float, typer.Option(help="Input view spacing (Angstrom).")] = 0.3,
    out_size: Annotated[Optional[int], typer.Option(help="Output view points per axis (super-resolution; "
                                                         "default: the input's).")] = None,
    out_spacing: Annotated[Optional[float], typer.Option(help="Output view spacing (Angstrom).")] = None,
    widths: Annotated[str, typer.Option(help="Encoder channels per stage.")] = "16,32,48",
    stem_width: Annotated[int, typer.Option(help="Channels at full resolution.")] = 8,
    depth: Annotated[int, typer.Option(help="Residual blocks per encoder stage.")] = 1,
    max_epochs: Annotated[int, typer.Option("--max-epochs", "--epochs", help="Maximum epochs.")] = _RUN.train.max_epochs,
    epoch_size: Annotated[int, typer.Option(help="Training molecules drawn per epoch (0: all).")] = _RUN.epoch_size or 0,
    max_time: Annotated[Optional[float], typer.Option(help="Wall-clock budget of the fit (s).")] = None,
    batch_size: Annotated[int, typer.Option(help="Molecules per batch.")] = _RUN.train.batch_size,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = _RUN.train.lr,
    patience: Annotated[int, typer.Option(help="Early stopping: epochs without validation improvement.")] = _RUN.train.patience,
    augment: Annotated[bool, typer.Option(metavar="", help="A random rigid motion (--motions) per sample and epoch.")] = _RUN.augment,
    motions: Annotated[str, typer.Option(help="Augmentation: lattice (the grid's 48 symmetries, whole-voxel "
                                              "shifts; targets exact) | rotation (uniform on SO(3), continuous "
                                              "shifts; targets interpolated).")] = _RUN.motions,
    test_symmetries: Annotated[int, typer.Option(help="Test predictions averaged over this many of the grid's "
                                                      "48 cube symmetries (1, 8 and 48 are subgroups).")] = _RUN.test_symmetries,
    threads: Annotated[Optional[int], typer.Option(help="Torch CPU threads.")] = None,
    accelerator: Annotated[str, typer.Option(help="Lightning accelerator: auto | cpu | gpu.")] = "auto",
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", "--cache", help="Promolecule grid cache (default STORE/.cache/promolecule).")] = None,
    seed: Annotated[int, typer.Option(help="Seed (initialisation, batches, rotations).")] = 0,
    init_from: Annotated[Optional[Path], typer.Option(help="Warm start from this model directory's weights (same "
                                                            "architecture; added input channels start at zero).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", metavar="", help="Ignore checkpoints in OUT; do not resume.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """3D U-Net from a cheap grid (promolecule / potential) to the SCF density; test NMAE vs the promolecule."""
    import torch

    from hohenberg.hkmap.model import INPUTS, HKConfig
    from hohenberg.hkmap.run import MOTIONS, HKRunConfig, train_hkmap as run
    from hohenberg.training.trainer import TrainConfig
    from hohenberg.volumetric.data import ViewConfig
    from hohenberg.volumetric.networks import EncoderConfig

    if inputs not in INPUTS:
        raise InputError(None, f"--input {inputs!r}: choose promolecule, potential or both")
    if motions not in MOTIONS:
        raise InputError(None, f"--motions must be one of {', '.join(MOTIONS)}, not {motions!r}")
    if threads:
        torch.set_num_threads(threads)
    try:
        enc = EncoderConfig(arch="residual", widths=tuple(int(w) for w in widths.split(",")), stem_width=stem_width,
                            depth=depth)
        model = HKConfig(encoder=enc, view=ViewConfig(channels=INPUTS[inputs], size=size, spacing=spacing,
                                                      max_shift=0.3), target=target, out_size=out_size,
                         out_spacing=out_spacing)
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    try:
        cfg = HKRunConfig(model=model, n_train=n_train, n_val=n_val, n_test=n_test, epoch_size=epoch_size or None,
                          augment=augment, motions=motions, test_symmetries=test_symmetries,
                          init_from=str(init_from) if init_from else None,
                          split_file=str(split) if split else None, cache_dir=str(cache_dir) if cache_dir else None,
                          train=TrainConfig(max_epochs=max_epochs, max_time_s=max_time, batch_size=batch_size, lr=lr,
                                            patience=patience, seed=seed, accelerator=accelerator,
                                            devices=1 if accelerator == "cpu" else "auto"))
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    summary = run(store, cfg, out, resume=not fresh, log=(lambda s: None) if json_out else console.print)
    if json_out:
        print_json(summary)
        return
    t, p = summary["test_nmae_percent"], summary["promolecule_nmae_percent"]
    print_table(f"Hohenberg-Kohn map, {summary['n_test']} test molecules", ["metric", "model", "promolecule"],
                [("NMAE mean (%)", t["mean"], p["mean"]), ("NMAE median (%)", t["median"], p["median"]),
                 ("dipole MAE (D)", summary["dipole_mae_D"], summary["promolecule_dipole_mae_D"])])
    console.print(f"model: {out / 'model.pt'}; curves {out / 'learning_curve.png'}; slice {out / 'density_slice.png'}")


def predict_density(
    args: Annotated[list[str], typer.Argument(metavar="[MODEL_DIR] MOLECULE",
                                              help="xyz / sdf file or a SMILES string, optionally after a model "
                                                   "directory from `hohenberg train hkmap` (default: the Hohenberg-"
                                                   "Kohn map that ships with the package).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Cube file to write (electrons/bohr^3).")],
    symmetries: Annotated[int, typer.Option(help="Average the prediction over this many of the grid's 48 cube "
                                                 "symmetries (1, 8 and 48 are subgroups).")] = 1,
    png: Annotated[Optional[Path], typer.Option("--png", help="Also draw mid-plane slices (PNG) here: predicted, "
                                                              "promolecule and their difference.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Predict the SCF density of a molecule (no SCF) on the model's grid (grown for a larger
    molecule); write a cube file."""
    from hohenberg.families import load_model
    from hohenberg.molecules.cube import write_cube
    from hohenberg.molecules.formats import read_molecules

    from hohenberg.hkmap.symmetry import check_n_ops

    try:
        check_n_ops(symmetries, "--symmetries")
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    if len(args) not in (1, 2):
        raise InputError(None, f"give [MODEL_DIR] MOLECULE, not {len(args)} arguments")
    predictor = load_model(args[0] if len(args) == 2 else "hkmap")
    if predictor.kind != "hkmap":
        raise InputError(args[0], f"a {predictor.kind} model, not a Hohenberg-Kohn map (train one with `hohenberg train hkmap`)")
    source = args[-1]
    mols = read_molecules(source)
    if len(mols) != 1:
        raise InputError(source, f"holds {len(mols)} molecules; predict-density takes one")
    mol = mols[0]
    try:
        grid, rho, pro, details = predictor.density(mol, symmetries)
    except InputError as exc:
        from hohenberg.cli.models import with_flags

        raise with_flags(exc, ["symmetries"]) from None
    except HohenbergError as exc:  # e.g. an element without promolecule table, or a molecule larger than the box
        raise InputError(source, str(exc)) from None
    write_cube(out, mol, grid, rho, comment=f"Hohenberg-Kohn map density, electrons/bohr^3, {predictor.path}")
    report = {"out": str(out), "model": str(args[0]) if len(args) == 2 else "hkmap (ships with the package)",
              **details, "trained_level": predictor.provenance.get("store_config", {}).get("level")}
    if png is not None:
        from hohenberg.reports.slices import slice_panels

        report["png"] = str(slice_panels(png, {"predicted density (e/bohr^3)": rho, "promolecule": pro,
                                               "predicted - promolecule": rho - pro},
                                         title=f"{mol.name or mol.formula} ({mol.formula}), Hohenberg-Kohn map, "
                                               "mid plane"))
    if json_out:
        print_json(report)
    else:
        print_table("predicted density", ["", "value"], list(report.items()))
