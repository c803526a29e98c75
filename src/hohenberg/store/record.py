"""One record: the bytes stored for one molecule, and how to turn them back into arrays.

    b"HBR1" | header length (uint32, little endian) | header (JSON) | payloads, in header order

The header names the record's id, each array (name, dtype, shape, codec, byte count, codec
parameters) and the record's provenance (level, grid, code version).  The CRC32 of all these bytes
lives in the index, outside the record, so that a record cannot vouch for itself.  JSON and raw
little-endian bytes only: nothing here can execute code when read.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from hohenberg.store import codec

MAGIC = b"HBR1"
_HEAD = struct.Struct("<4sI")
SMALL = 1024  # bytes: arrays this small are stored raw (deflate would only add framing)


class RecordFormatError(ValueError):
    """The bytes are not a well-formed record (the caller adds the record id and file)."""


@dataclass(frozen=True)
class DensityCodec:
    """How ``density`` is stored in the grid layout.

    ``logq``: log-quantised (see :mod:`hohenberg.store.codec`), per-voxel relative error at most
    expm1(step/2) (7.5e-5 at the default step) for rho >= floor, absolute error <= floor below it;
    so the integrated density is off by at most 7.5e-5 relative + floor x box volume (1.4e-5 e).
    ``f16``: float16 (relative error <= 2^-11 in the normal range, absolute <= 3e-8 below 6e-5).
    ``raw``: float32, deflated (lossless for the float32 the batch computes).
    """

    name: str = "logq"
    floor: float = 1e-9  # electrons/bohr^3; x 14,000 bohr^3 (64^3 at 0.2 A) = 1.4e-5 electrons at most
    step: float = 1.5e-4  # in log(rho); 5e-4 gives ~15 % smaller records at a 2.5e-4 bound

    def __post_init__(self) -> None:
        if self.name not in ("logq", "f16", "raw"):
            raise ValueError(f"unknown density codec {self.name!r} (logq, f16, raw)")
        if not (self.floor > 0 and 0 < self.step < 0.1):
            raise ValueError("density codec needs floor > 0 and 0 < step < 0.1")


@dataclass
class Record:
    """A decoded record: arrays by name plus the provenance written with it."""

    id: str
    arrays: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


def _encode_array(name: str, value, density_codec: DensityCodec) -> tuple[dict, bytes]:
    a = np.asarray(value)
    if a.dtype.kind in "US":  # text (e.g. the PySCF basis dump): UTF-8, deflated
        data = zlib.compress(str(a.item()).encode(), codec.ZLIB_LEVEL)
        return {"name": name, "dtype": "str", "shape": [], "codec": "deflate", "params": {}}, data
    if a.dtype.kind not in "biuf":
        raise TypeError(f"array {name!r} has dtype {a.dtype}, which a record cannot hold")
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    entry = {"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "params": {}}
    if name == "density" and density_codec.name == "logq":
        data, entry["params"] = codec.logq_encode(a, density_codec.floor, density_codec.step)
        entry.update(codec="logq", dtype="<f4")
    elif name == "density" and density_codec.name == "f16":
        data, entry["params"] = codec.f16_encode(a)
        entry.update(codec="f16", dtype="<f4")
    elif a.nbytes > SMALL:
        data, _ = codec.deflate_encode(a)
        entry["codec"] = "deflate"
    else:
        data = np.ascontiguousarray(a).tobytes()
        entry["codec"] = "raw"
    return entry, data


def encode_record(record_id: str, arrays: dict, meta: dict, density_codec: DensityCodec) -> bytes:
    entries, payloads = [], []
    for name, value in arrays.items():
        entry, data = _encode_array(name, value, density_codec)
        entry["nbytes"] = len(data)
        entries.append(entry)
        payloads.append(data)
    header = json.dumps({"id": record_id, "arrays": entries, "meta": meta}, separators=(",", ":")).encode()
    return _HEAD.pack(MAGIC, len(header)) + header + b"".join(payloads)


def decode_header(blob: bytes) -> tuple[dict, int]:
    """(header, offset of the first payload)."""
    if len(blob) < _HEAD.size:
        raise RecordFormatError(f"{len(blob)} bytes is shorter than a record header")
    magic, n = _HEAD.unpack_from(blob)
    if magic != MAGIC:
        raise RecordFormatError(f"bad magic {magic!r}")
    try:
        header = json.loads(blob[_HEAD.size:_HEAD.size + n])
    except ValueError as exc:
        raise RecordFormatError(f"header is not JSON ({exc})") from None
    return header, _HEAD.size + n


def _record_length(read, pos: int, end: int) -> int | None:
    """Length of the whole record starting at ``pos`` per its own header, or None if there is none."""
    head = read(pos, _HEAD.size)
    if len(head) < _HEAD.size:
        return None
    magic, n = _HEAD.unpack(head)
    if magic != MAGIC or pos + _HEAD.size + n > end:
        return None
    try:
        header = json.loads(read(pos + _HEAD.size, n))
        total = _HEAD.size + n + sum(int(a["nbytes"]) for a in header["arrays"])
        if not isinstance(header["id"], str):
            return None
    except (ValueError, KeyError, TypeError):
        return None
    return total if pos + total <= end else None


def _next_magic(read, pos: int, end: int, chunk: int = 1 << 20) -> int:
    while pos < end:
        data = read(pos, min(chunk, end - pos) + len(MAGIC) - 1)
        i = data.find(MAGIC)
        if i >= 0 and pos + i < end:
            return pos + i
        pos += chunk
    return end


def scan_records(read, start: int, end: int) -> tuple[list[dict], list[tuple[int, int]]]:
    """The complete records in bytes [start, end) of a shard, found from their own headers, and the
    byte ranges that hold none (a record cut by a crash, or damage).

    ``read(offset, n)`` returns bytes.  A record counts as complete only if every array in it
    decodes, so a cut or damaged one is never taken for data.  Each found record comes as an index
    entry (id, offset, nbytes, crc32 of its bytes as they are now).  After bytes that are no record
    the scan resumes at the next ``MAGIC``, so one damaged record does not hide those after it.
    """
    found, other = [], []
    pos = start
    while pos < end:
        n = _record_length(read, pos, end)
        blob = read(pos, n) if n is not None else b""
        try:
            rec = decode_record(blob) if n is not None and len(blob) == n else None
        except (RecordFormatError, KeyError, TypeError, ValueError):
            rec = None
        if rec is None:
            nxt = _next_magic(read, pos + 1, end)
            if other and other[-1][1] == pos:
                other[-1] = (other[-1][0], nxt)
            else:
                other.append((pos, nxt))
            pos = nxt
            continue
        found.append({"id": rec.id, "offset": pos, "nbytes": n, "crc32": zlib.crc32(blob)})
        pos += n
    return found, other


def decode_record(blob: bytes, names: set[str] | None = None) -> Record:
    """Decode the arrays of a record (only ``names`` if given: skipping the density saves time)."""
    header, pos = decode_header(blob)
    arrays = {}
    for e in header["arrays"]:
        data = blob[pos:pos + e["nbytes"]]
        pos += e["nbytes"]
        if len(data) != e["nbytes"]:
            raise RecordFormatError(f"array {e['name']!r} is cut short")
        if names is not None and e["name"] not in names:
            continue
        try:
            arrays[e["name"]] = _decode_array(e, data)
        except (ValueError, zlib.error) as exc:
            raise RecordFormatError(f"array {e['name']!r} cannot be decoded ({exc})") from None
    if pos != len(blob):
        raise RecordFormatError(f"{len(blob) - pos} bytes beyond the last array")
    return Record(header["id"], arrays, header.get("meta", {}))


def _decode_array(e: dict, data: bytes) -> np.ndarray:
    if e["dtype"] == "str":
        return np.array(zlib.decompress(data).decode())
    dtype, shape = np.dtype(e["dtype"]), tuple(e["shape"])
    count = int(np.prod(shape, dtype=np.int64))
    if e["codec"] == "logq":
        flat = codec.logq_decode(data, e["params"], count)
    elif e["codec"] == "f16":
        flat = codec.f16_decode(data, e["params"], count)
    elif e["codec"] == "deflate":
        flat = codec.deflate_decode(data, dtype, count)
    elif e["codec"] == "raw":
        if len(data) != count * dtype.itemsize:
            raise ValueError(f"{len(data)} bytes for {count} x {dtype}")
        flat = np.frombuffer(data, dtype=dtype).copy()
    else:
        raise ValueError(f"unknown codec {e['codec']!r}")
    return flat.reshape(shape)
