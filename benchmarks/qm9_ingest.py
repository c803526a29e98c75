"""QM9 ingest and table load: time and peak memory, against qm9pack's own pandas reader.

    python benchmarks/qm9_ingest.py [--source WHEEL_OR_DIR] [--json]

Rows (each in a fresh subprocess so that peak RSS is its own):
- baseline  : what ``qm9pack.get_data()`` does -- pandas reads the CSVs; list columns stay text
- ingest    : ``hohenberg.datasets.qm9.ingest`` -- everything parsed, checked and converted
- save      : write the table (.npz, atomic)
- load      : ``MoleculeTable.load`` of that file
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

STEPS = {
    # what qm9pack.get_data() does (its import needs pkg_resources): pandas reads and merges
    "baseline": "from hohenberg.datasets.qm9 import detect_source; import pandas as pd; "
                "d = detect_source(SOURCE).path; "
                "df = pd.concat([pd.read_csv(p) for p in sorted(d.glob('qm9_part*.csv'))]); "
                "df = df.merge(pd.read_csv(d / 'qm9_polarizability.csv'), on='XYZ_file'); n = len(df)",
    "ingest": "from hohenberg.datasets import qm9; t = qm9.ingest(SOURCE); n = len(t)",
    "save": "from hohenberg.datasets import qm9; t = qm9.ingest(SOURCE); import time; "
            "t0 = time.perf_counter(); t.save(TABLE); dt = time.perf_counter() - t0; n = len(t)",
    "load": "from hohenberg.molecules import MoleculeTable; t = MoleculeTable.load(TABLE); n = len(t)",
}

RUNNER = """
import json, resource, time, warnings
warnings.filterwarnings('ignore')
SOURCE, TABLE = {source!r}, {table!r}
t0 = time.perf_counter()
dt = None
{code}
elapsed = time.perf_counter() - t0 if dt is None else dt
print(json.dumps({{"seconds": elapsed, "n": n, "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", default=None, help="QM9 source (default: installed qm9pack)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        table = str(Path(tmp) / "qm9.npz")
        for name, code in STEPS.items():
            script = RUNNER.format(source=args.source, table=table, code=code)
            proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"{name} failed:\n{proc.stderr[-2000:]}")
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        size_MB = Path(table).stat().st_size / 1e6
    base = results["baseline"]["seconds"]
    rows = [{"step": k, "molecules": v["n"], "time_s": round(v["seconds"], 3),
             "ratio_to_baseline": round(v["seconds"] / base, 3), "peak_rss_MiB": round(v["peak_rss_MiB"], 1)}
            for k, v in results.items()]
    if args.json:
        print(json.dumps({"rows": rows, "table_size_MB": round(size_MB, 1)}, indent=2))
        return
    print(f"{'step':<10}{'molecules':>10}{'time_s':>10}{'x baseline':>12}{'peak_RSS_MiB':>14}")
    for r in rows:
        print(f"{r['step']:<10}{r['molecules']:>10}{r['time_s']:>10.3f}{r['ratio_to_baseline']:>12.3f}{r['peak_rss_MiB']:>14.1f}")
    print(f"table file: {size_MB:.1f} MB")


if __name__ == "__main__":
    main()
