"""``hohenberg store repair``: list again every complete record an index lost.

Records are self-describing (``record.py``: magic, header with id and every array's byte count),
and so are sealed HDF5 shards (``/ids``, one header per row), so an index can be rebuilt from the
data alone.  What repair does, shard by shard, under the writer's lock (so never beside a writer):

* keeps every entry of the old index that still points inside the shard, with its own CRC32 (a
  record whose bytes changed must still fail verify; re-checksumming it would hide the damage);
* adds an entry for each complete record no entry lists, with the CRC32 of its bytes now;
* moves bytes after the last record that hold no complete record (a write cut by a crash) to
  ``DIR/lost+found/`` before cutting them off; bytes between records that are no record stay in
  place (offsets never change) and are reported;
* writes the new index by temp file + rename, so a crash leaves the old index or the new one;
* sets ``store.json``'s level to the records' own, when they all agree on one.

Nothing is deleted: each step above is reported.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from hohenberg.errors import HohenbergError
from hohenberg.fileio import atomic_write
from hohenberg.store import layout
from hohenberg.store.record import scan_records


@contextmanager
def _writer_lock(root: Path):
    """The writer's lock: a repair must not run while a batch appends (it would race its commits)."""
    from hohenberg.store.writer import _LOCKED

    key = os.path.realpath(root)
    if key in _LOCKED:
        raise HohenbergError(f"{root}: store is open for writing in this process; close it before repairing")
    fd = os.open(root / layout.LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise HohenbergError(f"{root}: another process is writing to this store; repair it when that one "
                             "has finished or been stopped") from None
    _LOCKED.add(key)
    try:
        yield
    finally:
        _LOCKED.discard(key)
        os.close(fd)


def _old_index(idx: Path) -> tuple[bytes | None, list[dict]]:
    """The index's bytes and entries, including a last line that only lost its newline."""
    if not idx.exists():
        return None, []
    raw = idx.read_bytes()
    entries, _, committed = layout.parse_index(raw)
    if committed < len(raw):
        extra, _, _ = layout.parse_index(raw[committed:] + b"\n")
        entries += extra
    return raw, entries


def repair_store(root: str | Path) -> dict:
    """Rebuild every shard's index from its records (see the module docstring); returns what was done."""
    root = Path(root)
    manifest = layout.read_manifest(root)
    container = layout.container_of(manifest)
    with _writer_lock(root):
        shards = _repair_h5(root) if container == "hdf5" else _repair_dat(root)
        (root / layout.INTENT).unlink(missing_ok=True)  # whatever a killed commit began is now listed or set aside
        level = _repair_level(root, manifest)
    ids = Counter(i for s in shards for i in s.pop("_ids"))
    return {"store": str(root), "container": container, "shards": shards,
            "records": sum(ids.values()),
            "recovered": sum(len(s["recovered"]) for s in shards),
            "duplicate_ids": sorted(i for i, c in ids.items() if c > 1),
            "level": level,
            "changed": any(s["index_rewritten"] or s["tail_moved_to"] for s in shards) or level["changed"]}


def _item(n: int) -> dict:
    return {"shard": f"{n:05d}", "listed_before": 0, "listed_now": 0, "recovered": [], "index_rewritten": False,
            "tail_bytes": 0, "tail_moved_to": None, "not_records": [], "problems": [], "_ids": []}


def _repair_dat(root: Path) -> list[dict]:
    out = []
    for n in sorted(set(layout.shard_numbers(root)) | set(layout.data_numbers(root))):
        dat, idx = layout.shard_paths(root, n)
        item = _item(n)
        out.append(item)
        raw, old = _old_index(idx)
        item["listed_before"] = len(old)
        if not dat.exists():
            item["problems"].append(f"{dat.name} is missing; its index is left as it is")
            continue
        size = dat.stat().st_size
        by_offset = {e["offset"]: e for e in old if e["offset"] + e["nbytes"] <= size}
        anchors = sorted(by_offset)
        new, other, pos = [], [], 0
        with open(dat, "rb") as fh:
            def read(o: int, k: int) -> bytes:
                return os.pread(fh.fileno(), k, o)

            while pos < size:
                if pos in by_offset:  # listed: kept as listed, CRC32 included
                    new.append(by_offset[pos])
                    pos += by_offset[pos]["nbytes"]
                    continue
                nxt = next((a for a in anchors if a > pos), size)
                found, rest = scan_records(read, pos, nxt)
                new += found
                item["recovered"] += [e["id"] for e in found]
                other += rest
                pos = nxt
            tail = other.pop() if other and other[-1][1] == size else None
            if tail is not None:
                lost = root / layout.LOST / f"{dat.name}.{tail[0]}-{tail[1]}.bytes"
                atomic_write(lost, read(tail[0], tail[1] - tail[0]))
                item["tail_bytes"], item["tail_moved_to"] = tail[1] - tail[0], str(lost)
        item["not_records"] = [list(r) for r in other]
        item["listed_now"], item["_ids"] = len(new), [e["id"] for e in new]
        lines = "".join(layout.index_line(e) for e in new).encode()
        if raw != lines:
            atomic_write(idx, lines)  # the new index lists nothing past the tail cut below
            item["index_rewritten"] = True
        if tail is not None:
            os.truncate(dat, tail[0])
    return out


def _repair_h5(root: Path) -> list[dict]:
    from hohenberg.store.hdf5 import h5_ids, h5_path, index_entries

    out = []
    for n in sorted(set(layout.shard_numbers(root)) | set(layout.data_numbers(root, ".h5"))):
        path, idx = h5_path(root, n), layout.shard_paths(root, n)[1]
        item = _item(n)
        out.append(item)
        raw, old = _old_index(idx)
        item["listed_before"] = len(old)
        if not path.is_file():
            item["problems"].append(f"{path.name} is missing; its index is left as it is")
            continue
        if h5_ids(path) is None:
            item["problems"].append(f"{path.name} is no readable sealed shard (a killed writer's, or damaged); "
                                    "left as it is")
            item["_ids"] = [e["id"] for e in old]
            continue
        entries, bad_rows = index_entries(path)
        old_by_row = {e["offset"]: e for e in old}
        new = []
        for e in entries:
            o = old_by_row.get(e["offset"])
            if o is not None and o["id"] == e["id"]:
                e["crc32"] = o["crc32"]  # a changed header must still fail verify
            else:
                item["recovered"].append(e["id"])
            new.append(e)
        for row, why in bad_rows.items():  # unreadable: keep what the old index said, so verify names it
            item["problems"].append(why)
            if row in old_by_row:
                new.append(old_by_row[row])
        new.sort(key=lambda e: e["offset"])
        item["listed_now"], item["_ids"] = len(new), [e["id"] for e in new]
        lines = "".join(layout.index_line(e) for e in new).encode()
        if raw != lines:
            atomic_write(idx, lines)
            item["index_rewritten"] = True
    return out


def _repair_level(root: Path, manifest: dict) -> dict:
    """store.json's level follows the records when they all agree (they were written with the
    manifest's level, so they are the evidence of what it was)."""
    from hohenberg.store.reader import CorruptRecordError, StoreReader

    levels: Counter = Counter()
    with StoreReader(root) as reader:
        for record_id in sorted(reader.ids, key=reader.location):
            try:
                meta = reader.record(record_id, names=set()).meta
            except CorruptRecordError:
                continue  # verify names it
            if "level" in meta:
                levels[meta["level"]] += 1
    before = manifest["config"].get("level")
    result = {"manifest": before, "records": dict(levels), "changed": False}
    if len(levels) == 1 and before not in levels:
        (level,) = levels
        manifest["config"]["level"] = level
        atomic_write(root / layout.MANIFEST, json.dumps(manifest, indent=2))
        result.update(manifest=level, changed=True, was=before)
    return result
