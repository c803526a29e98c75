"""Random access to a store by molecule id.

The index (all shards' ``.idx`` files, a few tens of bytes per record) is read once when the
store is opened; each read is then one ``pread`` of one record and its CRC32 check, so no file is
ever read whole and no file offset is shared.  Shard files are opened lazily and reopened in a
new process (a forked DataLoader worker never uses its parent's descriptors), and a pickled
reader carries no descriptors at all.

A store in the ``hdf5`` container (:mod:`hohenberg.store.hdf5`) is read through ``h5py.File(path,
"r")`` handles opened lazily per process in the same way; its records are checked against the same
index CRC32 (of their stored values) and HDF5's fletcher32 chunk checksums.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np

from hohenberg.errors import HohenbergError
from hohenberg.grids import Grid
from hohenberg.store import layout
from hohenberg.store.record import Record, RecordFormatError, decode_record


class CorruptRecordError(HohenbergError):
    """A record that is truncated, fails its checksum or cannot be decoded: never returned."""

    def __init__(self, root: Path, record_id: str, where: str, problem: str):
        self.record_id = record_id
        self.problem = problem
        super().__init__(f"{root}: record {record_id!r} ({where}): {problem}")


class StoreReader:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.manifest = layout.read_manifest(self.root)
        self.layout: str = self.manifest["layout"]
        self.config: dict = self.manifest["config"]
        self.container: str = layout.container_of(self.manifest)
        # id -> (shard, offset, nbytes, crc32); the first commit of an id wins
        self._entries: dict[str, tuple[int, int, int, int]] = {}
        self.index_problems: list[str] = []  # unreadable index lines, duplicate ids
        self.tails: dict[int, int] = {}  # shard -> uncommitted bytes after the last record (a crash)
        for n in layout.shard_numbers(self.root):
            dat, idx = layout.shard_paths(self.root, n)
            entries, problems, _ = layout.parse_index(idx.read_bytes())
            self.index_problems += [f"{idx.name}: {p}" for p in problems]
            for e in entries:
                if e["id"] in self._entries:
                    self.index_problems.append(f"{idx.name}: record {e['id']!r} appears more than once")
                    continue
                self._entries[e["id"]] = (n, e["offset"], e["nbytes"], e["crc32"])
            if self.container == "hdf5":
                continue  # sealed files: no tail
            end = max((e["offset"] + e["nbytes"] for e in entries), default=0)
            size = dat.stat().st_size if dat.exists() else 0
            if size > end:
                self.tails[n] = size - end
        self._fds: dict[int, int] = {}
        self._pid = os.getpid()
        self._h5 = None
        if self.container == "hdf5":
            from hohenberg.store.hdf5 import H5Files, uncommitted_files

            self._h5 = H5Files(self.root)
            for n, nbytes in uncommitted_files(self.root).items():  # a killed writer's: never read
                self.tails[n] = self.tails.get(n, 0) + nbytes

    # -- the index ------------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, record_id: str) -> bool:
        return record_id in self._entries

    def stored_bytes(self) -> int:
        return sum(e[2] for e in self._entries.values())

    def location(self, record_id: str) -> tuple[int, int, int, int]:
        """(shard, offset, nbytes, crc32) of a record."""
        try:
            return self._entries[record_id]
        except KeyError:
            raise HohenbergError(f"{self.root}: no record {record_id!r} in this store") from None

    def where(self, record_id: str) -> str:
        """Where a record lives, for messages: shard file and byte offset (hdf5: row)."""
        shard, offset = self.location(record_id)[:2]
        if self.container == "hdf5":
            return f"shards/{shard:05d}.h5 row {offset}"
        return f"shards/{shard:05d}.dat at byte {offset}"

    # -- reading --------------------------------------------------------------------------
    def _fd(self, shard: int) -> int:
        if os.getpid() != self._pid:  # forked: the parent's descriptors are not ours to use
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.get(shard)
        if fd is None:
            fd = self._fds[shard] = os.open(layout.shard_paths(self.root, shard)[0], os.O_RDONLY)
        return fd

    def read_bytes(self, record_id: str) -> bytes:
        """The record's bytes, checked against the index (length, CRC32) or CorruptRecordError."""
        shard, offset, nbytes, crc = self.location(record_id)
        if self.container == "hdf5":
            raise HohenbergError(f"{self.root}: an hdf5 store has no record bytes to read; use record()")
        where = f"shards/{shard:05d}.dat at byte {offset}"
        try:
            blob = os.pread(self._fd(shard), nbytes, offset)
        except FileNotFoundError:
            raise CorruptRecordError(self.root, record_id, where, "shard file is missing") from None
        if len(blob) != nbytes:
            raise CorruptRecordError(self.root, record_id, where,
                                     f"truncated: {len(blob)} of {nbytes} bytes present")
        if zlib.crc32(blob) != crc:
            raise CorruptRecordError(self.root, record_id, where, "checksum (CRC32) mismatch: the bytes are corrupt")
        return blob

    def record(self, record_id: str, names: set[str] | None = None) -> Record:
        """All arrays of a record (or only ``names``) and its provenance."""
        if self.container == "hdf5":
            from hohenberg.store.hdf5 import read_record

            shard, row, _, crc = self.location(record_id)
            rec, problem = read_record(self._h5, shard, row, crc, names)
            if problem is not None:
                raise CorruptRecordError(self.root, record_id, self.where(record_id), problem)
            if rec.id != record_id:
                raise CorruptRecordError(self.root, record_id, self.where(record_id), f"holds record {rec.id!r}")
            return rec
        blob = self.read_bytes(record_id)
        shard, offset = self._entries[record_id][:2]
        try:
            rec = decode_record(blob, names)
        except (RecordFormatError, KeyError, TypeError) as exc:
            raise CorruptRecordError(self.root, record_id, f"shards/{shard:05d}.dat at byte {offset}",
                                     f"cannot be decoded: {exc}") from None
        if rec.id != record_id:
            raise CorruptRecordError(self.root, record_id, f"shards/{shard:05d}.dat at byte {offset}",
                                     f"holds record {rec.id!r}")
        return rec

    def __getitem__(self, record_id: str) -> Record:
        return self.record(record_id)

    def grid_of(self, rec: Record) -> Grid:
        n = int(self.config["size"])
        return Grid(rec["grid_origin"], rec["grid_axes"], (n, n, n))

    def grid(self, record_id: str) -> Grid:
        return self.grid_of(self.record(record_id, {"grid_origin", "grid_axes"}))

    def density(self, record_id: str, grid: Grid | None = None) -> np.ndarray:
        """rho (electrons/bohr^3, float32) on the record's grid or, for the orbitals layout, on any grid."""
        if self.layout == "grid":
            rec = self.record(record_id, {"density", "grid_origin", "grid_axes"})
            if "density" not in rec.arrays:
                raise HohenbergError(f"{self.root}: record {record_id!r} has no density grid")
            if grid is not None and not grid.same_as(self.grid_of(rec)):
                raise HohenbergError(f"{self.root}: the grid layout holds densities on the record's own grid only; "
                                     "a store in the orbitals layout renders any grid")
            return rec["density"]
        from hohenberg.store.render import render_density

        rec = self.record(record_id)
        return render_density(rec.arrays, grid if grid is not None else self.grid_of(rec))

    def close(self) -> None:
        if os.getpid() == self._pid:
            for fd in self._fds.values():
                os.close(fd)
        self._fds = {}
        if self._h5 is not None:
            self._h5.close()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_fds"] = {}  # descriptors never travel to another process
        return state

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_store(root: str | Path) -> StoreReader:
    return StoreReader(root)
