#!/usr/bin/env bash
# Retrospective BO vs random search (docs/notes/materials.md), 20 seeds each.
set -u
OUT=${1:-runs/materials}
M="nice -n 10 .venv/bin/python -W ignore -m hohenberg.cli.materials"
run() { local name=$1; shift; local t0=$(date +%s); $M "$@" --json > "$OUT/$name.json" 2> "$OUT/$name.err"; echo "$name rc=$? $(( $(date +%s) - t0 ))s" >> "$OUT/timings.txt"; }
run bo_dband bo-simulate --pool dband --model gpr --seeds 20 --top-k 5
run bo_her bo-simulate --pool her --model gpr --seeds 20 --top-k 5
echo bo-done >> "$OUT/timings.txt"
