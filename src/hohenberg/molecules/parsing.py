"""Strict number and symbol parsing shared by the text readers, with errors naming file and line."""

from __future__ import annotations

import math
from pathlib import Path

from hohenberg.errors import InputError
from hohenberg.units import atomic_number


def parse_float(token: str, path: str | Path | None, line: int, what: str) -> float:
    """A finite float; accepts Fortran/Mathematica exponents (``1.2*^-6``, ``1.2D-6``)."""
    text = token.strip().replace("*^", "e").replace("D", "e").replace("d", "e")
    try:
        value = float(text)
    except ValueError:
        raise InputError(path, f"{what}: {token!r} is not a number", line) from None
    if not math.isfinite(value):
        raise InputError(path, f"{what}: {token!r} is not a finite number", line)
    return value


def parse_int(token: str, path: str | Path | None, line: int, what: str) -> int:
    try:
        return int(token.strip())
    except ValueError:
        raise InputError(path, f"{what}: expected a whole number, found {token.strip()!r}", line) from None


def parse_element(token: str, path: str | Path | None, line: int) -> int:
    try:
        return atomic_number(token)
    except ValueError:
        raise InputError(path, f"unknown element {token.strip()!r}", line) from None


def read_text(path: str | Path) -> str:
    """File contents as text; a missing, binary or empty file is a clear error."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "the file is empty")
    if b"\0" in data[:4096]:
        raise InputError(path, "binary data where text was expected")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
