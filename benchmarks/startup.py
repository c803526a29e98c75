"""Command start-up: ``hohenberg version`` and ``hohenberg --help`` against ``import hohenberg``.

Wall seconds of a new process, median of ``--repeats`` runs after one untimed warm-up run of each
(files in the page cache).  The baseline, measured in the same run, is
``python -c "import hohenberg"``: the interpreter's own start plus the package root, the least
any command can cost.  What a command adds beyond it is the command line itself (typer, rich, and
every command module, which typer reads to build ``--help``); library modules that import numpy,
torch or RDKit are imported only by the command that runs.  Goal: both commands at most 0.5 s on
an idle machine.

    python benchmarks/startup.py [--repeats 11] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from timing import print_rows, wall  # benchmarks/timing.py, beside this script

GOAL_S = 0.5
SCRIPT = Path(sys.executable).with_name("hohenberg")  # the installed entry point, beside this interpreter
# without an installed entry point: the same function the entry point calls
COMMAND = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-c", "from hohenberg.cli.main import main; main()"]


def run(repeats: int) -> list[dict]:
    cases = [("python -c 'import hohenberg' (baseline)", [sys.executable, "-c", "import hohenberg"]),
             ("hohenberg version", [*COMMAND, "version"]),
             ("hohenberg --help", [*COMMAND, "--help"])]
    rows = []
    for label, cmd in cases:
        rows.append({"command": label, "median_s": round(wall(cmd, repeats, warm_up=True), 3)})
    base = rows[0]["median_s"]
    for r in rows:
        r["ratio_to_baseline"] = round(r["median_s"] / base, 1)
        r["within_goal"] = r["median_s"] <= GOAL_S
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed runs per command (the median is reported)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = run(args.repeats)
    if args.json:
        print(json.dumps({"machine": f"{os.cpu_count()} cores", "load_average_1min": round(os.getloadavg()[0], 2),
                          "repeats": args.repeats, "goal_s": GOAL_S, "rows": rows}, indent=2))
        return
    print_rows(rows)
    print(f"median of {args.repeats} runs; goal {GOAL_S} s; 1-minute load average {os.getloadavg()[0]:.2f} "
          "(others' work on the machine slows every row alike)")


if __name__ == "__main__":
    main()
