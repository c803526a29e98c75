"""Model families behind one contract: a manifest in every model directory
(:mod:`hohenberg.manifest`), one registry from kind to family (:mod:`.registry`), one interface
(:class:`.base.Predictor`: ``predict``, ``evaluate``; each family's ``train`` runner writes the
manifest).  ``hohenberg.load_model`` is :func:`.registry.load_model`.

Families: graph (graph networks and ensembles), volumetric (3D CNNs on grids), hkmap
(Hohenberg-Kohn maps), pairs and network (graphs of molecules), subgraph (sparse, boosted and
topic models over subgraphs).  The materials models are fitted and reported in one run and save
no model directory.
"""

from hohenberg.families.registry import FAMILIES, load_model

__all__ = ["FAMILIES", "load_model"]
