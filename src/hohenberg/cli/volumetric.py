"""``hohenberg train volumetric`` (``predict`` and ``evaluate`` serve every family: :mod:`hohenberg.cli.models`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from hohenberg.cli.graph import _csv, _load_table
from hohenberg.cli.output import console, print_json, print_table
from hohenberg.configs import field_defaults
from hohenberg.errors import InputError
from hohenberg.volumetric.config import VolumetricRunConfig

# Defaults come from the library's configuration, so the command and the library cannot drift apart.
# Read without building the model configuration, whose module imports torch.
_RUN = field_defaults(VolumetricRunConfig, "train")
JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]


def _read_config(path: Path) -> dict:
    """A JSON or TOML file: ``{"encoder": {...}, "view": {...}, "targets": [...], ...}``."""
    if not path.is_file():
        raise InputError(path, "no such config file")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            import tomllib

            return tomllib.loads(text)
        return json.loads(text)
    except ValueError as exc:
        raise InputError(path, f"not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}") from None


def train_volumetric(
    store: Annotated[Path, typer.Argument(metavar="STORE_OR_TABLE", help="A store of density grids (`hohenberg qc "
                                                                        "batch`), or a molecule table (.npz) for "
                                                                        "promolecule/potential inputs (no store).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")],
    table_path: Annotated[Optional[Path], typer.Option("--table", help="The molecule table with the targets (.npz; "
                                                                       "default: STORE_OR_TABLE when a table).")] = None,
    arch: Annotated[str, typer.Option(help="plain | residual | resse | inception-se.")] = "resse",
    config: Annotated[Optional[Path], typer.Option(help="JSON/TOML model config (encoder, view, targets, head); "
                                                        "command-line options override it.")] = None,
    inputs: Annotated[Optional[str], typer.Option("--inputs", "--input", help="Input channels: density, promolecule, potential "
                                                       "(comma-separated).")] = None,
    targets: Annotated[Optional[str], typer.Option(help="Comma-separated targets, or 'all' (the 13).")] = None,
    widths: Annotated[Optional[str], typer.Option(help="Channels per stage, e.g. 16,32,64,96.")] = None,
    size: Annotated[Optional[int], typer.Option(help="View grid points per axis.")] = None,
    spacing: Annotated[Optional[float], typer.Option(help="View grid spacing (Angstrom).")] = None,
    orientation: Annotated[Optional[str], typer.Option(help="random (stored frame; uniform SO(3) when augmenting) | "
                                                            "principal (principal axes; sign flips when augmenting)")] = None,
    n_train: Annotated[Optional[int], typer.Option(help="Training molecules (nested random subset).")] = None,
    n_val: Annotated[Optional[int], typer.Option(help="Validation molecules.")] = None,
    n_test: Annotated[Optional[int], typer.Option(help="Test molecules.")] = None,
    epochs: Annotated[int, typer.Option("--max-epochs", "--epochs", help="Maximum epochs.")] = _RUN.train.max_epochs,
    max_time: Annotated[Optional[float], typer.Option(help="Wall-clock budget (s).")] = None,
    patience: Annotated[int, typer.Option(help="Early stopping: epochs without validation improvement.")] = _RUN.train.patience,
    batch_size: Annotated[int, typer.Option(help="Molecules per batch (see --max-memory).")] = _RUN.train.batch_size,
    max_memory: Annotated[Optional[str], typer.Option(help="Memory budget, e.g. 4G: picks the batch size.")] = None,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = _RUN.train.lr,
    lr_schedule: Annotated[str, typer.Option(help="plateau (halve when validation stalls) | cosine (warm-up, then "
                                                  "decay over --max-epochs: for a fixed budget).")] = _RUN.train.lr_schedule,
    precision: Annotated[str, typer.Option(help="32-true | bf16-mixed | 16-mixed (GPU).")] = "32-true",
    checkpointing: Annotated[bool, typer.Option("--checkpointing", metavar="", help="Gradient checkpointing per stage.")] = False,
    channels_last: Annotated[bool, typer.Option("--channels-last", metavar="", help="Channels-last 3D memory format.")] = False,
    density_from: Annotated[str, typer.Option("--density-from", help="The density channel: 'store' (the SCF "
                                                                    "density) | 'hkmap' (predicted by the shipped "
                                                                    "Hohenberg-Kohn map, no SCF) | 'hkmap:MODEL_DIR'.")] = "store",
    augment: Annotated[bool, typer.Option(metavar="", help="Random rotation + translation per sample and epoch.")] = _RUN.augment,
    tta: Annotated[int, typer.Option(help="Test time: average over this many random rotations.")] = _RUN.tta,
    workers: Annotated[int, typer.Option(help="DataLoader worker processes (augmentation runs there).")] = 0,
    seed: Annotated[int, typer.Option(help="Seed (initialisation, batches, rotations).")] = 0,
    split: Annotated[str, typer.Option(help="auto (QM9: standard, else random) | standard | random | scaffold | "
                                            "a JSON file of id lists.")] = "auto",
    split_seed: Annotated[int, typer.Option(help="Seed of the split.")] = 0,
    accelerator: Annotated[str, typer.Option(help="Lightning accelerator: auto | cpu | gpu.")] = "auto",
    devices: Annotated[str, typer.Option(help="Lightning devices (auto, or a number).")] = "auto",
    strategy: Annotated[str, typer.Option(help="Lightning strategy (auto, ddp, ...).")] = "auto",
    fresh: Annotated[bool, typer.Option("--fresh", metavar="", help="Ignore checkpoints in OUT; do not resume.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """3D CNN from density grids to the properties of any table; test MAE per target next to the per-element baseline."""
    from hohenberg.datasets.splits import resolve_kind
    from hohenberg.datasets.targets import table_targets
    from hohenberg.training.lightning_module import SCHEDULES
    from hohenberg.training.trainer import TrainConfig
    from hohenberg.volumetric.models import VolumetricModelConfig
    from hohenberg.families.volumetric import train as run
    from hohenberg.volumetric.run import VolumetricRunConfig

    d = _read_config(config) if config is not None else {}
    enc, view = dict(d.get("encoder", {})), dict(d.get("view", {}))
    enc["arch"] = arch if arch != "resse" or "arch" not in enc else enc["arch"]
    if widths:
        enc["widths"] = [int(w) for w in _csv(widths)]
    if checkpointing:
        enc["checkpoint"] = True
    if inputs:
        view["channels"] = list(_csv(inputs))
    if size:
        view["size"] = size
    if spacing:
        view["spacing"] = spacing
    if orientation:
        view["orientation"] = orientation
    d = {**d, "encoder": enc, "view": view}
    from_atoms = store.is_file()  # a table: channels rendered from its atoms, no store
    if table_path is None:
        if not from_atoms:
            raise InputError(store, "a store needs the table with the targets: give --table")
        table_path = store
    table = _load_table(table_path)
    if targets:
        d["targets"] = list(table_targets(table)) if targets == "all" else list(_csv(targets))
    if channels_last:
        d["channels_last"] = True
    try:
        mcfg = VolumetricModelConfig.from_dict(d)
    except (TypeError, ValueError) as exc:
        raise InputError(config, str(exc)) from None
    if lr_schedule not in SCHEDULES:
        raise InputError(None, f"--lr-schedule must be one of {', '.join(SCHEDULES)}, not {lr_schedule!r}")
    tcfg = TrainConfig(max_epochs=epochs, max_time_s=max_time, patience=patience, batch_size=batch_size, lr=lr,
                       lr_schedule=lr_schedule, seed=seed, accelerator=accelerator,
                       devices=int(devices) if devices.isdigit() else devices, strategy=strategy,
                       precision=precision, num_workers=workers)
    missing = [t for t in mcfg.targets if t not in table.properties]
    if missing:
        raise InputError(table_path, f"table has no column(s) {', '.join(missing)}")
    resolve_kind(table, split)
    cfg = VolumetricRunConfig(model=mcfg, train=tcfg, n_train=n_train, n_val=n_val, n_test=n_test,
                              split_seed=split_seed, split=split, augment=augment, tta=tta, max_memory=max_memory,
                              density_from=_density_from(density_from))
    log = (lambda s: None) if json_out else (lambda s: console.print(s, highlight=False))
    summary = run(None if from_atoms else store, table, cfg, out, resume=not fresh, log=log)
    if not summary:  # a DDP worker rank: rank 0 reports
        return
    if json_out:
        print_json(summary)
        return
    _print_comparison(summary)
    console.print(f"wrote {out}/model.json, parity.png, learning_curve.png")


def _density_from(value: str) -> str:
    if value == "store" or (value.startswith("hkmap:") and len(value) > 6):
        return value
    if value == "hkmap":
        from hohenberg.pretrained import model_path

        return f"hkmap:{model_path('hkmap')}"
    raise InputError(None, f"--density-from must be store, hkmap or hkmap:MODEL_DIR, not {value!r}")


def _print_comparison(summary: dict) -> None:
    from hohenberg.models.metrics import report_unit, target_label

    rows = []
    for t, e in summary["test_errors"].items():
        unit = report_unit(t)[0]
        base = summary["baseline_test_errors"][t][f"mae_{unit}"]
        rows.append((target_label(t), unit, e[f"mae_{unit}"], base, e[f"mae_{unit}"] / base))
    fit = summary["fit"]
    print_table(f"3D CNN {summary['model']['encoder']['arch']} ({'+'.join(summary['model']['view']['channels'])}), "
                f"test n={summary['n_test']}, {fit['epochs']} epochs, {fit['train_molecules_per_s']} molecules/s, "
                f"peak RSS {fit['peak_rss_bytes'] / 2**20:.0f} MiB",
                ["target", "unit", "MAE", "baseline MAE", "ratio"], rows)
