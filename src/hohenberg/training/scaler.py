"""Per-target offsets and normalisation, removed before training and restored at prediction.

``y ~ sum over atoms of coef[Z] + intercept + std * f(molecule)``: the per-element linear fit
(the project's baseline floor) takes out the extensive part (for U0 about 10^4 eV per molecule),
``std`` scales the residual to order one, so one loss weighs all targets alike and the network
only learns what the baseline cannot.  Stored as buffers in float64 (energies ~1e4 eV are
reported in meV), so they travel in the state dict and are restored with the weights.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hohenberg.models.baseline import least_squares_per_target

MAX_Z = 87  # offsets indexed by atomic number: every element up to Rn


class TargetScaler(nn.Module):
    """Offsets (per element + intercept) and residual scale per target; see module docstring."""

    def __init__(self, n_targets: int):
        super().__init__()
        self.register_buffer("coef", torch.zeros(MAX_Z, n_targets, dtype=torch.float64))
        self.register_buffer("intercept", torch.zeros(n_targets, dtype=torch.float64))
        self.register_buffer("std", torch.ones(n_targets, dtype=torch.float64))

    @torch.no_grad()
    def fit(self, z: torch.Tensor, batch: torch.Tensor, y: torch.Tensor) -> TargetScaler:
        """Least squares on element counts over the training molecules; NaN targets ignored."""
        n_mol = int(batch.max()) + 1
        counts = torch.zeros(n_mol, MAX_Z, dtype=torch.float64)
        counts.index_put_((batch, z), torch.ones_like(z, dtype=torch.float64), accumulate=True)
        used = counts.sum(0) > 0  # elements absent from training get no offset
        X = np.column_stack([counts[:, used].numpy(), np.ones(n_mol)])
        Y = y.double().numpy()
        W = least_squares_per_target(X, Y)
        for j in range(Y.shape[1]):
            ok = np.isfinite(Y[:, j])
            self.coef[used, j] = torch.as_tensor(W[:-1, j])
            self.intercept[j] = float(W[-1, j])
            sd = float((Y[ok, j] - X[ok] @ W[:, j]).std()) if ok.sum() > 1 else 0.0
            # an exact fit leaves round-off (~1e-14 relative) as spread: scaling by it would blow up
            self.std[j] = sd if sd > 1e-9 * (1.0 + float(np.abs(Y[ok, j]).mean())) else 1.0
        return self

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # weights saved when offsets stopped at Z = 9 (QM9's elements): pad the table with zeros
        key = prefix + "coef"
        if key in state_dict and state_dict[key].shape[0] < MAX_Z:
            old = state_dict[key]
            state_dict[key] = torch.cat([old, old.new_zeros(MAX_Z - old.shape[0], old.shape[1])])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def offset(self, z: torch.Tensor, batch: torch.Tensor, n_mol: int) -> torch.Tensor:
        """(n_mol, n_targets) float64 offset of each molecule."""
        # the per-atom offsets summed per molecule (index_add_ here, not graph.ops.scatter_sum,
        # because the graph package builds on this one)
        per_atom = self.coef[z]
        return per_atom.new_zeros((n_mol, per_atom.shape[1])).index_add_(0, batch, per_atom) + self.intercept

    def restore(self, normalised: torch.Tensor, z: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        """Physical-unit predictions (float64) from the network's normalised outputs."""
        return normalised.double() * self.std + self.offset(z, batch, normalised.shape[0])
