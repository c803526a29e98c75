"""Graph-model commands: ``hohenberg train graph``, ``hohenberg evaluate``, ``hohenberg predict``.

The functions are plain typer commands; ``hohenberg.cli.main`` registers them.  Every command
that prints numbers takes ``--json`` (same numbers, units in the keys).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from hohenberg.cli.output import console, err_console, print_json, print_table
from hohenberg.errors import InputError
from hohenberg.graph.run import GraphRunConfig
from hohenberg.models.metrics import report_unit, target_label
from hohenberg.molecules.geometry_source import DESCRIPTIONS

# Training defaults come from the library's configuration, so command and library cannot drift apart.
_TRAIN = GraphRunConfig().train
JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]


def _csv(value: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in value.split(",") if s.strip())


def _load_table(path: Path):
    from hohenberg.molecules.table import MoleculeTable

    if not path.is_file():
        raise InputError(path, "no such table file")
    return MoleculeTable.load(path)


def train_graph(
    table_path: Annotated[Path, typer.Argument(metavar="TABLE", help="A molecule table (.npz): QM9's, or your own "
                                                                    "from `data import` / `data from-store`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")],
    model: Annotated[str, typer.Option(help="mpnn | gin | schnet | attention | pyg-schnet | pyg-dimenet++")] = "gin",
    features: Annotated[str, typer.Option(help="Atom feature set: element | basic | gasteiger | gilmer.")] = "gasteiger",
    views: Annotated[str, typer.Option(help="Comma-separated graph views: bond, radius, complete "
                                            "(several only with --model attention).")] = "bond",
    targets: Annotated[str, typer.Option(help="Comma-separated targets, unit in the name, or 'all' (every target of "
                                              "the table; QM9: its 13).")] = "all",
    extensive: Annotated[Optional[str], typer.Option(help="Comma-separated targets that grow with the molecule (read out "
                                                          "atom-wise); default: QM9's, and energies by name.")] = None,
    encoder: Annotated[str, typer.Option(help="Encoder of every view for --model attention: mpnn | gin | schnet.")] = "schnet",
    selection: Annotated[str, typer.Option(help="--model attention: soft (mix) or hard (learned selection).")] = "soft",
    hidden: Annotated[int, typer.Option(help="Hidden width.")] = 128,
    layers: Annotated[int, typer.Option(help="Message-passing layers (steps).")] = 4,
    readout: Annotated[str, typer.Option(help="MPNN readout: set2set | sum.")] = "set2set",
    cutoff: Annotated[float, typer.Option(help="Radius-view and PyG-baseline cutoff (Angstrom).")] = 5.0,
    bond_lengths: Annotated[Optional[bool], typer.Option("--bond-lengths/--no-bond-lengths", metavar="", help="Bond view: add a radial basis of each bond's length to its features (default: on for the bond view).")] = None,
    atomwise: Annotated[Optional[bool], typer.Option("--atomwise/--no-atomwise", metavar="", help="Read extensive targets (energies, zpve, Cv) out as sums of atom contributions (default: on for mpnn/gin/schnet/attention).")] = None,
    environment: Annotated[Optional[bool], typer.Option("--environment/--no-environment", metavar="", help="mpnn/gin/schnet: append each atom's radial environment (neighbours by element within --cutoff) to its features (default: on for these).")] = None,
    n_train: Annotated[Optional[int], typer.Option(help="Training molecules (random subset of the train split).")] = None,
    n_val: Annotated[Optional[int], typer.Option(help="Validation molecules (subset of the val split).")] = None,
    n_test: Annotated[Optional[int], typer.Option(help="Test molecules (subset of the test split).")] = None,
    epochs: Annotated[int, typer.Option("--max-epochs", "--epochs", help="Maximum epochs.")] = _TRAIN.max_epochs,
    max_time: Annotated[Optional[float], typer.Option(help="Wall-clock budget per ensemble member (s).")] = None,
    patience: Annotated[int, typer.Option(help="Early stopping: epochs without validation improvement.")] = _TRAIN.patience,
    batch_size: Annotated[int, typer.Option(help="Molecules per batch.")] = _TRAIN.batch_size,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = _TRAIN.lr,
    lr_schedule: Annotated[str, typer.Option(help="cosine (warm-up, then decay over --max-epochs) | plateau (halve when validation stalls).")] = _TRAIN.lr_schedule,
    ensemble: Annotated[int, typer.Option(help="Ensemble members (seeds seed..seed+N-1); >= 2 gives uncertainties.")] = 1,
    member: Annotated[Optional[int], typer.Option(help="Train only member K of the ensemble (run several in parallel; "
                                                       "a final run without --member tests them all).")] = None,
    graph_workers: Annotated[int, typer.Option(help="Processes that build the graphs of the table (once; then cached).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the first member.")] = 0,
    split: Annotated[str, typer.Option(help="auto (QM9: standard, else random) | standard | random | scaffold | "
                                            "a JSON file of id lists {train, val, test}.")] = "auto",
    split_seed: Annotated[int, typer.Option(help="Seed of the split.")] = 0,
    accelerator: Annotated[str, typer.Option(help="Lightning accelerator: auto | cpu | gpu.")] = "auto",
    devices: Annotated[str, typer.Option(help="Lightning devices (auto, or a number).")] = "auto",
    strategy: Annotated[str, typer.Option(help="Lightning strategy (auto, ddp, ...).")] = "auto",
    cache: Annotated[Optional[Path], typer.Option("--cache-dir", "--cache", help="Graph cache folder (default: TABLE.graphs/ beside the table).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", metavar="", help="Ignore checkpoints in OUT; do not resume.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Train a graph model (or an ensemble) on any molecule table; writes weights, split, metrics, parity and learning curves."""
    from hohenberg.datasets.splits import resolve_kind
    from hohenberg.datasets.targets import table_targets
    from hohenberg.graph.models import GraphModelConfig
    from hohenberg.graph.run import GraphRunConfig, train_graph_model
    from hohenberg.training.lightning_module import SCHEDULES
    from hohenberg.training.trainer import TrainConfig

    table = _load_table(table_path)
    # defaults: the best configuration measured (docs/notes/qm9-model.md), where the model takes it
    ours = model in ("mpnn", "gin", "schnet")
    environment = ours if environment is None else environment
    atomwise = (ours or model == "attention") if atomwise is None else atomwise
    bond_lengths = ("bond" in _csv(views)) if bond_lengths is None else bond_lengths
    try:
        mcfg = GraphModelConfig(model=model, features=features, views=_csv(views),
                                targets=table_targets(table) if targets == "all" else _csv(targets),
                                extensive=None if extensive is None else _csv(extensive),
                                hidden=hidden, layers=layers, readout=readout, encoder=encoder,
                                selection=selection, cutoff=cutoff, bond_lengths=bond_lengths,
                                extensive_readout="atomwise" if atomwise else "pooled", environment=environment)
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    missing = [t for t in mcfg.targets if t not in table.properties]
    if missing:
        raise InputError(table_path, f"table has no column(s) {', '.join(missing)}")
    if lr_schedule not in SCHEDULES:
        raise InputError(None, f"--lr-schedule must be one of {', '.join(SCHEDULES)}, not {lr_schedule!r}")
    if member is not None and not 0 <= member < ensemble:
        raise InputError(None, f"--member must be between 0 and --ensemble - 1 ({ensemble - 1}), not {member}")
    tcfg = TrainConfig(max_epochs=epochs, max_time_s=max_time, patience=patience, batch_size=batch_size, lr=lr,
                       lr_schedule=lr_schedule, seed=seed, accelerator=accelerator, devices=int(devices) if devices.isdigit() else devices,
                       strategy=strategy)
    resolve_kind(table, split)
    run = GraphRunConfig(mcfg, tcfg, n_train, n_val, n_test, split_seed, ensemble, split)
    cache_dir = cache if cache is not None else table_path.with_name(table_path.name + ".graphs")
    summary = train_graph_model(table, run, out, cache_dir, resume=not fresh,
                                log=(lambda s: None) if json_out else (lambda s: err_console.print(s, highlight=False)),
                                only_member=member, graph_workers=graph_workers)
    if member is not None:
        if json_out:
            print_json(summary)
        else:
            f = summary["fit"]
            console.print(f"member {member}: {f['epochs']} epochs, {f['wall_s']:.0f} s, best val_loss "
                          f"{f['best_val_loss']:.4f}; wrote {out}/member_{member}.pt")
        return
    if json_out:
        print_json(summary)
        return
    _print_errors(f"{model} ({'+'.join(mcfg.views)}, {features}): test split, "
                  f"train {summary['provenance']['split_sizes']['train']}", summary["test_errors"])
    console.print(f"throughput {summary['train_molecules_per_s']:.0f} molecules/s; wrote {out}/model.json, "
                  f"parity.png, learning_curve.png")
    if "attention" in summary:
        _print_attention(summary["attention"])


def _print_errors(title: str, errors: dict) -> None:
    rows = []
    for t, e in errors.items():
        unit = report_unit(t)[0]
        rows.append((target_label(t), unit, e[f"mae_{unit}"], e[f"rmse_{unit}"], e["n"]))
    print_table(title, ["target", "unit", "MAE", "RMSE", "n"], rows)


def _print_attention(att: dict) -> None:
    print_table("attention over views (test molecules)", ["view", "mean weight", "std", "fraction top"],
                [(v, a["mean_weight"], a["std_weight"], a["fraction_top"]) for v, a in att.items()])


def evaluate(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="A directory written by `train graph`.")],
    table_path: Annotated[Path, typer.Argument(metavar="TABLE", help="A table with the model's targets (.npz).")],
    split: Annotated[str, typer.Option(help="test | val | train | all: rows of TABLE to evaluate "
                                            "(the ids of the model's own split, split.json).")] = "test",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder for evaluation.json, parity.png, predictions.csv.")] = None,
    cache: Annotated[Optional[Path], typer.Option("--cache-dir", "--cache", help="Graph cache folder (default: TABLE.graphs/).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Measure a trained graph model on a table: MAE/RMSE per target (meV for energies)."""
    from hohenberg.graph.dataset import table_graphs
    from hohenberg.graph.run import (attention_summary, evaluation_rows, load_members, predict_ensemble, views_needed,
                                     write_predictions)
    from hohenberg.models.metrics import error_summary

    cfg, members, provs = load_members(model_dir)
    table = _load_table(table_path)
    missing = [t for t in cfg.targets if t not in table.properties]
    if missing:
        raise InputError(table_path, f"table has no column(s) {', '.join(missing)}")
    rows = evaluation_rows(model_dir, table, split, provs[0])
    ds, _ = table_graphs(table, rows, cfg.cutoff,
                         cache if cache is not None else table_path.with_name(table_path.name + ".graphs"))
    ds = ds.select(cfg.features, cfg.targets, views_needed(cfg), cfg.elements)
    pred = predict_ensemble(members, ds)
    y = ds._data.y.numpy()
    errors = {t: error_summary(t, y[:, j], pred["mean"][:, j]) for j, t in enumerate(cfg.targets)}
    payload = {"model_dir": str(model_dir), "table": str(table_path), "split": split, "n_molecules": int(len(rows)),
               "ensemble": len(members), "model": cfg.to_dict(), "errors": errors}
    if pred["attention"] is not None:
        payload["attention"] = attention_summary(pred["attention"], cfg.views)
    if out is not None:
        from hohenberg.fileio import atomic_write
        from hohenberg.reports.figures import target_parity

        atomic_write(out / "evaluation.json", json.dumps(payload, indent=2))
        write_predictions(out / "predictions.csv", ds.provenance["ids"], cfg.targets, pred, y)
        target_parity(out / "parity.png", cfg.targets, y, pred["mean"],
                      title=f"{cfg.model}: {table_path.name} ({split}, n={len(rows)})")
    if json_out:
        print_json(payload)
        return
    _print_errors(f"{cfg.model} on {table_path.name} ({split}, n={len(rows)}, ensemble {len(members)})", errors)
    if "attention" in payload:
        _print_attention(payload["attention"])


def predict(
    inputs: Annotated[list[str], typer.Argument(metavar="[MODEL_DIR] INPUT...",
                                                help="SMILES strings or molecule files (.xyz, .extxyz, .sdf, .smi), "
                                                     "optionally after a model directory from `train graph`.")],
    model: Annotated[str, typer.Option("--model", "-m", help="A shipped model (qm9: graph ensemble; "
                                                             "qm9-promolecule-cnn: 3D CNN, no SCF) or a model "
                                                             "directory.")] = "qm9",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the predictions as CSV here.")] = None,
    workers: Annotated[int, typer.Option(help="Processes that build molecule graphs (for many molecules).")] = 1,
    density: Annotated[str, typer.Option(help="Volumetric models that read a density: 'scf' (computed at the "
                                              "training store's level), 'hkmap' (predicted by the shipped map, no SCF) or "
                                              "'hkmap:MODEL_DIR'.")] = "scf",
    tta: Annotated[int, typer.Option(help="Volumetric models: average over this many random orientations.")] = 1,
    geometry: Annotated[str, typer.Option(help="Where 3D geometries come from: auto (keep given ones; SMILES get "
                                               "ETKDG + MMFF94, then GFN2-xTB) | xtb (relax every molecule with "
                                               "GFN2-xTB) | mmff (SMILES: ETKDG + MMFF94 only) | given (refuse "
                                               "SMILES).")] = "auto",
    json_out: JsonOpt = False,
) -> None:
    """Predict properties with calibrated uncertainty: the shipped QM9 model (13 targets) by default;
    or a model directory from `train graph` or `train volumetric`."""
    from pathlib import Path as _Path

    if len(inputs) >= 2 and _Path(inputs[0]).is_dir():
        model, inputs = inputs[0], inputs[1:]
    if workers < 1:
        raise InputError(None, f"--workers must be at least 1, not {workers}")
    if tta < 1:
        raise InputError(None, f"--tta must be at least 1, not {tta}")
    from hohenberg.qc.geometry import GEOMETRIES, prepare_molecules

    if geometry not in GEOMETRIES:
        raise InputError(None, f"--geometry must be one of {', '.join(GEOMETRIES)}, not {geometry!r}")
    from hohenberg.pretrained import SHIPPED_GRID, as_molecules, grid_model_dir, load_model

    if model in SHIPPED_GRID or (_Path(model) / "model.pt").is_file():  # a volumetric model
        from hohenberg.cli.volumetric import predict_volumetric_cli

        mols = [m for source in inputs for m in as_molecules(source)]
        shipped = f"{model} (ships with the package)" if model in SHIPPED_GRID else None
        return predict_volumetric_cli(grid_model_dir(model), mols, density, tta, out, json_out, shipped)

    predictor = load_model(model)
    items = []
    for source in inputs:
        got = prepare_molecules(source, geometry, source)
        if not got:
            raise InputError(source, "no molecules")
        items += got
    records = predictor.predict_records(items, workers=workers, geometry=geometry)
    targets = predictor.targets
    members = len(predictor.predictor.members)
    warnings = []
    if members < 2:
        warnings.append("single-member model: no uncertainty (train with --ensemble N, N >= 2)")
    calibrated = bool(predictor.predictor.calibration)
    payload = {
        "model": str(model), "model_type": predictor.predictor.config.model, "ensemble": members,
        "uncertainty": ("calibrated standard deviation (validation split), same unit as the value" if calibrated
                        else "standard deviation over ensemble members (same unit as the value), not calibrated"),
        "energies": predictor.card.get("energies", ""), "warnings": warnings,
        "molecules": records,
    }
    if out is not None:
        from hohenberg.fileio import write_records_csv

        write_records_csv(out, [{**r, "warnings": "; ".join(r["warnings"])} for r in records])
    for w in warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    answered = sum(1 for r in records if not r["error"])
    if json_out:
        print_json(payload)
        _exit_if_none_answered(answered)
        return
    shown = payload["molecules"][:10]
    for mol in shown:
        if mol["error"]:
            console.print(f"[red]error:[/] {mol['name']} (geometry {mol['geometry']}): {mol['error']}", highlight=False)
            continue
        rows = []
        for t in targets:
            sd = mol[f"{t}_std"]
            rows.append((target_label(t), f"{mol[t]:.4f}", f"± {sd:.4f}" if np.isfinite(sd) else "-", t.rsplit("_", 1)[-1]))
        print_table(f"{mol['name'] or mol['formula']} ({mol['formula']}); geometry: {mol['geometry']} "
                    f"({DESCRIPTIONS.get(mol['geometry'], mol['geometry'])})",
                    ["target", "value", "sigma", "unit"], rows)
        for w in mol["warnings"]:
            console.print(f"[yellow]outside the training domain:[/] {w}", highlight=False)
    if len(payload["molecules"]) > len(shown):
        console.print(f"... {len(payload['molecules']) - len(shown)} more molecules: use --out FILE.csv or --json")
    if payload["energies"]:
        console.print(payload["energies"], highlight=False)
    failed = [r for r in payload["molecules"][len(shown):] if r["error"]]
    for mol in failed:  # failures beyond the first ten are still each named
        console.print(f"[red]error:[/] {mol['name']} (geometry {mol['geometry']}): {mol['error']}", highlight=False)
    console.print(f"model {model}: {payload['model_type']}, ensemble of {members}; sigma: {payload['uncertainty']}",
                  highlight=False)
    _exit_if_none_answered(answered)


def _exit_if_none_answered(answered: int) -> None:
    """Exit status 1 when no molecule got a prediction (each failure was printed with its reason)."""
    if not answered:
        err_console.print("error: no molecule could be given a geometry, so none was predicted", highlight=False)
        raise typer.Exit(1)
