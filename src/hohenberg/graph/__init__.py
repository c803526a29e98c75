"""Molecular graphs and graph neural networks.

* :mod:`~hohenberg.graph.features`: named, versioned atom-feature sets and bond features (RDKit).
* :mod:`~hohenberg.graph.views`: graph views of one molecule (``bond``, ``radius``, ``complete``).
* :mod:`~hohenberg.graph.molgraph`: one molecule -> one PyG ``Data`` with every block and view.
* :mod:`~hohenberg.graph.dataset`: graph data sets built once per table selection and cached.
* :mod:`~hohenberg.graph.encoders`, :mod:`~hohenberg.graph.models`: MPNN, GIN, SchNet-style
  encoders; single-view and multi-view attention regressors; :mod:`~hohenberg.training.scaler`
  per-target offsets; :mod:`~hohenberg.graph.pyg_baselines`: PyG SchNet / DimeNet++.
* :mod:`~hohenberg.graph.run`: training, evaluation and prediction through
  :mod:`hohenberg.training.trainer` (the shared Lightning loop).

Submodules are imported on demand: importing this package does not import torch.
"""
