"""Bad inputs at the command line: how many end in one clear message, and how many do not.

Runs every case of the corpus in ``tests/bad_inputs_corpus.py`` (files with mistakes, bad
SMILES, out-of-range options, molecules and levels PySCF rejects, corrupt model folders and
stores, oversized archives) as its own ``hohenberg`` process with a time limit, and sorts the
outcomes:

* clear: exit status 2, no traceback, one message of at most 500 characters (or, for a case
  whose input is repaired, exit 0 with a warning saying so);
* traceback: a Python traceback, or any other exit status;
* overlong: exit 2 but a message longer than the cap;
* silent: exit 0 on input that must be refused, or repaired without a word;
* hang: still running at the time limit (killed).

    python benchmarks/bad_inputs.py [--timeout 60] [--category SMILES] [--match TEXT] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bad_inputs_corpus import MESSAGE_CAP, Case, build_cases, message_of  # noqa: E402

OUTCOMES = ("clear", "traceback", "overlong", "silent", "hang")


def run_case(case: Case, timeout: float) -> dict:
    cmd = [sys.executable, "-c", "from hohenberg.cli.main import main; main()", *case.argv]
    env = dict(os.environ, COLUMNS="200", OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"outcome": "hang", "seconds": timeout, "message": ""}
    seconds = time.perf_counter() - t0
    err = proc.stderr.strip()
    message = message_of(err)
    if "Traceback" in proc.stderr or proc.returncode not in (0, 2):
        outcome = "traceback"
    elif proc.returncode == 0:
        warned = case.expect == "warning" and "warning" in err.lower()
        outcome = "clear" if warned else "silent"
    elif len(message) > MESSAGE_CAP + len("error: "):
        outcome = "overlong"
    else:
        outcome = "clear"
    return {"outcome": outcome, "seconds": round(seconds, 2), "exit": proc.returncode,
            "message": message[:300] if outcome != "traceback" else err.splitlines()[-1][:300] if err else ""}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=60.0, help="Seconds before a case counts as a hang.")
    ap.add_argument("--category", default=None, help="Only this category.")
    ap.add_argument("--match", default=None, help="Only cases whose label contains this text.")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = build_cases(Path(tmp))
        if args.category:
            cases = [c for c in cases if c.category == args.category]
        if args.match:
            cases = [c for c in cases if args.match in c.label]
        results = []
        for case in cases:
            r = run_case(case, args.timeout)
            results.append({"category": case.category, "case": case.label, **r})
            if not args.json:
                print(f"{r['outcome']:>9}  {r['seconds']:6.1f} s  {case.category}: {case.label}  | {r['message'][:110]}",
                      flush=True)
    counts: dict[str, dict[str, int]] = {}
    for r in results:
        row = counts.setdefault(r["category"], {"tried": 0, **{o: 0 for o in OUTCOMES}})
        row["tried"] += 1
        row[r["outcome"]] += 1
    total = {"tried": len(results), **{o: sum(r["outcome"] == o for r in results) for o in OUTCOMES}}
    if args.json:
        print(json.dumps({"message_cap_chars": MESSAGE_CAP, "timeout_s": args.timeout, "by_category": counts,
                          "total": total, "cases": results}, indent=2))
        return
    cols = ["tried", *OUTCOMES]
    print(f"\n{'category':<22}" + "".join(f"{c:>10}" for c in cols))
    for cat, row in counts.items():
        print(f"{cat:<22}" + "".join(f"{row[c]:>10}" for c in cols))
    print(f"{'total':<22}" + "".join(f"{total[c]:>10}" for c in cols))


if __name__ == "__main__":
    main()
