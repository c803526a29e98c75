"""On-disk layout of a store (one folder) and its manifest.

    DIR/store.json          manifest: format version, layout, density codec, configuration
                            (level, grid spacing and size), code version; written once, atomically
    DIR/shards/NNNNN.dat    record bytes, append-only                   (container "shards", the default)
    DIR/shards/NNNNN.h5     or: one sealed HDF5 file per shard          (container "hdf5": store/hdf5.py)
    DIR/shards/NNNNN.idx    the shard's index: one JSON line per committed record
                            {"id", "offset", "nbytes", "crc32"}, appended after its bytes are on disk
                            (hdf5: offset = row; the whole index written after the .h5 is in place)
    DIR/.writer.lock        held by the one writer (POSIX lock, released by the kernel on death)
    DIR/failures.jsonl      molecules the batch could not compute (id, reason)

Layouts: ``grid`` stores the density on the record's grid (codec in the manifest); ``orbitals``
stores the occupied orbitals and the AO basis as integer/float tables (PySCF's ``_atm``,
``_bas``, ``_env``; never its ``eval``-based ``loads``), and renders densities when read, on the
record's grid or any other (rotated, finer, coarser).
"""

from __future__ import annotations

import json
from pathlib import Path

from hohenberg.errors import InputError

FORMAT = "hohenberg-store"
VERSION = 1
LAYOUTS = ("grid", "orbitals")
CONTAINERS = ("shards", "hdf5")  # record files: our append-only shards, or HDF5 (grid layout; store/hdf5.py)
DEFAULT_CONTAINER = "shards"
MANIFEST = "store.json"
SHARDS = "shards"
LOCK = ".writer.lock"
INTENT = ".writer.intent"  # what the writer is committing right now (see read_intent)
LOST = "lost+found"  # where 'hohenberg store repair' moves bytes that are no record
FAILURES = "failures.jsonl"
SHARD_BYTES = 1 << 30  # 1 GiB: ~10^4 records at 64^3, a few hundred files for QM9


def shard_paths(root: Path, n: int) -> tuple[Path, Path]:
    base = root / SHARDS / f"{n:05d}"
    return base.with_suffix(".dat"), base.with_suffix(".idx")


def shard_numbers(root: Path) -> list[int]:
    folder = root / SHARDS
    if not folder.is_dir():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.idx") if p.stem.isdigit())


def data_numbers(root: Path, suffix: str = ".dat") -> list[int]:
    """Shard numbers that have a data file (``.dat`` or ``.h5``), whether or not an index names them."""
    folder = root / SHARDS
    if not folder.is_dir():
        return []
    return sorted(int(p.stem) for p in folder.glob(f"*{suffix}") if p.stem.isdigit())


def read_intent(root: Path) -> dict | None:
    """The commit a writer had begun and not finished, if any (it is cleared after each commit).

    Only a writer killed between writing a record's bytes (or renaming an HDF5 shard into place)
    and writing its index leaves one; it lets the next writer tell those bytes, which it may drop
    as before, from complete records an index lost, which it must not.
    """
    try:
        return json.loads((Path(root) / INTENT).read_bytes())
    except (OSError, ValueError):
        return None


def index_line(entry: dict) -> str:
    return json.dumps({k: entry[k] for k in ("id", "offset", "nbytes", "crc32")}, separators=(",", ":")) + "\n"


def container_of(manifest: dict) -> str:
    """A manifest written before containers existed is a ``shards`` store."""
    return manifest.get("container", "shards")


def read_manifest(root: Path) -> dict:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise InputError(root, f"not a Hohenberg store (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as exc:
        raise InputError(path, f"manifest is not JSON ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise InputError(path, f"format {manifest.get('format')!r} is not {FORMAT!r}")
    if manifest.get("version") != VERSION:
        raise InputError(path, f"store format version {manifest.get('version')} (this code reads {VERSION})")
    if manifest.get("layout") not in LAYOUTS:
        raise InputError(path, f"unknown layout {manifest.get('layout')!r}")
    if container_of(manifest) not in CONTAINERS:
        raise InputError(path, f"unknown container {manifest.get('container')!r}")
    return manifest


def parse_index(data: bytes) -> tuple[list[dict], list[str], int]:
    """(entries, problems, length of the committed part) of one shard index.

    A last line without its newline is a commit cut short by a crash: not a record, not an error.
    """
    entries, problems = [], []
    end = data.rfind(b"\n") + 1
    for lineno, line in enumerate(data[:end].splitlines(), 1):
        try:
            e = json.loads(line)
            entries.append({"id": str(e["id"]), "offset": int(e["offset"]), "nbytes": int(e["nbytes"]),
                            "crc32": int(e["crc32"])})
        except (ValueError, KeyError, TypeError):
            problems.append(f"index line {lineno} is unreadable")
    return entries, problems, end
