"""The configuration of a graph-model run (:func:`hohenberg.graph.run.train_graph_model`).

Kept apart from :mod:`hohenberg.graph.run` (which re-exports it) so that reading its defaults
imports no torch: the command line builds its options from them.  The model's architecture,
:class:`~hohenberg.graph.models.GraphModelConfig`, is checked against the model code, so it is
imported when a run configuration is built, not when this module is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hohenberg.training.config import TrainConfig

if TYPE_CHECKING:
    from hohenberg.graph.models import GraphModelConfig


def _default_model() -> GraphModelConfig:
    from hohenberg.graph.models import GraphModelConfig

    return GraphModelConfig()


@dataclass
class GraphRunConfig:
    model: GraphModelConfig = field(default_factory=_default_model)
    # the command line's defaults (`hohenberg train graph` reads them from here)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(lr=1e-3, lr_schedule="cosine"))
    n_train: int | None = None  # None: the whole training split
    n_val: int | None = None
    n_test: int | None = None
    split_seed: int = 0
    ensemble: int = 1
    split: str = "auto"  # auto | standard | random | scaffold | a JSON file of id lists (datasets.splits)
    elements_from_table: bool = True  # the model's element list: the training molecules' elements
