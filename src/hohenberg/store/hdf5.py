"""The ``hdf5`` container: the grid layout's records in chunked, compressed HDF5 shard files (h5py).

Selected when a store is created (``StoreWriter(..., container="hdf5")``; the manifest then says
``"container": "hdf5"``).  Layout on disk, beside the manifest::

    DIR/shards/NNNNN.h5     one complete HDF5 file per shard, never modified once committed
    DIR/shards/NNNNN.idx    its index, JSON lines {"id", "offset" (= row), "nbytes", "crc32"},
                            written (temp file + rename) only after the .h5 file was renamed into place

Inside a shard file::

    /density            (rows, n, n, n), chunks (1, n, n, n): one molecule per chunk; byte shuffle +
                        gzip (zlib, level 6) + HDF5's fletcher32 chunk checksum.  dtype by density codec:
                        ``logq`` uint16, the same integers as the shard container (zigzagged second
                        differences of the log-quantised codes, :func:`codec.logq_codes`, the few
                        >= 0xFFFF patched from a list in the record header; so both containers
                        decode to bit-identical values and share the stated error bound),
                        ``f16`` float16, ``raw`` float32.
    /records/<row>      one group per record: attribute ``header`` (JSON: id, provenance, each array's
                        name/dtype/shape/CRC32, the density codec parameters) and one attribute
                        ``array:<name>`` per other array (grid_origin, homo_eV, ...; compact
                        attributes, kept in the group's object header; a value over 16 KB becomes a
                        dataset of the same name in the group).  File format objects of HDF5 1.10
                        (libver v110: readable by HDF5 >= 1.10).  Measured HDF5 overhead at 64^3:
                        ~0.75 KB per record in a 40-record file, ~1.6 KB in a 10-record one
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

**Integrity.**  The index keeps a CRC32 per record: of its header JSON, which in turn holds the
CRC32 of each array's stored values (the density row's uint16 codes / float16 / float32, and every
other array's bytes, little endian); a read checks the header and each array it reads, so a read
of the targets alone does not inflate the grid.  HDF5's fletcher32 filter also checks each
compressed chunk.  Any failure (a file that will not open, a
chunk that will not inflate, a checksum mismatch, a header naming another id) raises
:class:`CorruptRecordError` naming the record id, shard file and row.

**Forks.**  :class:`H5Files` opens ``h5py.File(path, "r")`` lazily and keeps the handles keyed by
process id: a forked DataLoader worker opens its own (the parent's are neither used nor closed
there), and a pickled reader carries none.  Tested with 2 DataLoader workers forked after the
parent had opened every shard.
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
_DENSITY_DTYPE = {"logq": "<u2", "f16": "<f2", "raw": "<f4"}
_ARRAY = "array:"  # attribute name prefix of a record's (small) arrays
_MAX_COMPACT = 1000  # attributes kept in a record group's object header before HDF5 goes dense
_ATTR_BYTES = 16384  # larger values become datasets (a compact attribute must fit in 64 KB)


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
        # 16 bits per voxel, the few larger codes (nuclear cusps) patched from a list, as in the
        # shards container: 32-bit codes would cost 2x the bytes to inflate for <1 % smaller files
        patch = np.flatnonzero(z >= codec.ESCAPE)
        params = {"floor": float(density_codec.floor), "step": float(density_codec.step),
                  "patch_at": patch.tolist(), "patch_code": z[patch].tolist()}
        return np.minimum(z, codec.ESCAPE).astype("<u2"), params
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
        z = np.asarray(stored).ravel().astype(np.uint32)
        at = np.asarray(params["patch_at"], dtype=np.int64)
        if at.size and (at.min() < 0 or at.max() >= z.size):
            raise ValueError("patch position out of range")
        z[at] = np.asarray(params["patch_code"], dtype=np.uint32)
        return codec.logq_values(z, params)
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
        self.intent = lambda intent: None  # the store writer records the commit begun (see recover)
        self._last = None

    def recover(self, intent: dict | None = None) -> set[str]:
        """Delete what a killed writer left uncommitted; return the committed ids.

        Deleted: temp files, and an ``.h5`` without an index that is no readable sealed shard or is
        the one whose commit ``intent`` names (renamed into place, killed before its index was
        written).  A readable sealed shard with no index, or an index that lists fewer rows than
        its file holds, is data an index lost: nothing is deleted, the writer stops.
        """
        folder = self.root / layout.SHARDS
        numbers = layout.shard_numbers(self.root)
        ids: set[str] = set()
        self._last = None
        for n in numbers:
            _, idx = layout.shard_paths(self.root, n)
            raw = idx.read_bytes()
            entries, problems, committed = layout.parse_index(raw)
            if problems or committed < len(raw):  # written atomically: damage, not a crash
                raise HohenbergError(f"{idx}: {problems[0] if problems else 'last line cut short'}; "
                                     f"nothing was changed: run 'hohenberg store repair {self.root}'")
            if not h5_path(self.root, n).is_file():
                raise HohenbergError(f"{h5_path(self.root, n)}: shard file is missing; "
                                     f"run 'hohenberg store verify {self.root}'")
            rows = h5_ids(h5_path(self.root, n))
            if rows is not None and len(rows) > len(entries):
                raise HohenbergError(f"{self.root}: {h5_path(self.root, n).name} holds {len(rows)} records, "
                                     f"{idx.name} lists {len(entries)}; nothing was changed: run "
                                     f"'hohenberg store repair {self.root}'")
            ids.update(e["id"] for e in entries)
            if entries:
                self._last = (n, entries[-1]["offset"])
        orphans = [p for p in folder.glob(f"*{SUFFIX}") if p.stem.isdigit() and int(p.stem) not in numbers]
        for p in orphans:
            rows = h5_ids(p)
            if rows and intent != {"commit": int(p.stem)}:
                raise HohenbergError(f"{self.root}: {p.name} holds {len(rows)} records but has no index, and no "
                                     "interrupted commit explains it; nothing was changed: run "
                                     f"'hohenberg store repair {self.root}'")
        for p in folder.glob(f".*{SUFFIX}.*.tmp"):  # a shard being filled when its writer died
            p.unlink(missing_ok=True)
        for p in orphans:  # renamed into place, killed before its index was written
            p.unlink(missing_ok=True)
        self.next_shard = max(numbers, default=-1) + 1
        return ids

    def last_meta(self) -> dict | None:
        """The provenance of the last committed record (None if none or unreadable: verify says why)."""
        if self._last is None:
            return None
        header = record_header(h5_path(self.root, self._last[0]), self._last[1])
        return None if header is None else header.get("meta", {})

    def _start(self) -> None:
        import h5py

        n = self.size
        self._tmp = self.root / layout.SHARDS / f".{self.next_shard:05d}{SUFFIX}.{os.getpid()}.tmp"
        # no chunk cache: every chunk is written once, whole, and goes straight to disk
        f = self._file = h5py.File(self._tmp, "w", rdcc_nbytes=0, libver=("v110", "v110"))
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
            if not isinstance(name, str) or "/" in name or name in ("", "."):
                raise ValueError(f"array name {name!r} cannot name an HDF5 attribute or dataset")
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
            entries[-1]["crc32"] = zlib.crc32(_bytes_of(a))
            small.append((name, a))
        header = json.dumps({"id": record_id, "arrays": entries, "meta": meta}, separators=(",", ":"))
        crc = zlib.crc32(header.encode())  # the header holds every array's CRC32: reads check only what they read
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
        # compact attribute storage however many arrays: past HDF5's default of 8 attributes it
        # switches to "dense" storage (a fractal heap per record), measured +2.3 KB per record
        gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
        gcpl.set_attr_phase_change(_MAX_COMPACT, _MAX_COMPACT - 1)
        g = h5py.Group(h5py.h5g.create(f["records"].id, str(row).encode(), gcpl=gcpl))
        _put_value(g, "header", np.array(header))
        for name, a in small:  # attributes: kept in the group's own header, no object per array
            _put_value(g, _ARRAY + name, a)
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
        self.intent({"commit": n})
        os.replace(self._tmp, h5_path(self.root, n))
        self._tmp = None
        if self.durable:
            _fsync_dir(self.root / layout.SHARDS)
        lines = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in self._pending)
        atomic_write(layout.shard_paths(self.root, n)[1], lines)  # the commit point
        self.intent(None)
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


def h5_ids(path: Path) -> list[str] | None:
    """The ids a sealed shard file holds, in row order; None if it is no readable sealed shard."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return [x.decode() if isinstance(x, bytes) else str(x) for x in f["ids"][()]]
    except (OSError, KeyError, ValueError, TypeError):
        return None


def record_header(path: Path, row: int) -> dict | None:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return json.loads(str(_get_value(f["records"][str(row)], "header", True)))
    except (OSError, KeyError, ValueError, TypeError):
        return None


def index_entries(path: Path) -> tuple[list[dict], dict[int, str]]:
    """The index a sealed shard file's own contents imply (what ``commit`` wrote), and the rows
    that cannot be read (row -> why; left out, their bytes stay in the file)."""
    import h5py

    entries, problems = [], {}
    with h5py.File(path, "r") as f:
        ids = [x.decode() if isinstance(x, bytes) else str(x) for x in f["ids"][()]]
        for row, record_id in enumerate(ids):
            try:
                g = f["records"][str(row)]
                header_s = str(_get_value(g, "header", True))
                header = json.loads(header_s)
                nbytes = len(header_s)
                for e in header["arrays"]:
                    if e["name"] == "density":
                        nbytes += f["density"].id.get_chunk_info_by_coord((row, 0, 0, 0)).size
                    else:
                        nbytes += len(_bytes_of(_get_value(g, _ARRAY + e["name"], e["dtype"] == "str")))
                if header["id"] != record_id:
                    raise ValueError(f"row holds {header['id']!r}, /ids says {record_id!r}")
            except (OSError, KeyError, ValueError, TypeError) as exc:
                problems[row] = f"row {row} ({record_id!r}) cannot be read: {exc}"
                continue
            entries.append({"id": record_id, "offset": row, "nbytes": nbytes, "crc32": zlib.crc32(header_s.encode())})
    return entries, problems


def uncommitted_files(root: Path) -> dict[int, int]:
    """shard number -> bytes of files a killed writer left: temp files, and .h5 files without an index."""
    folder, out = Path(root) / layout.SHARDS, {}
    committed = set(layout.shard_numbers(Path(root)))
    for p in folder.glob(f".*{SUFFIX}.*.tmp"):
        stem = p.name[1:].split(".")[0]
        if stem.isdigit():
            out[int(stem)] = out.get(int(stem), 0) + p.stat().st_size
    for p in folder.glob(f"*{SUFFIX}"):
        if p.stem.isdigit() and int(p.stem) not in committed:
            out[int(p.stem)] = out.get(int(p.stem), 0) + p.stat().st_size
    return out


def _put_value(g, key: str, a: np.ndarray) -> None:
    import h5py

    is_str = a.dtype.kind in "US"
    value = str(a.item()) if is_str else a
    dtype = h5py.string_dtype() if is_str else a.dtype
    if len(_bytes_of(a)) <= _ATTR_BYTES:
        g.attrs.create(key, value, dtype=dtype)
    else:
        g.create_dataset(key, data=value, dtype=dtype)


def _get_value(g, key: str, is_str: bool):
    v = g.attrs[key] if key in g.attrs else g[key][()]
    if is_str:
        return np.array(v.decode() if isinstance(v, bytes) else str(v))
    return np.asarray(v)


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
        header_s = str(_get_value(g, "header", True))
        if zlib.crc32(header_s.encode()) != crc:
            return None, "checksum (CRC32) mismatch: the record header is corrupt"
        header = json.loads(header_s)
        arrays, density_entry = {}, None
        for e in header["arrays"]:
            if e["name"] == "density":
                density_entry = e
                continue
            if names is not None and e["name"] not in names:
                continue
            a = _get_value(g, _ARRAY + e["name"], e["dtype"] == "str")
            if e["dtype"] != "str" and (a.dtype.str != e["dtype"] or list(a.shape) != e["shape"]):
                    return None, f"array {e['name']!r} is {a.dtype.str} {list(a.shape)}, header says {e['dtype']} {e['shape']}"
            if zlib.crc32(_bytes_of(a)) != e["crc32"]:
                return None, f"checksum (CRC32) mismatch: the stored values of {e['name']!r} are corrupt"
            arrays[e["name"]] = a
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
