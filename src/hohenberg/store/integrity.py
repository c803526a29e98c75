"""Whole-store checks (``hohenberg store verify``) and the summary (``hohenberg store info``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hohenberg.store import layout
from hohenberg.store.reader import CorruptRecordError, StoreReader


@dataclass
class VerifyReport:
    checked: int = 0
    bad: list[dict] = field(default_factory=list)  # {"id", "problem"} per bad record
    index_problems: list[str] = field(default_factory=list)
    uncommitted_tail_bytes: int = 0  # left by a crash mid-write; cut off by the next writer; harmless

    @property
    def ok(self) -> bool:
        return not self.bad and not self.index_problems


def _check(reader: StoreReader, record_id: str) -> None:
    """Decode every array and check what the manifest promises (grid shape, finite values)."""
    rec = reader.record(record_id)
    n = int(reader.config["size"])
    problems = []
    if reader.config.get("density", True):
        for name in ("grid_origin", "grid_axes"):
            if name not in rec.arrays:
                problems.append(f"no {name}")
        if reader.layout == "grid" and rec.arrays.get("density", np.zeros(0)).shape != (n, n, n):
            problems.append(f"density shape {rec.arrays.get('density', np.zeros(0)).shape} is not {(n, n, n)}")
        if reader.layout == "orbitals" and "orbitals_coeff" not in rec.arrays:
            problems.append("no orbitals")
    for name, a in rec.arrays.items():
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            problems.append(f"{name} has non-finite values")
    if problems:
        raise CorruptRecordError(reader.root, record_id, reader.where(record_id), "; ".join(problems))


def verify_store(root: str | Path) -> VerifyReport:
    """Read, checksum and decode every record; a bad one is listed by id, never skipped silently."""
    reader = StoreReader(root)
    report = VerifyReport(index_problems=list(reader.index_problems),
                          uncommitted_tail_bytes=sum(reader.tails.values()))
    # in file order, so a verify of a large store streams through each shard once
    for record_id in sorted(reader.ids, key=reader.location):
        report.checked += 1
        try:
            _check(reader, record_id)
        except CorruptRecordError as exc:
            report.bad.append({"id": record_id, "problem": exc.problem})
    reader.close()
    return report


def store_info(root: str | Path) -> dict:
    reader = StoreReader(root)
    cfg, m = reader.config, reader.manifest
    n = len(reader)
    size = int(cfg.get("size", 0))
    raw = 4 * size**3  # what the same grid costs as raw float32
    stored = reader.stored_bytes()
    files = sum(p.stat().st_size for p in (Path(root) / layout.SHARDS).glob("*"))
    failures = Path(root) / layout.FAILURES
    failed = set()
    for line in failures.read_text().splitlines() if failures.exists() else []:
        try:
            failed.add(json.loads(line)["id"])
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a crash
    n_failed = len(failed)
    per = stored / n if n else 0.0
    return {
        "store": str(root), "layout": reader.layout, "count": n, "failed": n_failed, "level": cfg.get("level"),
        "grid_shape": [size] * 3, "grid_spacing_A": cfg.get("spacing"),
        "density_codec": m.get("density_codec") if reader.layout == "grid" else None,
        "container": reader.container,
        "bytes_total": stored, "bytes_on_disk": files, "bytes_per_molecule": per,
        "raw_float32_bytes_per_molecule": raw, "compression_ratio_vs_raw_float32": raw / per if per else None,
        "shards": len(layout.shard_numbers(Path(root))), "code": m.get("code"), "created_utc": m.get("created_utc"),
    }
