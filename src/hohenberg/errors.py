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


class MoleculeError(HohenbergError, ValueError):
    """A molecule that cannot exist as given (electron count and spin, atomic numbers, positions).

    Also a ``ValueError``, so code that checks values the usual way keeps catching it; readers
    add the file it came from (:class:`InputError`)."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message, cut to ``limit`` characters (libraries' messages
    can run to pages)."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else ""


class InputWarning(UserWarning):
    """An input was read after a repair the user should know of (e.g. hydrogens added); the
    command line prints it as one ``warning:`` line."""
