"""Applying trained graph models: load an ensemble from a model directory, predict a data set.

Kept apart from :mod:`hohenberg.graph.run` (training) so that prediction does not import the
training stack (Lightning): ``hohenberg predict`` starts faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from hohenberg.graph.models import GraphModelConfig, build_model
from hohenberg.training.checkpoint import build_saved, load_saved, member_files


def views_needed(cfg: GraphModelConfig) -> tuple[str, ...]:
    """Views a model reads from the batch (PyG baselines build their own neighbour lists)."""
    if cfg.model.startswith("pyg-"):
        return ()
    return cfg.views + (("radius",) if cfg.environment and "radius" not in cfg.views else ())



@torch.no_grad()
def predict_ensemble(members: Sequence[torch.nn.Module], ds, batch_size: int = 256,
                     device: str | torch.device = "cpu") -> dict[str, np.ndarray | None]:
    """Mean and standard deviation over members (physical units); attention weights if any."""
    from torch_geometric.loader import DataLoader

    preds, attn = [], []
    for m in members:
        m.eval().to(device)
        out, a = [], []
        for batch in DataLoader(ds, batch_size=batch_size):
            out.append(m(batch.to(device)).cpu())
            if getattr(m, "last_attention", None) is not None:
                a.append(m.last_attention.cpu())
        preds.append(torch.cat(out).numpy())
        if a:
            attn.append(torch.cat(a).numpy())
    P = np.stack(preds)
    return {"mean": P.mean(0), "std": P.std(0, ddof=1) if len(members) > 1 else np.full(P.shape[1:], np.nan),
            "attention": np.mean(attn, axis=0) if attn else None}



def load_members(model_dir: str | Path) -> tuple[GraphModelConfig, list[torch.nn.Module], list[dict]]:
    """The ensemble of a model directory (``member_*.pt``), ready for evaluation."""
    members, provs, cfg = [], [], None
    for f in member_files(model_dir, "hohenberg train graph"):
        saved = load_saved(f, "graph")
        model, cfg = build_saved(saved, f, GraphModelConfig.from_dict, build_model)
        members.append(model)
        provs.append(saved.provenance)
    return cfg, members, provs
