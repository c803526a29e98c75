"""The few tensor operations the GIN path of the graph models needs, in plain PyTorch.

PyG's are used everywhere else; these three exist so that applying a trained GIN model does not
import PyTorch Geometric, whose import alone (it loads ``torch._dynamo`` and every data set
module) costs about 2.5 s of a 4 s budget for ``hohenberg predict``.  Each is checked against
PyG's own layer on the same inputs and weights (``tests/test_graph_ops.py``), and keeps PyG's
parameter names, so state dicts are interchangeable.
"""

from __future__ import annotations

import torch
from torch import nn


def scatter_sum(src: torch.Tensor, index: torch.Tensor, dim_size: int) -> torch.Tensor:
    """Rows of ``src`` summed into ``dim_size`` rows by ``index`` (PyG ``scatter(..., reduce="sum")``)."""
    out = src.new_zeros((dim_size,) + tuple(src.shape[1:]))
    return out.index_add_(0, index, src)


class GaussianBasis(nn.Module):
    """``exp(-(d - mu_k)^2 / (2 delta^2))`` on ``n`` evenly spaced centres from ``start`` to ``stop``
    (delta their spacing); PyG's ``GaussianSmearing`` (buffer ``offset``)."""

    def __init__(self, start: float, stop: float, n: int):
        super().__init__()
        offset = torch.linspace(start, stop, n)
        self.coeff = -0.5 / (offset[1] - offset[0]).item() ** 2
        self.register_buffer("offset", offset)

    def forward(self, dist: torch.Tensor) -> torch.Tensor:
        return torch.exp(self.coeff * (dist.view(-1, 1) - self.offset.view(1, -1)) ** 2)


class GINEConv(nn.Module):
    """GIN with edge features (Hu et al. 2020), PyG's ``GINEConv`` with ``train_eps=False``:
    ``nn((1 + eps) x_i + sum_{j -> i} relu(x_j + lin(e_ji)))``."""

    def __init__(self, mlp: nn.Module, edge_dim: int, in_dim: int, eps: float = 0.0):
        super().__init__()
        self.nn = mlp
        self.lin = nn.Linear(edge_dim, in_dim)
        self.register_buffer("eps", torch.full((1,), float(eps)))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        src, dst = edge_index
        messages = (x[src] + self.lin(edge_attr)).relu()
        return self.nn(scatter_sum(messages, dst, x.shape[0]) + (1 + self.eps) * x)
