"""Whole-store checks (``hohenberg store verify``), index rebuilding (``hohenberg store repair``)
and the summary (``hohenberg store info``).

Verify does not trust the index to say what the store holds: it also reads the shards for
records the index does not list (after its last record or between two), finds shard files with
no index, and checks ``store.json`` against the provenance in each record.  Only bytes that hold
no complete record (a write cut by a crash), or the one record a killed writer's commit had
begun, are "uncommitted" and harmless; complete records nothing lists are findings, because the
next writer would otherwise be entitled to cut them off.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hohenberg.fileio import atomic_write
from hohenberg.store import layout
from hohenberg.store.reader import CorruptRecordError, StoreReader
from hohenberg.store.record import scan_records


@dataclass
class VerifyReport:
    checked: int = 0
    bad: list[dict] = field(default_factory=list)  # {"id", "problem"} per bad record
    index_problems: list[str] = field(default_factory=list)  # index vs shards: unlisted records, missing index
    manifest_problems: list[str] = field(default_factory=list)  # store.json vs the records' own provenance
    uncommitted_tail_bytes: int = 0  # left by a crash mid-write; cut off by the next writer; harmless

    @property
    def ok(self) -> bool:
        return not self.bad and not self.index_problems and not self.manifest_problems


def _check(reader: StoreReader, record_id: str) -> dict:
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
    return rec.meta


def verify_store(root: str | Path) -> VerifyReport:
    """Read, checksum and decode every record; a bad one is listed by id, never skipped silently.

    Also: every complete record in the shards is listed by the index, and store.json's level is
    the one the records were computed at.
    """
    reader = StoreReader(root)
    report = VerifyReport(index_problems=list(reader.index_problems))
    intent = layout.read_intent(reader.root)
    if reader.container == "hdf5":
        _h5_coverage(reader, intent, report)
    else:
        _shard_coverage(reader, intent, report)
    levels: Counter = Counter()
    # in file order, so a verify of a large store streams through each shard once
    for record_id in sorted(reader.ids, key=reader.location):
        report.checked += 1
        try:
            meta = _check(reader, record_id)
            if "level" in meta:
                levels[meta["level"]] += 1
        except CorruptRecordError as exc:
            report.bad.append({"id": record_id, "problem": exc.problem})
    reader.close()
    level = reader.config.get("level")
    for other, count in sorted(levels.items(), key=str):
        if other != level:
            report.manifest_problems.append(f"{layout.MANIFEST} says level {level!r}, but {count} of "
                                            f"{report.checked} records were computed at {other!r}")
    return report


def _listed(names: list[dict], limit: int = 3) -> str:
    return ", ".join(repr(e["id"]) for e in names[:limit]) + (", ..." if len(names) > limit else "")


def _shard_coverage(reader: StoreReader, intent: dict | None, report: VerifyReport) -> None:
    """Compare each index with its shard's bytes: every complete record must be listed."""
    from hohenberg.store.writer import _interrupted_commit

    root = reader.root
    indexed = set(layout.shard_numbers(root))
    for n in sorted(indexed | set(layout.data_numbers(root))):
        dat, idx = layout.shard_paths(root, n)
        size = dat.stat().st_size if dat.exists() else 0
        if n not in indexed:
            if size:
                found, _ = _scan(dat, 0, size)
                report.index_problems.append(f"{idx.name} is missing: {dat.name} holds {size} bytes, "
                                             f"{len(found)} complete records ({_listed(found)}) no index lists")
            continue
        raw = idx.read_bytes()
        entries, _, committed = layout.parse_index(raw)
        pos = 0
        for e in sorted(entries, key=lambda e: e["offset"]):
            if e["offset"] > pos:  # the writer appends back to back: a gap is lost index lines or damage
                found, _ = _scan(dat, pos, min(e["offset"], size))
                report.index_problems.append(f"{dat.name}: bytes {pos}..{e['offset']} are listed by no index line "
                                             f"({len(found)} complete records in them: {_listed(found) or 'none'})")
            pos = max(pos, e["offset"] + e["nbytes"])
        if size > pos:
            found, _ = _scan(dat, pos, size)
            if found and _interrupted_commit(intent, n, found, raw[committed:]):
                found = []  # a writer's commit in progress (or killed midway): not a record yet
            if found:
                report.index_problems.append(f"{dat.name} holds {len(found)} complete records after the last one "
                                             f"{idx.name} lists ({_listed(found)}): the index lost them")
            else:
                report.uncommitted_tail_bytes += size - pos


def _scan(dat: Path, start: int, end: int) -> tuple[list[dict], list[tuple[int, int]]]:
    with open(dat, "rb") as fh:
        return scan_records(lambda o, k: os.pread(fh.fileno(), k, o), start, end)


def _h5_coverage(reader: StoreReader, intent: dict | None, report: VerifyReport) -> None:
    """Each sealed HDF5 shard must have an index listing every row it holds."""
    from hohenberg.store.hdf5 import h5_ids, h5_path, uncommitted_files

    root = reader.root
    indexed = set(layout.shard_numbers(root))
    for n, nbytes in sorted(uncommitted_files(root).items()):
        rows = h5_ids(h5_path(root, n)) if n not in indexed and h5_path(root, n).is_file() else None
        if rows and intent != {"commit": n}:
            report.index_problems.append(f"{h5_path(root, n).name} holds {len(rows)} records "
                                         f"({_listed([{'id': i} for i in rows])}) but has no index")
        else:
            report.uncommitted_tail_bytes += nbytes  # a killed writer's temp or unsealed file
    for n in sorted(indexed):
        idx = layout.shard_paths(root, n)[1]
        raw = idx.read_bytes()
        entries, _, committed = layout.parse_index(raw)
        if committed < len(raw):  # written whole by temp file + rename: a cut line is damage
            report.index_problems.append(f"{idx.name}: last line is cut short or lost its newline "
                                         "(the index is written whole, so this is damage)")
        rows = h5_ids(h5_path(root, n)) if h5_path(root, n).is_file() else None
        if rows is not None:
            unlisted = sorted(set(range(len(rows))) - {e["offset"] for e in entries})
            if unlisted:
                report.index_problems.append(f"{h5_path(root, n).name}: {len(unlisted)} of its {len(rows)} rows "
                                             f"are listed by no index line ({_listed([{'id': rows[i]} for i in unlisted])})")


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
