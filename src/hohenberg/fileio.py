"""Write files so that readers never see half of one: temp file in the same folder + rename.

A crash or Ctrl-C mid-write leaves the old file (or none), never a truncated one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np


@contextmanager
def atomic_open(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temp file beside ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a finished file gets the usual mode
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    with atomic_open(path, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
    return Path(path)


def write_records_csv(path: str | Path, records: list[dict]) -> Path:
    """Rows of dicts (the first row's keys are the columns) as a CSV file, written atomically."""
    import csv

    with atomic_open(path, "w") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return Path(path)


def to_jsonable(obj: Any) -> Any:
    """Plain-Python copy of ``obj`` (numpy scalars/arrays, paths, NaN -> null)."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def write_json(path: str | Path, data: Any, indent: int = 2) -> Path:
    """``data`` (made plain by :func:`to_jsonable`) as a JSON file, written atomically."""
    return atomic_write(path, json.dumps(to_jsonable(data), indent=indent))


def read_json(path: str | Path, what: str = "JSON file") -> dict:
    """The JSON object in ``path`` ({} when there is no such file); an unreadable one is an error
    naming it (``what`` says what it should have been)."""
    from hohenberg.errors import InputError

    path = Path(path)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(path, f"unreadable {what} ({exc})") from None


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_checksums(folder: str | Path, digests: Mapping[str, str]) -> None:
    """Every ``name -> SHA-256`` of a model card holds for the files in ``folder``; a missing or
    changed file is an error naming it (a damaged installation or an edited model folder)."""
    from hohenberg.errors import InputError

    for name, digest in digests.items():
        path = Path(folder) / name
        if not path.is_file():
            raise InputError(path, "missing: the model card lists it")
        if sha256_of(path) != digest:
            raise InputError(path, "checksum differs: the file does not match the model card (changed or "
                                   "damaged); reinstall the package or retrain")
