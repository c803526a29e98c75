"""One configuration policy: every config read from a dict (a model file, --config) refuses an
unknown key by name; the training commands take their defaults from the library's run configs;
each option has one spelling (older ones stay as aliases); --json and every other on/off option
is shown as a flag."""

from __future__ import annotations

import inspect

import pytest
import typer
from typer.testing import CliRunner

from hohenberg.cli.graph import train_graph
from hohenberg.cli.hkmap import train_hkmap
from hohenberg.cli.network import train_network, train_pairs
from hohenberg.cli.models import evaluate
from hohenberg.cli.volumetric import train_volumetric
from hohenberg.graph.domain import Domain
from hohenberg.graph.models import GraphModelConfig
from hohenberg.graph.run import GraphRunConfig
from hohenberg.hkmap.model import HKConfig
from hohenberg.hkmap.run import HKRunConfig
from hohenberg.network.run import NetRunConfig
from hohenberg.training.trainer import TrainConfig
from hohenberg.volumetric.data import ViewConfig
from hohenberg.volumetric.models import VolumetricModelConfig
from hohenberg.volumetric.networks import EncoderConfig
from hohenberg.volumetric.run import VolumetricRunConfig


@pytest.mark.parametrize("cls", [GraphModelConfig, HKConfig, EncoderConfig, ViewConfig, VolumetricModelConfig,
                                 Domain, TrainConfig])
def test_unknown_config_keys_are_errors_naming_the_key(cls):
    good = cls().to_dict()
    assert cls.from_dict(good).to_dict() == good
    with pytest.raises(ValueError, match="max_epoch_s"):
        cls.from_dict({**good, "max_epoch_s": 3})


def test_nested_unknown_keys_are_errors_too():
    d = VolumetricModelConfig().to_dict()
    with pytest.raises(ValueError, match="widthz"):
        VolumetricModelConfig.from_dict({**d, "encoder": {**d["encoder"], "widthz": [8]}})


def _defaults(command) -> dict:
    return {k: p.default for k, p in inspect.signature(command).parameters.items()}


def _expected():
    hk, vol, graph, net = HKRunConfig(), VolumetricRunConfig(), GraphRunConfig(), NetRunConfig()
    train = ("patience", "batch_size", "lr")
    return [
        (train_hkmap, {"max_epochs": hk.train.max_epochs, **{k: getattr(hk.train, k) for k in train},
                       "n_val": hk.n_val, "epoch_size": hk.epoch_size, "augment": hk.augment, "motions": hk.motions,
                       "test_symmetries": hk.test_symmetries}),
        (train_volumetric, {"epochs": vol.train.max_epochs, **{k: getattr(vol.train, k) for k in train},
                            "augment": vol.augment, "tta": vol.tta, "split": vol.split, "split_seed": vol.split_seed}),
        (train_graph, {"epochs": graph.train.max_epochs, **{k: getattr(graph.train, k) for k in train},
                       "lr_schedule": graph.train.lr_schedule, "split": graph.split, "split_seed": graph.split_seed,
                       "ensemble": graph.ensemble}),
        (train_pairs, {"epochs": net.train.max_epochs, **{k: getattr(net.train, k) for k in train},
                       "hidden": net.model.hidden, "layers": net.model.layers, "encoder": net.model.model,
                       "features": net.model.features}),
        (train_network, {"epochs": net.train.max_epochs, **{k: getattr(net.train, k) for k in train},
                         "max_neighbours": net.max_neighbours, "hidden": net.model.hidden}),
    ]


def test_command_defaults_are_the_library_defaults():
    for command, expected in _expected():
        got = _defaults(command)
        assert {k: got[k] for k in expected} == expected, command.__name__
    # the values the command line has always used
    assert HKRunConfig().train.lr == 2e-3 and VolumetricRunConfig().train.max_epochs == 100


def _options(command) -> dict[str, list[str]]:
    app = typer.Typer()
    app.command("x")(command)
    app.command("y")(lambda: None)
    click_cmd = typer.main.get_command(app).commands["x"]
    return {p.name: list(p.opts) for p in click_cmd.params}


@pytest.mark.parametrize("command,param,spellings", [
    (train_hkmap, "max_epochs", ["--max-epochs", "--epochs"]),
    (train_hkmap, "inputs", ["--inputs", "--input"]),
    (train_hkmap, "cache_dir", ["--cache-dir", "--cache"]),
    (train_volumetric, "epochs", ["--max-epochs", "--epochs"]),
    (train_volumetric, "inputs", ["--inputs", "--input"]),
    (evaluate, "cache", ["--cache-dir", "--cache"]),
    (train_graph, "epochs", ["--max-epochs", "--epochs"]),
    (train_graph, "cache", ["--cache-dir", "--cache"]),
    (train_pairs, "epochs", ["--max-epochs", "--epochs"]),
    (train_pairs, "cache", ["--cache-dir", "--cache"]),
    (train_network, "epochs", ["--max-epochs", "--epochs"]),
    (train_network, "cache", ["--cache-dir", "--cache"]),
])
def test_one_spelling_with_the_old_one_as_alias(command, param, spellings):
    assert _options(command)[param] == spellings


def test_json_is_shown_as_a_flag():
    app = typer.Typer()
    app.command("x")(train_graph)
    app.command("y")(lambda: None)
    out = CliRunner().invoke(app, ["x", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    line = next(ln for ln in out.splitlines() if "--json" in ln)
    assert "<bool>" not in line and "Print the results as JSON" in line


def _command_paths(group, prefix=()):
    """Every leaf command of a command group, as its argument path."""
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):  # a group (typer ships its own click classes)
            yield from _command_paths(cmd, prefix + (name,))
        else:
            yield prefix + (name,)


def test_no_on_off_option_asks_for_a_value_in_help():
    from hohenberg.cli.main import app

    group = typer.main.get_command(app)
    paths = list(_command_paths(group))
    assert len(paths) > 30  # the walk reached the sub-apps
    for path in paths:
        out = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
        ours = [ln for ln in out.splitlines() if "Show this message and exit" not in ln]  # --help is typer's
        assert not [ln for ln in ours if "<bool>" in ln], " ".join(path)
