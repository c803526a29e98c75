"""Volumetric commands: ``hohenberg train volumetric`` and the ``evaluate`` of volumetric models.

``evaluate`` is one command for every model kind: a directory with a volumetric ``model.pt``
is measured on a store, any other on a table (graph models).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from hohenberg.cli.graph import _csv, _load_table, _print_errors
from hohenberg.cli.graph import evaluate as evaluate_graph
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
    from hohenberg.volumetric.run import VolumetricRunConfig
    from hohenberg.volumetric.run import train_volumetric as run

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
        from hohenberg.pretrained import grid_model_dir

        return f"hkmap:{grid_model_dir('hkmap')}"
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


def evaluate(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="A directory written by `train graph` or "
                                                                      "`train volumetric`.")],
    data: Annotated[Path, typer.Argument(metavar="TABLE_OR_STORE", help="Graph models: a table (.npz). Volumetric "
                                                                      "models: a store (with --table).")],
    table_path: Annotated[Optional[Path], typer.Option("--table", help="Volumetric models: the table with the "
                                                                       "targets.")] = None,
    split: Annotated[str, typer.Option(help="test | val | train | all (the model's own split seed and sizes).")] = "test",
    tta: Annotated[int, typer.Option(help="Volumetric models: average over this many random rotations.")] = 1,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for evaluation.json, parity.png, predictions.csv.")] = None,
    cache: Annotated[Optional[Path], typer.Option("--cache-dir", "--cache", help="Graph models: graph cache folder (default: TABLE.graphs/).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Measure a trained model: MAE/RMSE per target (meV for energies)."""
    from hohenberg.training.checkpoint import load_model_file

    kind = load_model_file(model_dir / "model.pt").kind if (model_dir / "model.pt").is_file() else "graph"
    if kind == "hkmap":
        return _evaluate_hkmap(model_dir, data, split, out, json_out)
    if kind != "volumetric":
        return evaluate_graph(model_dir, data, split=split, out=out, cache=cache, json_out=json_out)
    from hohenberg.volumetric.run import evaluate_volumetric

    if data.is_file():  # a table: a model whose channels are rendered from the atoms
        table_path, data_store = table_path or data, None
    elif table_path is None:
        raise InputError(model_dir, "a volumetric model is evaluated on a store; give the targets' table with --table")
    else:
        data_store = data
    summary = evaluate_volumetric(model_dir, data_store, _load_table(table_path), split, tta, out)
    summary = {"model_dir": str(model_dir), "store": str(data), **summary}
    if json_out:
        print_json(summary)
        return
    _print_errors(f"3D CNN on {data} ({split}, n={summary['n_test']}, {tta} rotation(s))", summary["test_errors"])


def _evaluate_hkmap(model_dir: Path, store: Path, split: str, out: Optional[Path], json_out: bool) -> None:
    """``evaluate`` for a Hohenberg-Kohn map: NMAE and dipole error on a part of its own split."""
    from hohenberg.hkmap.run import evaluate_split

    summary = {"model_dir": str(model_dir), "store": str(store), **evaluate_split(model_dir, store, split, out)}
    if json_out:
        print_json(summary)
        return
    n, p = summary["test_nmae_percent"], summary["promolecule_nmae_percent"]
    print_table(f"Hohenberg-Kohn map on {store} ({split}, n={summary['n_test']})", ["", "model", "promolecule"],
                [("NMAE mean (%)", n["mean"], p["mean"]), ("NMAE median (%)", n["median"], p["median"])])


def predict_volumetric_cli(model_dir: Path, molecules: list, density: str, tta: int, out: Optional[Path],
                           json_out: bool, name: Optional[str] = None) -> None:
    """``hohenberg predict MODEL_DIR INPUT...`` for a volumetric model: prints what the work behind
    it (:func:`hohenberg.volumetric.predict.predict_volumetric`) returns."""
    from hohenberg.volumetric.predict import predict_volumetric

    if not molecules:
        raise InputError(None, "no molecules to predict")
    res = predict_volumetric(model_dir, molecules, density, tta)
    records = []
    for i, mol in enumerate(molecules):
        rec = {"name": mol.name, "formula": mol.formula, "geometry": mol.info.get("geometry", "input")}
        for j, t in enumerate(res["targets"]):
            rec[t] = float(res["mean"][i, j])
            rec[f"{t}_rotation_std"] = float(res["std"][i, j]) if tta > 1 else None
        records.append(rec)
    payload = {"model": name or str(model_dir), "model_type": "volumetric", "channels": res["channels"],
               "density_source": res["density_source"], "tta": tta,
               "uncertainty": "none (one model); with --tta N the spread over N orientations is given, not calibrated",
               "molecules": records}
    if out is not None:
        from hohenberg.fileio import write_records_csv

        write_records_csv(out, records)
    if json_out:
        print_json(payload)
        return
    for rec in records[:10]:
        print_table(f"{rec['name'] or rec['formula']} ({rec['formula']}); geometry: {rec['geometry']}",
                    ["target", "value", "unit"],
                    [(t.rsplit("_", 1)[0], f"{rec[t]:.4f}", t.rsplit("_", 1)[-1]) for t in res["targets"]])
    console.print(f"inputs: {', '.join(res['channels'])}; {res['density_source']}", highlight=False)
    if len(records) > 10:
        console.print(f"... {len(records) - 10} more molecules: use --out FILE.csv or --json")
