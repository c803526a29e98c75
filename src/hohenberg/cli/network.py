"""Networks of molecules on the command line: ``data network``, ``train pairs``, ``train network``,
and ``evaluate`` / ``predict`` of their models (``hohenberg.cli.main`` routes a model directory
written by ``train pairs`` / ``train network`` here).  Parses, calls :mod:`hohenberg.network.run`,
prints; ``--json`` gives the same numbers with units in the keys."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from hohenberg.cli.output import console, err_console, print_json, print_table
from hohenberg.configs import field_defaults
from hohenberg.errors import InputError
from hohenberg.network.config import NetRunConfig

# Training defaults come from the library's configuration, so command and library cannot drift apart.
# Read without building the model configuration, whose module imports torch.
_TRAIN = field_defaults(NetRunConfig, "train").train

JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the results as JSON (units in the keys).")]


def _csv(value: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in value.split(",") if s.strip())


def _table(path: Path):
    from hohenberg.molecules.table import MoleculeTable

    return MoleculeTable.load(path)


def build_network(
    table_path: Annotated[Path, typer.Argument(metavar="TABLE", help="A molecule table (.npz).")],
    kind: Annotated[str, typer.Option(help="mmp (matched molecular pairs) | isomers (one bond edit, same formula).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Network file to write (.npz).")],
    max_variable: Annotated[int, typer.Option(help="mmp: heavy atoms of the exchanged fragment, at most.")] = 5,
    hydrogens: Annotated[bool, typer.Option("--hydrogens/--no-hydrogens", metavar="", help="mmp: hydrogen replacements too.")] = True,
    max_group: Annotated[Optional[int], typer.Option(help="Leave out groups (shared constant part / skeleton) with "
                                                          "more members than this (their cliques).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N molecules of the table.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """A network whose nodes are the table's molecules: matched molecular pairs or isomers (edges carry the change)."""
    import numpy as np

    from hohenberg.network.build import KINDS, network_statistics, table_network

    if kind not in KINDS:
        raise InputError(None, f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    table = _table(table_path)
    t0 = time.perf_counter()
    rows = None if limit is None else np.arange(min(limit, len(table)))
    net = table_network(table, kind, rows, max_variable, hydrogens, max_group,
                        progress=None if json_out else lambda i, n: err_console.print(f"{i}/{n} molecules", highlight=False))
    net.meta["table"] = str(table_path)
    path = net.save(out)
    stats = network_statistics(net)
    result = {"path": str(path), **stats, "time_s": round(time.perf_counter() - t0, 2),
              "file_size_MB": round(path.stat().st_size / 1e6, 2)}
    if json_out:
        print_json(result)
        return
    print_network_statistics(str(path), result)


def print_network_statistics(name: str, s: dict) -> None:
    print_table(f"{name}: {s['kind']} network", ["", "value"],
                [("rule", s["rule"]), ("nodes", s["nodes"]), ("edges", s["edges"]), ("components", s["components"]),
                 ("components with edges", s["components_with_edges"]), ("isolated nodes", s["isolated_nodes"]),
                 ("largest component (nodes)", s["largest_component_nodes"]),
                 ("degree mean / median / p90 / max",
                  f"{s['degree']['mean']:.2f} / {s['degree']['median']:g} / {s['degree']['p90']:g} / {s['degree']['max']}"),
                 ("transformations", s["transformations"])] + ([("time (s)", s["time_s"])] if "time_s" in s else []))
    print_table("degree distribution", ["degree", "nodes"], list(s["degree"]["histogram"].items()))
    if s["top_transformations"]:
        print_table("most frequent transformations", ["transformation", "edges"], list(s["top_transformations"].items()))


def network_info(path: Path, json_out: bool) -> None:
    """``data info`` of a network file."""
    from hohenberg.network.build import NetworkData, network_statistics

    s = network_statistics(NetworkData.load(path))
    if json_out:
        print_json(s)
    else:
        print_network_statistics(str(path), s)


# -- training ----------------------------------------------------------------------------------
def _run_config(targets, model, hidden, layers, features, epochs, patience, batch_size, lr, max_time, seed, ensemble,
                split, split_seed, n_train, n_val, n_test, pair_model="pair"):
    from hohenberg.graph.models import GraphModelConfig
    from hohenberg.network.run import NetRunConfig
    from hohenberg.training.trainer import TrainConfig

    try:
        mcfg = GraphModelConfig(model=model, features=features, views=("bond",), targets=_csv(targets), hidden=hidden,
                                layers=layers, readout="sum")
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    if model not in ("gin", "mpnn", "schnet"):
        raise InputError(None, f"--encoder must be gin, mpnn or schnet, not {model!r}")
    tcfg = TrainConfig(max_epochs=epochs, patience=patience, batch_size=batch_size, lr=lr, max_time_s=max_time,
                       seed=seed, accelerator="cpu", devices=1)
    return NetRunConfig(mcfg, tcfg, pair_model, split, split_seed, n_train, n_val, n_test, ensemble)


def _print_errors(title: str, errors: dict, prefix: str = "") -> None:
    from hohenberg.models.metrics import report_unit, target_label

    rows = []
    for t, e in errors.items():
        unit = report_unit(t)[0]
        rows.append((prefix + target_label(t), unit, e[f"mae_{unit}"], e[f"rmse_{unit}"], e["n"]))
    print_table(title, ["target", "unit", "MAE", "RMSE", "n"], rows)


_Table = Annotated[Path, typer.Option("--table", help="The molecule table the network was built from (.npz).")]
_Targets = Annotated[str, typer.Option("--target", "--targets", help="Comma-separated targets, e.g. U0_eV,homo_eV,gap_eV.")]
_Out = Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")]


def train_pairs(
    net_path: Annotated[Path, typer.Argument(metavar="NET", help="A network from `hohenberg data network`.")],
    table_path: _Table,
    targets: _Targets,
    out: _Out,
    model: Annotated[str, typer.Option("--model", help="pair (antisymmetric, shared encoder) | difference (m(B) - m(A) "
                                                       "of a single-molecule model) | cgr (condensed graph of reaction).")] = "pair",
    split: Annotated[str, typer.Option(help="random (pairs) | by-molecule (no molecule of a test pair in a training pair).")] = "random",
    encoder: Annotated[str, typer.Option(help="Graph encoder: gin | mpnn | schnet (bond view).")] = "gin",
    features: Annotated[str, typer.Option(help="Atom feature set: element | basic | gasteiger | gilmer.")] = "basic",
    hidden: Annotated[int, typer.Option(help="Hidden width.")] = 64,
    layers: Annotated[int, typer.Option(help="Message-passing layers.")] = 3,
    epochs: Annotated[int, typer.Option("--max-epochs", "--epochs", help="Maximum epochs.")] = _TRAIN.max_epochs,
    patience: Annotated[int, typer.Option(help="Early stopping patience (epochs).")] = _TRAIN.patience,
    batch_size: Annotated[int, typer.Option(help="Pairs (molecules for --model difference) per batch.")] = _TRAIN.batch_size,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = _TRAIN.lr,
    max_time: Annotated[Optional[float], typer.Option(help="Wall-clock budget per member (s).")] = None,
    ensemble: Annotated[int, typer.Option(help="Members (seeds seed..seed+N-1); >= 2 gives uncertainties.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the first member.")] = 0,
    split_seed: Annotated[int, typer.Option(help="Seed of the split.")] = 0,
    n_train: Annotated[Optional[int], typer.Option(help="Training pairs (random subset of the train part).")] = None,
    n_val: Annotated[Optional[int], typer.Option(help="Validation pairs.")] = None,
    n_test: Annotated[Optional[int], typer.Option(help="Test pairs.")] = None,
    cache: Annotated[Optional[Path], typer.Option("--cache-dir", "--cache", help="Graph cache folder (e.g. TABLE.graphs/); default: none.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Learn the change of properties across the network's pairs (e.g. isomerisation energies)."""
    from hohenberg.datasets.splits import PAIR_KINDS
    from hohenberg.network.build import NetworkData
    from hohenberg.network.pairs import PAIR_MODELS
    from hohenberg.network.run import train_pairs as run_train

    if model not in PAIR_MODELS:
        raise InputError(None, f"--model must be one of {', '.join(PAIR_MODELS)}, not {model!r}")
    if split not in PAIR_KINDS:
        raise InputError(None, f"--split must be one of {', '.join(PAIR_KINDS)}, not {split!r}")
    run = _run_config(targets, encoder, hidden, layers, features, epochs, patience, batch_size, lr, max_time, seed,
                      ensemble, split, split_seed, n_train, n_val, n_test, model)
    net, table = NetworkData.load(net_path), _table(table_path)
    summary = run_train(net, table, run, out, net_path.resolve(), table_path.resolve(), cache,
                        log=(lambda s: None) if json_out else (lambda s: err_console.print(s, highlight=False)))
    if json_out:
        print_json(summary)
        return
    _print_errors(f"{model} model, {net.kind} pairs, {split} split: test (train {summary['split_sizes']['train']} pairs)",
                  summary["test_errors"], "Δ")
    console.print(f"wrote {out}/model.json, split.json, member_*.pt")


def train_network(
    net_path: Annotated[Path, typer.Argument(metavar="NET", help="A network from `hohenberg data network`.")],
    table_path: _Table,
    targets: _Targets,
    out: _Out,
    encoder: Annotated[str, typer.Option(help="Graph encoder: gin | mpnn | schnet (bond view).")] = "gin",
    features: Annotated[str, typer.Option(help="Atom feature set.")] = "basic",
    hidden: Annotated[int, typer.Option(help="Hidden width.")] = 64,
    layers: Annotated[int, typer.Option(help="Message-passing layers.")] = 3,
    max_neighbours: Annotated[int, typer.Option(help="Labelled neighbours per molecule, at most.")] = NetRunConfig.max_neighbours,
    epochs: Annotated[int, typer.Option("--max-epochs", "--epochs", help="Maximum epochs.")] = _TRAIN.max_epochs,
    patience: Annotated[int, typer.Option(help="Early stopping patience (epochs).")] = _TRAIN.patience,
    batch_size: Annotated[int, typer.Option(help="Molecules per batch.")] = _TRAIN.batch_size,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = _TRAIN.lr,
    max_time: Annotated[Optional[float], typer.Option(help="Wall-clock budget per member (s).")] = None,
    ensemble: Annotated[int, typer.Option(help="Members; >= 2 gives uncertainties.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the first member.")] = 0,
    split_seed: Annotated[int, typer.Option(help="Seed of the node split (random 80/10/10).")] = 0,
    n_train: Annotated[Optional[int], typer.Option(help="Labelled molecules (random subset of the train part).")] = None,
    n_val: Annotated[Optional[int], typer.Option(help="Validation molecules.")] = None,
    n_test: Annotated[Optional[int], typer.Option(help="Test molecules.")] = None,
    cache: Annotated[Optional[Path], typer.Option("--cache-dir", "--cache", help="Graph cache folder (e.g. TABLE.graphs/); default: none.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Learn molecule properties with message passing over the molecule network (transductive:
    the training molecules' labels are inputs to their neighbours)."""
    from hohenberg.network.build import NetworkData
    from hohenberg.network.run import train_network as run_train

    run = _run_config(targets, encoder, hidden, layers, features, epochs, patience, batch_size, lr, max_time, seed,
                      ensemble, "random", split_seed, n_train, n_val, n_test)
    run.max_neighbours = max_neighbours
    net, table = NetworkData.load(net_path), _table(table_path)
    summary = run_train(net, table, run, out, net_path.resolve(), table_path.resolve(), cache,
                        log=(lambda s: None) if json_out else (lambda s: err_console.print(s, highlight=False)))
    if json_out:
        print_json(summary)
        return
    _print_errors(f"network model ({net.kind}): test molecules (labelled {summary['split_sizes']['train']}; "
                  f"{summary['test_labelled_neighbours']['fraction_with_any']:.0%} of test molecules have a labelled "
                  f"neighbour)", summary["test_errors"])
    console.print(f"transductive: {summary['transductive']}\nwrote {out}/model.json, split.json, member_*.pt",
                  highlight=False)
