"""The ``hdf5`` container: the grid layout's records in chunked, compressed HDF5 shard files (h5py).

Selected when a store is created (``StoreWriter(..., container="hdf5")``; the manifest then says
``"container": "hdf5"``).  Layout on disk, beside the manifest::

    DIR/shards/NNNNN.h5     one complete HDF5 file per shard, never modified once committed
    DIR/shards/NNNNN.idx    its index, JSON lines {"id", "offset" (= row), "nbytes", "crc32"},
                            written (temp file + rename) only after the .h5 file was renamed into place

Inside a shard file::

    /density            (rows, n, n, n), chunks (1, n, n, n): one molecule per chunk; byte shuffle +
                        gzip (zlib, level 6) + HDF5's fletcher32 chunk checksum.  dtype by density codec:
                        ``logq`` uint32, the same integers as the shard container (zigzagged second
                        differences of the log-quantised codes, :func:`codec.logq_codes`; so both
                        containers decode to bit-identical values and share the stated error bound),
                        ``f16`` float16, ``raw`` float32.
    /records/<row>      one group per record: attribute ``header`` (JSON: id, provenance, each array's
                        name/dtype/shape, the density codec parameters and the CRC32 of the density
                        row's stored values) and one plain dataset per other array (grid_origin, ...)
    /ids                the record ids, in row order (for tools other than this one)

**Crash safety.**  An HDF5 file killed while being written can be unreadable as a whole, so
nothing is ever appended to a committed HDF5 file.  The writer fills a *temporary* file
(``shards/.NNNNN.h5.<pid>.tmp``), and commits it when it holds ``shard_records`` records or
``shard_bytes`` bytes, and on ``close()``: close + fsync the temp file, rename it to ``NNNNN.h5``,
then write ``NNNNN.idx`` atomically (temp + rename).  A shard is in the store iff its index
exists; a temp file, or an ``.h5`` whose index was never written, is not data (readers ignore it,
the next writer deletes it).  **Records not yet committed when the process dies are lost and
are simply recomputed on resume** (the batch skips only ids in the store): with this container a
kill costs up to one shard's worth of compute, where the ``shards`` container loses at most the
record being appended.

**Integrity.**  The index keeps a CRC32 per record of its stored values: the header JSON and every
non-density array's bytes; the header in turn holds the CRC32 of the density row's stored values
(uint32 codes / float16 / float32, little endian), checked whenever the density is read.  HDF5's
fletcher32 filter also checks each compressed chunk.  Any failure (a file that will not open, a
chunk that will not inflate, a checksum mismatch, a header naming another id) raises
:class:`CorruptRecordError` naming the record id, shard file and row.

**Forks.**  :class:`H5Files` opens ``h5py.File(path, "r")`` lazily and keeps the handles keyed by
process id: a forked DataLoader worker opens its own, and a pickled reader carries none.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import numpy as np

from hohenberg.errors import HohenbergError
from hohenberg.fileio import atomic_write
from hohenberg.store import codec, layout
from hohenberg.store.record import DensityCodec, Record

SUFFIX = ".h5"
SHARD_RECORDS = 256  # records per HDF5 shard: ~34 MB at 64^3 (logq); the most a kill can cost
GZIP_LEVEL = 6  # as the shard container's zlib level
FORMAT = "hohenberg-store-hdf5-shard"
_DENSITY_DTYPE = {"logq": "<u4", "f16": "<f2", "raw": "<f4"}


def h5_path(root: Path, n: int) -> Path:
    return Path(root) / layout.SHARDS / f"{n:05d}{SUFFIX}"


def _le(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)  # not ascontiguousarray: that makes a 0-d array 1-d
    return a.astype(a.dtype.newbyteorder("<"), copy=False) if a.dtype.kind in "biuf" else a


def encode_density(rho: np.ndarray, density_codec: DensityCodec) -> tuple[np.ndarray, dict]:
    """(the values stored in the density dataset, flat, little endian; decoding parameters)."""
    if density_codec.name == "logq":
        z = codec.logq_codes(rho, density_codec.floor, density_codec.step)
        if z.max(initial=0) >= 2**32:
            raise ValueError("density codes exceed 32 bits")
        return z.astype("<u4"), {"floor": float(density_codec.floor), "step": float(density_codec.step)}
    x = np.asarray(rho, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise ValueError("values are not all finite")
    if density_codec.name == "f16":
        if np.abs(x).max(initial=0) > 65504:
            raise ValueError("values exceed the float16 range")
        return x.astype("<f2"), {}
    return np.asarray(rho).ravel().astype("<f4"), {}


def decode_density(stored: np.ndarray, codec_name: str, params: dict) -> np.ndarray:
    if codec_name == "logq":
        return codec.logq_values(stored, params)
    return np.asarray(stored, dtype=np.float32).ravel()


class H5ShardWriter:
    """Fills a temporary HDF5 file and commits it as the next shard (see the module docstring)."""

    def __init__(self, root: Path, size: int, density_codec: DensityCodec, shard_bytes: int = layout.SHARD_BYTES,
                 shard_records: int = SHARD_RECORDS, durable: bool = True):
        self.root = Path(root)
        self.size = int(size)
        self.density_codec = density_codec
        self.shard_bytes = shard_bytes
        self.shard_records = max(1, int(shard_records))
        self.durable = durable
        self._file = self._tmp = None
        self._pending: list[dict] = []
        self._bytes = 0
        self.next_shard = 0
        self.failed = False  # a write into the temp file failed midway: it must be dropped

    def recover(self) -> set[str]:
        """Delete what a killed writer left uncommitted; return the committed ids."""
        folder = self.root / layout.SHARDS
        for p in folder.glob(f".*{SUFFIX}.*.tmp"):  # a shard being filled when its writer died
            p.unlink(missing_ok=True)
        numbers = layout.shard_numbers(self.root)
        ids: set[str] = set()
        for n in numbers:
            _, idx = layout.shard_paths(self.root, n)
            raw = idx.read_bytes()
            entries, problems, committed = layout.parse_index(raw)
            if problems or committed < len(raw):  # written atomically: damage, not a crash
                raise HohenbergError(f"{idx}: {problems[0] if problems else 'last line cut short'}; "
                                     f"run 'hohenberg store verify {self.root}'")
            if not h5_path(self.root, n).is_file():
                raise HohenbergError(f"{h5_path(self.root, n)}: shard file is missing; "
                                     f"run 'hohenberg store verify {self.root}'")
            ids.update(e["id"] for e in entries)
        for p in folder.glob(f"*{SUFFIX}"):  # renamed into place, killed before its index was written
            if p.stem.isdigit() and int(p.stem) not in numbers:
                p.unlink(missing_ok=True)
        self.next_shard = max(numbers, default=-1) + 1
        return ids

    def _start(self) -> None:
        import h5py

        n = self.size
        self._tmp = self.root / layout.SHARDS / f".{self.next_shard:05d}{SUFFIX}.{os.getpid()}.tmp"
        # no chunk cache: every chunk is written once, whole, and goes straight to disk
        f = self._file = h5py.File(self._tmp, "w", rdcc_nbytes=0)
        f.attrs["format"] = FORMAT
        f.attrs["density_codec"] = json.dumps(vars(self.density_codec))
        f.create_dataset("density", shape=(0, n, n, n), maxshape=(None, n, n, n), chunks=(1, n, n, n),
                         dtype=_DENSITY_DTYPE[self.density_codec.name], shuffle=True, compression="gzip",
                         compression_opts=GZIP_LEVEL, fletcher32=True)
        f.create_group("records")
        self._pending, self._bytes = [], 0

    def put(self, record_id: str, arrays: dict, meta: dict) -> int:
        """Add one record to the shard being filled (not committed until it is); returns its bytes."""
        n = self.size
        entries, small, density = [], [], None
        for name, value in arrays.items():
            a = np.asarray(value)
            if name == "density":
                if a.shape != (n, n, n):
                    raise HohenbergError(f"record {record_id!r}: density shape {a.shape} is not {(n, n, n)}")
                density, params = encode_density(a, self.density_codec)
                entries.append({"name": name, "dtype": "<f4", "shape": [n, n, n], "codec": self.density_codec.name,
                                "params": params, "crc32": zlib.crc32(density.tobytes())})
                continue
            if a.dtype.kind in "US":
                a = np.array(str(a.item()))
                entries.append({"name": name, "dtype": "str", "shape": []})
            elif a.dtype.kind in "biuf":
                a = _le(a)
                entries.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape)})
            else:
                raise TypeError(f"array {name!r} has dtype {a.dtype}, which a record cannot hold")
            small.append((name, a))
        header = json.dumps({"id": record_id, "arrays": entries, "meta": meta}, separators=(",", ":"))
        crc = zlib.crc32(header.encode())
        for _, a in small:
            crc = zlib.crc32(_bytes_of(a), crc)
        self.failed = True  # until this record is whole in the temp file
        if self._file is None:
            self._start()
        import h5py

        f, row = self._file, len(self._pending)
        nbytes = len(header) + sum(len(_bytes_of(a)) for _, a in small)
        if density is not None:
            ds = f["density"]
            ds.resize(row + 1, axis=0)
            ds[row] = density.reshape(n, n, n)
            nbytes += ds.id.get_chunk_info_by_coord((row, 0, 0, 0)).size
        g = f["records"].create_group(str(row), track_order=True)
        g.attrs["header"] = header
        for name, a in small:
            if a.dtype.kind in "US":
                g.create_dataset(name, data=str(a.item()), dtype=h5py.string_dtype())
            else:
                g.create_dataset(name, data=a)
        self._pending.append({"id": record_id, "offset": row, "nbytes": nbytes, "crc32": crc})
        self._bytes += nbytes
        self.failed = False
        if len(self._pending) >= self.shard_records or self._bytes >= self.shard_bytes:
            self.commit()
        return nbytes

    def commit(self) -> None:
        """Seal the shard being filled: close, fsync, rename into place, then write its index."""
        if self._file is None:
            return
        self.failed = True  # a failure below leaves nothing committed: the temp file is dropped
        import h5py

        f = self._file
        f.create_dataset("ids", data=[e["id"] for e in self._pending], dtype=h5py.string_dtype())
        f.close()
        self._file = None
        if self.durable:
            fd = os.open(self._tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        n = self.next_shard
        os.replace(self._tmp, h5_path(self.root, n))
        self._tmp = None
        if self.durable:
            _fsync_dir(self.root / layout.SHARDS)
        lines = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in self._pending)
        atomic_write(layout.shard_paths(self.root, n)[1], lines)  # the commit point
        self.next_shard, self._pending, self._bytes, self.failed = n + 1, [], 0, False

    def abort(self) -> None:
        """Drop the shard being filled (after a failed write): its records were never committed."""
        f, self._file = self._file, None
        if f is not None:
            try:
                f.close()
            except Exception:  # noqa: BLE001 - the file is being thrown away
                pass
        if self._tmp is not None:
            Path(self._tmp).unlink(missing_ok=True)
            self._tmp = None
        self._pending, self._bytes, self.failed = [], 0, False


def _bytes_of(a: np.ndarray) -> bytes:
    return str(a.item()).encode() if a.dtype.kind in "US" else a.tobytes()  # C order


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class H5Files:
    """Read-only ``h5py.File`` handles, opened lazily, one set per process (fork- and pickle-safe)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._files: dict = {}
        self._pid = os.getpid()

    def get(self, shard: int):
        import h5py

        if os.getpid() != self._pid:  # forked: the parent's handles are not ours to use (nor to close)
            self._files, self._pid = {}, os.getpid()
        f = self._files.get(shard)
        if f is None:
            # no chunk cache: random reads never revisit a chunk, and caching would cost a copy
            f = self._files[shard] = h5py.File(h5_path(self.root, shard), "r", rdcc_nbytes=0)
        return f

    def close(self) -> None:
        if os.getpid() == self._pid:
            for f in self._files.values():
                try:
                    f.close()
                except Exception:  # noqa: BLE001 - closing a damaged file
                    pass
        self._files = {}

    def __getstate__(self) -> dict:
        return {"root": self.root, "_files": {}, "_pid": None}


def read_record(files: H5Files, shard: int, row: int, crc: int, names: set[str] | None):
    """(record, problem): the decoded record, or None and why it is corrupt."""
    try:
        f = files.get(shard)
    except FileNotFoundError:
        return None, "shard file is missing"
    except OSError as exc:
        return None, f"shard file cannot be opened (truncated or damaged): {exc}"
    try:
        g = f["records"][str(row)]
        header_s = g.attrs["header"]
        header_s = header_s.decode() if isinstance(header_s, bytes) else str(header_s)
        header = json.loads(header_s)
        c = zlib.crc32(header_s.encode())
        arrays, density_entry = {}, None
        for e in header["arrays"]:
            if e["name"] == "density":
                density_entry = e
                continue
            ds = g[e["name"]]
            if e["dtype"] == "str":
                a = np.array(ds.asstr()[()])
            else:
                a = np.asarray(ds[()])
                if a.dtype.str != e["dtype"] or list(a.shape) != e["shape"]:
                    return None, f"array {e['name']!r} is {a.dtype.str} {list(a.shape)}, header says {e['dtype']} {e['shape']}"
            c = zlib.crc32(_bytes_of(a), c)
            if names is None or e["name"] in names:
                arrays[e["name"]] = a
        if c != crc:
            return None, "checksum (CRC32) mismatch: the stored values are corrupt"
        if density_entry is not None and (names is None or "density" in names):
            stored = f["density"][row]
            if zlib.crc32(stored.astype(stored.dtype.newbyteorder("<"), copy=False).tobytes()) != density_entry["crc32"]:
                return None, "density checksum (CRC32) mismatch: the stored values are corrupt"
            rho = decode_density(stored, density_entry["codec"], density_entry["params"])
            arrays["density"] = rho.reshape(density_entry["shape"])
        arrays = {e["name"]: arrays[e["name"]] for e in header["arrays"] if e["name"] in arrays}  # put order
    except (OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        return None, f"cannot be read: {exc}"
    return Record(header["id"], arrays, header.get("meta", {})), None
