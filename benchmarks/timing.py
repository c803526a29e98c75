"""What the timing benchmarks share: the wall time of a command as a new process, and a plain table."""

from __future__ import annotations

import statistics
import subprocess
import time


def wall(cmd: list[str], repeats: int, warm_up: bool = False) -> float:
    """Median wall seconds of ``cmd`` as a new process (after one untimed run with ``warm_up``)."""
    if warm_up:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def print_rows(rows: list[dict]) -> None:
    """Rows of dicts as a pipe table (the first row's keys are the columns)."""
    cols = list(rows[0])
    print(" | ".join(cols))
    print(" | ".join("---" for _ in cols))
    for r in rows:
        print(" | ".join(str(r[c]) for c in cols))
