"""The end-to-end demo behind ``make demo``: QM9 in, summary and first baseline out.

It grows with every capability: each step writes machine-readable JSON beside any figure under
the output folder, and ``report.md`` links them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from hohenberg.datasets import qm9
from hohenberg.datasets.statistics import target_statistics
from hohenberg.fileio import atomic_write
from hohenberg.models.metrics import report_unit, target_label
from hohenberg.molecules.table import MoleculeTable
from hohenberg.reports.parity import parity_grid
from hohenberg.training.baseline import run_baseline


def run_demo(out: Path, source: Path | None = None, log=print) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    table_path = out / "qm9.npz"
    t0 = time.perf_counter()
    if table_path.exists():  # resume: the table is the slow step
        table = MoleculeTable.load(table_path)
        log(f"[1/3] reusing {table_path} ({len(table)} molecules)")
    else:
        log(f"[1/3] reading QM9 from {source or 'the installed qm9pack package'} ...")
        table = qm9.ingest(source)
        table.save(table_path)
    ingest_s = time.perf_counter() - t0
    stats = target_statistics(table, qm9.TARGETS)
    info = {"molecules": len(table), "atoms": int(table.offsets[-1]), "source_kind": table.meta["source_kind"],
            "uncharacterized": int(table.properties["uncharacterized"].sum()), "targets": stats,
            "ingest_or_load_time_s": round(ingest_s, 2)}
    atomic_write(out / "info.json", json.dumps(info, indent=2))
    log(f"[2/3] {len(table)} molecules, {info['atoms']} atoms; statistics in {out / 'info.json'}")

    result = run_baseline(table, qm9.TARGETS)
    atomic_write(out / "baseline.json", json.dumps(result.to_json(), indent=2))
    parity_grid(out / "baseline_parity.png",
                {target_label(t): (*result.predictions[t], report_unit(t)[0]) for t in qm9.TARGETS},
                title=f"per-element linear baseline, QM9 test split (n={result.split_sizes['test']})")
    log(f"[3/3] baseline fitted on {result.split_sizes['train']} molecules, tested on {result.split_sizes['test']}")

    lines = ["# Hohenberg demo report", "",
             f"QM9: {len(table)} molecules from `{table.meta['source_kind']}` ({table.meta['level']}).", "",
             "| target | unit | mean | std | baseline test MAE | baseline unit |", "|---|---|---|---|---|---|"]
    for t in qm9.TARGETS:
        unit = report_unit(t)[0]
        s = stats[t]
        lines.append(f"| {target_label(t)} | {s['unit']} | {s['mean']:.4g} | {s['std']:.4g} | "
                     f"{result.errors[t][f'mae_{unit}']:.4g} | {unit} |")
    lines += ["", f"Split (seed 0): {result.split_sizes}.", "",
              "Files: `qm9.npz` (table), `info.json`, `baseline.json`, `baseline_parity.png`."]
    atomic_write(out / "report.md", "\n".join(lines) + "\n")
    return {"info": info, "baseline": result.to_json()}
