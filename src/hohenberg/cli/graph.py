"""``hohenberg train graph`` (``predict`` and ``evaluate`` serve every family: :mod:`hohenberg.cli.models`).

The functions are plain typer commands; ``hohenberg.cli.main`` registers them.  Every command
that prints numbers takes ``--json`` (same numbers, units in the keys).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from hohenberg.cli.output import console, err_console, print_json, print_table
from hohenberg.configs import field_defaults
from hohenberg.errors import InputError
from hohenberg.graph.config import GraphRunConfig

# Training defaults come from the library's configuration, so command and library cannot drift apart.
# Read without building the model configuration, whose module imports torch.
_TRAIN = field_defaults(GraphRunConfig, "train").train
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
    from hohenberg.models.metrics import report_unit, target_label

    rows = []
    for t, e in errors.items():
        unit = report_unit(t)[0]
        rows.append((target_label(t), unit, e[f"mae_{unit}"], e[f"rmse_{unit}"], e["n"]))
    print_table(title, ["target", "unit", "MAE", "RMSE", "n"], rows)


def _print_attention(att: dict) -> None:
    print_table("attention over views (test molecules)", ["view", "mean weight", "std", "fraction top"],
                [(v, a["mean_weight"], a["std_weight"], a["fraction_top"]) for v, a in att.items()])
