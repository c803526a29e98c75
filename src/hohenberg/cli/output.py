"""Printing results: a rich table for people, or the same numbers as JSON with ``--json``."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    from hohenberg.fileio import to_jsonable  # numpy: not at the command line's start

    print(json.dumps(to_jsonable(data), indent=2))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*[fmt(v) for v in row])
    console.print(table)


def fmt(value: Any) -> str:
    if isinstance(value, float) or _numpy_float(value):
        if not math.isfinite(value):
            return "-"
        a = abs(value)
        return f"{value:.4g}" if a and (a < 1e-3 or a >= 1e5) else f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _numpy_float(value: Any) -> bool:
    """Whether ``value`` is a numpy float (float32 is no Python float).  One exists only once
    numpy is imported, and this module must not import it: the command line starts without it."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.floating)
