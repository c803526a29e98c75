"""Fitting the memory one is given: activation bytes per sample, batch size from a budget, peaks.

Training memory = parameters, gradients and Adam's two moments (4 x the parameter bytes) plus
the activations autograd keeps for the backward pass, which grow linearly with the batch.  The
activations are counted exactly, on any device, with ``saved_tensors_hooks`` during one forward
pass at two batch sizes (the difference is the per-sample cost; what does not scale is
workspace), so the batch size for a ``--max-memory`` budget needs no trial-and-error on the GPU.
Gradient checkpointing and bf16 autocast show up in this count as they change what is saved.
"""

from __future__ import annotations

import resource
import sys
from contextlib import nullcontext
from dataclasses import dataclass

import torch

_UNITS = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_bytes(text: str) -> int:
    """``'8G'``, ``'512M'``, ``'1.5g'``, ``'2000000'`` -> bytes (binary units)."""
    s = str(text).strip().lower().removesuffix("ib").removesuffix("b")
    try:
        if s and s[-1] in _UNITS:
            return int(float(s[:-1]) * _UNITS[s[-1]])
        return int(float(s))
    except ValueError:
        raise ValueError(f"cannot read a memory size from {text!r} (e.g. 8G, 512M)") from None


def saved_activation_bytes(model: torch.nn.Module, batch: dict, autocast_dtype: torch.dtype | None = None) -> int:
    """Bytes autograd saves for backward in one training forward pass of ``model(batch)``."""
    total = 0
    seen: set[int] = set()

    def pack(t: torch.Tensor):
        nonlocal total
        key = t.untyped_storage().data_ptr()
        if key not in seen:  # a view of a stored tensor costs nothing more
            seen.add(key)
            if not isinstance(t, torch.nn.Parameter):
                total += t.untyped_storage().nbytes()
        return t

    device = next(model.parameters()).device
    ctx = torch.autocast(device.type, dtype=autocast_dtype) if autocast_dtype is not None else nullcontext()
    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), ctx:
        out = model(batch)
    del out
    return total


@dataclass
class MemoryPlan:
    batch_size: int
    per_sample_bytes: int
    fixed_bytes: int  # parameters + gradients + Adam moments + batch-independent activations
    budget_bytes: int


def plan_batch_size(model: torch.nn.Module, make_batch, budget_bytes: int, autocast_dtype=None,
                    safety: float = 1.25, max_batch: int = 512) -> MemoryPlan:
    """Largest batch whose estimated training memory fits ``budget_bytes``.

    ``make_batch(n)`` returns a batch of ``n`` samples on the model's device.
    """
    a1 = saved_activation_bytes(model, make_batch(1), autocast_dtype)
    a2 = saved_activation_bytes(model, make_batch(2), autocast_dtype)
    per = max(a2 - a1, 1)
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    fixed = 4 * params + max(a1 - per, 0)
    n = int((budget_bytes / safety - fixed) // per)
    if n < 1:
        raise ValueError(f"a budget of {budget_bytes / 2**20:.0f} MiB cannot hold one sample "
                         f"(~{(fixed + per) * safety / 2**20:.0f} MiB needed); lower the grid size, "
                         "or use activation checkpointing / bf16-mixed precision")
    return MemoryPlan(min(n, max_batch), per, fixed, budget_bytes)


def peak_memory_bytes(device: str | torch.device = "cpu") -> dict[str, int]:
    """Peak memory so far: the process's resident set (always), and the CUDA allocator's peak."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"peak_rss_bytes": int(rss if sys.platform == "darwin" else rss * 1024)}
    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        out["peak_cuda_bytes"] = int(torch.cuda.max_memory_allocated(dev))
    return out
