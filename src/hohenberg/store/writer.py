"""Appending records to a store: one writer at a time, every record committed before it counts.

Commit protocol for one record: append its bytes to the current shard, fsync; then append its
index line, fsync.  A crash before the index line leaves bytes that no index points to; a crash
inside the index line leaves a line without its newline.  Neither is a record: the next writer
cuts both off before it appends, and readers ignore them meanwhile.  So a record is in the store
completely or not at all, and what was committed before a crash is never rewritten.

The next writer cuts off only what it can account for: a record cut short (no complete record in
it), or the one complete record whose commit the killed writer had begun (named in
``.writer.intent``).  Complete records beyond the index that no interrupted commit explains are
data an index lost (damage, not a crash): the writer then changes nothing and stops, pointing to
``hohenberg store repair``, which lists them again.

That is the ``shards`` container (the default).  The ``hdf5`` container (grid layout, chosen when
the store is created: ``container="hdf5"``) commits whole HDF5 shard files instead, by temp file +
rename + index; records put but not yet committed when the process dies are recomputed on resume
(see :mod:`hohenberg.store.hdf5`).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import zlib
from pathlib import Path

from hohenberg import __version__
from hohenberg.errors import HohenbergError
from hohenberg.fileio import atomic_write
from hohenberg.store import layout
from hohenberg.store.record import DensityCodec, decode_header, encode_record, scan_records

_LOCKED: set[str] = set()  # POSIX locks do not exclude the same process: guard it here


class StoreWriter:
    """Create or extend the store at ``root``.

    ``config`` (level, grid spacing and size, ...) is fixed when the store is created; extending it
    with another configuration, layout or codec is refused rather than mixing results.
    ``container`` (``"shards"`` or ``"hdf5"``) is fixed when the store is created too; ``None``
    means the store's own when extending it, ``layout.DEFAULT_CONTAINER`` when creating it.
    ``shard_records`` (hdf5 only): records per HDF5 shard file, i.e. the most a kill can cost.
    """

    def __init__(self, root: str | Path, config: dict, layout_name: str = "grid",
                 density_codec: DensityCodec = DensityCodec(), shard_bytes: int = layout.SHARD_BYTES,
                 durable: bool = True, container: str | None = None, shard_records: int | None = None):
        if layout_name not in layout.LAYOUTS:
            raise HohenbergError(f"unknown store layout {layout_name!r} (one of {', '.join(layout.LAYOUTS)})")
        self.root = Path(root)
        self.shard_bytes = shard_bytes
        self.durable = durable
        self._dat = self._idx = self._lock_fd = self._h5 = self._intent = None
        if container is not None and container not in layout.CONTAINERS:
            raise HohenbergError(f"unknown store container {container!r} (one of {', '.join(layout.CONTAINERS)})")
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / layout.SHARDS).mkdir(exist_ok=True)
        self._lock()
        try:
            self.manifest = self._manifest(config, layout_name, density_codec, container)
            self.density_codec = DensityCodec(**self.manifest["density_codec"])
            self.container = layout.container_of(self.manifest)
            self.ids: set[str] = set()
            if self.container == "hdf5":
                from hohenberg.store.hdf5 import SHARD_RECORDS, H5ShardWriter

                self._h5 = H5ShardWriter(self.root, int(self.manifest["config"]["size"]), self.density_codec,
                                         shard_bytes, shard_records or SHARD_RECORDS, durable)
                self.ids = self._h5.recover(layout.read_intent(self.root))
                self._h5.intent = self._set_intent
                self._check_level(self._h5.last_meta())
            else:
                self._recover()
            self._set_intent(None)
        except BaseException:
            self.close()
            raise

    # -- set-up ---------------------------------------------------------------------------
    def _lock(self) -> None:
        key = os.path.realpath(self.root)
        if key in _LOCKED:
            raise HohenbergError(f"{self.root}: store is already open for writing in this process")
        self._lock_fd = os.open(self.root / layout.LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.lockf(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise HohenbergError(f"{self.root}: another process is writing to this store") from None
        _LOCKED.add(key)
        self._lock_key = key
        self._intent = os.open(self.root / layout.INTENT, os.O_RDWR | os.O_CREAT, 0o666)

    def _set_intent(self, intent: dict | None) -> None:
        """Name the commit begun (or none): lets the next writer account for what a kill leaves.

        Not fsynced: it only matters after a kill, when the page cache survives; after a power
        loss it may be stale, and the next writer then refuses (the safe side) rather than drop.
        """
        os.ftruncate(self._intent, 0)
        if intent is not None:
            os.pwrite(self._intent, json.dumps(intent).encode(), 0)

    def _check_level(self, meta: dict | None) -> None:
        """A store.json edited after the records were written must not get records of another level."""
        level = self.manifest["config"].get("level")
        if meta is not None and "level" in meta and meta["level"] != level:
            raise HohenbergError(f"{self.root / layout.MANIFEST} says level {level!r} but the store's records were "
                                 f"computed at {meta['level']!r}; nothing was changed: run "
                                 f"'hohenberg store verify {self.root}' and 'hohenberg store repair {self.root}'")

    def _manifest(self, config: dict, layout_name: str, density_codec: DensityCodec, container: str | None) -> dict:
        wanted = {"layout": layout_name, "density_codec": vars(density_codec).copy(), "config": dict(config)}
        if (self.root / layout.MANIFEST).exists():
            have = layout.read_manifest(self.root)
            mine = {k: have.get(k) for k in wanted}
            if mine != json.loads(json.dumps(wanted)):
                raise HohenbergError(f"{self.root / layout.MANIFEST}: this store holds {mine}; "
                                     f"refusing to add results computed with {wanted}")
            if container is not None and container != layout.container_of(have):
                raise HohenbergError(f"{self.root / layout.MANIFEST}: this store's container is "
                                     f"{layout.container_of(have)!r}; refusing to add records as {container!r}")
            return have
        container = container or layout.DEFAULT_CONTAINER
        if container == "hdf5" and layout_name != "grid":
            raise HohenbergError("the hdf5 container holds the grid layout only (use container='shards')")
        if container == "hdf5" and "size" not in config:
            raise HohenbergError("the hdf5 container needs the grid size in the store's config")
        manifest = {"format": layout.FORMAT, "version": layout.VERSION, **wanted, "container": container,
                    "code": f"hohenberg {__version__}", "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        atomic_write(self.root / layout.MANIFEST, json.dumps(manifest, indent=2))
        return manifest

    def _recover(self) -> None:
        """Cut off what a crash left uncommitted; load the ids; open the last shard to append.

        Everything is checked before anything is cut, so a refusal leaves every file as it was.
        """
        numbers = layout.shard_numbers(self.root)
        for n in layout.data_numbers(self.root):
            dat, idx = layout.shard_paths(self.root, n)
            if n not in numbers and dat.stat().st_size > 0:  # the writer creates the index with the shard
                raise self._lost(f"{dat.name} holds {dat.stat().st_size} bytes but its index {idx.name} is missing")
        intent = layout.read_intent(self.root)
        cuts, last_entry = [], None
        for n in numbers:
            dat, idx = layout.shard_paths(self.root, n)
            raw = idx.read_bytes()
            entries, problems, committed = layout.parse_index(raw)
            if problems:
                raise HohenbergError(f"{idx}: {problems[0]}; run 'hohenberg store verify {self.root}'")
            end = max((e["offset"] + e["nbytes"] for e in entries), default=0)
            size = dat.stat().st_size if dat.exists() else 0
            if size < end:
                raise HohenbergError(f"{dat}: shard is shorter ({size} bytes) than its index says ({end}); "
                                     f"run 'hohenberg store verify {self.root}'")
            if size > end:
                with open(dat, "rb") as fh:
                    found, _ = scan_records(lambda o, k: os.pread(fh.fileno(), k, o), end, size)
                if found and not _interrupted_commit(intent, n, found, raw[committed:]):
                    ids = ", ".join(repr(e["id"]) for e in found[:3]) + (", ..." if len(found) > 3 else "")
                    raise self._lost(f"{dat.name} holds {len(found)} complete record(s) after the last one "
                                     f"{idx.name} lists ({ids})")
            cuts.append((idx, committed, len(raw), dat, end, size))
            for e in entries:
                self.ids.add(e["id"])
                last_entry = (dat, e)
        if last_entry is not None:
            self._check_level(_meta_at(*last_entry))
        for idx, committed, nraw, dat, end, size in cuts:
            if committed < nraw:
                os.truncate(idx, committed)
            if size > end:
                os.truncate(dat, end)
        self._open_shard(numbers[-1] if numbers else 0)

    def _lost(self, what: str) -> HohenbergError:
        return HohenbergError(f"{self.root}: {what}: records the index does not list (not an interrupted write); "
                              f"nothing was changed. Run 'hohenberg store repair {self.root}' to list them "
                              "again, then rerun")

    def _open_shard(self, n: int) -> None:
        dat, idx = layout.shard_paths(self.root, n)
        self.shard = n
        self._dat = os.open(dat, os.O_RDWR | os.O_CREAT, 0o666)
        self._idx = os.open(idx, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        self._end = os.fstat(self._dat).st_size

    # -- writing --------------------------------------------------------------------------
    def put(self, record_id: str, arrays: dict, meta: dict | None = None) -> int:
        """Append one record; returns its size in bytes.  Ids are unique: a second put is refused."""
        if not isinstance(record_id, str) or not record_id or "\n" in record_id:
            raise HohenbergError(f"molecule id {record_id!r} cannot name a record")
        if record_id in self.ids:
            raise HohenbergError(f"{self.root}: record {record_id!r} is already in the store")
        meta = {"level": self.manifest["config"].get("level"), "code": f"hohenberg {__version__}", **(meta or {})}
        if self.container == "hdf5":
            return self._put_h5(record_id, arrays, meta)
        blob = encode_record(record_id, arrays, meta, self.density_codec)
        if self._dat is None:
            raise HohenbergError(f"{self.root}: the store writer is closed")
        try:
            if self._end > 0 and self._end + len(blob) > self.shard_bytes:
                self._close_shard()
                self._open_shard(self.shard + 1)
            line = layout.index_line({"id": record_id, "offset": self._end, "nbytes": len(blob),
                                      "crc32": zlib.crc32(blob)})
            self._set_intent({"shard": self.shard, "line": line})
            os.pwrite(self._dat, blob, self._end)
            if self.durable:
                os.fsync(self._dat)
            os.write(self._idx, line.encode())  # O_APPEND: one write of one short line
            if self.durable:
                os.fsync(self._idx)
            self._set_intent(None)
        except BaseException:
            # disk full, Ctrl-C...: the index may now end in half a line, so no further appends
            # here; the next writer cuts it off (see _recover)
            self.close()
            raise
        self._end += len(blob)
        self.ids.add(record_id)
        return len(blob)

    def _put_h5(self, record_id: str, arrays: dict, meta: dict) -> int:
        if self._h5 is None:
            raise HohenbergError(f"{self.root}: the store writer is closed")
        try:
            nbytes = self._h5.put(record_id, arrays, meta)
        except BaseException:
            if self._h5.failed:
                # the shard being filled may be half-written: drop it (its records were never
                # committed, a resume recomputes them) and close, as the shards container does
                self._h5.abort()
                self.close()
            raise  # else: a record refused before anything was written (shape, dtype, values)
        self.ids.add(record_id)
        return nbytes

    def flush(self) -> None:
        """hdf5: commit the shard being filled now (shards: every put is already committed)."""
        if self._h5 is not None:
            try:
                self._h5.commit()
            except BaseException:
                self._h5.abort()
                self.close()
                raise

    # -- closing --------------------------------------------------------------------------
    def _close_shard(self) -> None:
        for name in ("_dat", "_idx"):
            fd = self.__dict__.get(name)
            if fd is not None:
                setattr(self, name, None)
                try:
                    os.close(fd)
                except OSError:
                    pass  # already unusable (the error being handled); nothing left to release

    def close(self) -> None:
        h5, self._h5 = self._h5, None
        if h5 is not None:
            try:
                h5.commit()  # every record put so far is whole: commit them
            except BaseException:
                h5.abort()
                raise
            finally:
                self._release()
            return
        self._close_shard()
        self._release()

    def _release(self) -> None:
        if self._intent is not None:
            # no commit pending (the usual close): the file says nothing, so it goes; a failed
            # put leaves it naming that put's record, for the next writer
            if os.fstat(self._intent).st_size == 0:
                (self.root / layout.INTENT).unlink(missing_ok=True)
            os.close(self._intent)
            self._intent = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None
            _LOCKED.discard(self._lock_key)

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _interrupted_commit(intent: dict | None, shard: int, found: list[dict], index_tail: bytes) -> bool:
    """Whether the complete records past the index are exactly the commit a killed writer had begun:
    one record, the one ``intent`` names, and an index that ends before its line or inside it."""
    if not intent or intent.get("shard") != shard or len(found) != 1:
        return False
    line = str(intent.get("line", ""))
    return layout.index_line(found[0]) == line and line.encode().startswith(index_tail)


def _meta_at(dat: Path, entry: dict) -> dict | None:
    """The provenance in a record's own header (None if it cannot be read: verify reports that)."""
    try:
        with open(dat, "rb") as fh:
            head = os.pread(fh.fileno(), 8, entry["offset"])
            n = int.from_bytes(head[4:8], "little")
            header, _ = decode_header(head + os.pread(fh.fileno(), min(n, entry["nbytes"]), entry["offset"] + 8))
            return header.get("meta", {})
    except (OSError, ValueError):
        return None
