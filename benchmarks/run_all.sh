#!/usr/bin/env bash
# Run every benchmark with the project's environment (make install first).
# *_learning_curve.py are experiments (hours, need a store and a QM9 table): run them by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in benchmarks/*.py; do
  case "$script" in *_learning_curve.py) continue ;; esac
  echo "== $script"
  .venv/bin/python "$script" "$@"
done
