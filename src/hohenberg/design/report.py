"""What a search leaves in its folder: ``calls.csv`` (every oracle call, in order, with the
surrogate's prediction when it chose the molecule and the best value so far), ``trace.png`` (best
value against oracle calls), ``best.csv`` and ``top.png`` (the best molecules, drawn by RDKit
with their values), ``result.json`` (the summary)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from hohenberg.fileio import atomic_write

COLUMNS = ("call", "batch", "phase", "id", "smiles", "value", "pred_mean", "pred_std")


def _csv(rows, columns) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if isinstance(r.get(c), float) and not np.isfinite(r[c]) else r.get(c, "") for c in columns])
    return buf.getvalue()


def write_report(run, out: str | Path, summary: dict, n_top: int = 12) -> dict[str, str]:
    """Every file of the module docstring under ``out``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    trace = run.trace()
    rows = [{**c, "best_so_far": float(b)} for c, b in zip(run.calls, trace)]
    files = {"calls": str(atomic_write(out / "calls.csv", _csv(rows, COLUMNS + ("best_so_far",))))}
    files["best"] = str(atomic_write(out / "best.csv", _csv(run.top(n_top), COLUMNS)))

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    calls = np.arange(1, len(trace) + 1)
    ax.plot(calls, run.values(), ".", color="0.7", ms=4, label="oracle value")
    ax.step(calls, trace, where="post", color="C0", label="best so far")
    if run.goal.kind == "window":
        ax.axhspan(run.goal.low, run.goal.high, color="C2", alpha=0.2, label="target window")
    n0 = sum(c["phase"] == "initial" for c in run.calls)
    if 0 < n0 < len(calls):
        ax.axvline(n0 + 0.5, color="0.5", ls=":", lw=1, label="end of random start")
    ax.set_xlabel("oracle calls")
    ax.set_ylabel(run.config.target)
    ax.set_title(f"{run.config.surrogate} + {run.config.acquisition}, goal {run.goal}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=120)
    plt.close(fig)
    files["trace_png"] = str(atomic_write(out / "trace.png", buf.getvalue()))

    top = run.top(n_top)
    if top:
        from rdkit import Chem
        from rdkit.Chem import Draw

        mols = [Chem.MolFromSmiles(c["smiles"]) for c in top]
        legends = [f"{c['value']:.3f}" + ("" if not np.isfinite(c.get("pred_mean", np.nan)) else
                                          f" (pred {c['pred_mean']:.2f})") for c in top]
        img = Draw.MolsToGridImage(mols, molsPerRow=4, subImgSize=(220, 180), legends=legends)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        files["top_png"] = str(atomic_write(out / "top.png", buf.getvalue()))
    files["result"] = str(out / "result.json")
    atomic_write(out / "result.json", json.dumps(_plain({**summary, "files": files}), indent=1))
    return files


def _plain(obj):
    """JSON-safe copy: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
