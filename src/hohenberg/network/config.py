"""The configuration of a pair or network model run (:mod:`hohenberg.network.run`, which
re-exports it), kept apart so that reading its defaults imports no torch: the command line
builds its options from them.  The graph encoder's :class:`~hohenberg.graph.models.GraphModelConfig`
is imported when a run configuration is built, not when this module is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hohenberg.training.config import TrainConfig

if TYPE_CHECKING:
    from hohenberg.graph.models import GraphModelConfig


def _default_model() -> GraphModelConfig:
    from hohenberg.graph.models import GraphModelConfig

    return GraphModelConfig(model="gin", features="basic", views=("bond",), targets=("U0_eV",), hidden=64, layers=3)


@dataclass
class NetRunConfig:
    model: GraphModelConfig = field(default_factory=_default_model)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(max_epochs=30, patience=10, batch_size=64,
                                                                   lr=1e-3, accelerator="cpu", devices=1))
    pair_model: str = "pair"  # pairs only: pair | difference | cgr
    split: str = "random"  # pairs: random | by-molecule; network: random over its nodes
    split_seed: int = 0
    n_train: int | None = None  # pairs (or labelled molecules of a network model)
    n_val: int | None = None
    n_test: int | None = None
    ensemble: int = 1
    max_neighbours: int = 8  # network model: labelled neighbours per molecule
