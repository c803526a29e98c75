#!/usr/bin/env bash
# Run every benchmark with the project's environment (make install first).
set -euo pipefail
cd "$(dirname "$0")/.."
for script in benchmarks/*.py; do
  echo "== $script"
  .venv/bin/python "$script" "$@"
done
