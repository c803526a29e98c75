"""Errors that a user can act on: they name the file, line or molecule and what is wrong."""

from __future__ import annotations

from pathlib import Path


class HohenbergError(Exception):
    """Base class of errors reported to the user as one line, never as a traceback."""


class InputError(HohenbergError):
    """Bad input: ``path:line: message`` (line optional, 1-based)."""

    def __init__(self, path: str | Path | None, message: str, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.message = message
        where = self.path or "<input>"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {message}")
