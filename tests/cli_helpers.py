"""The real ``hohenberg`` entry point run in-process, for tests that check exit statuses and output."""

from __future__ import annotations

import sys

from typer.testing import CliRunner

runner = CliRunner()


def cli(*args):
    """Run the real entry point in-process: (exit status, stdout, stderr on one line)."""
    from hohenberg.cli.main import main

    with runner.isolation() as (out, err, _):
        old = sys.argv
        sys.argv = ["hohenberg", *map(str, args)]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        finally:
            sys.argv = old
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return code, stdout, " ".join(stderr.split())
