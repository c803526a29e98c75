#!/usr/bin/env bash
# Second batch of measurements for docs/notes/materials.md (after materials.sh).
set -u
OUT=${1:-runs/materials}
mkdir -p "$OUT"
M="nice -n 10 .venv/bin/python -W ignore -m hohenberg.cli.materials"
run() { local name=$1; shift; local t0=$(date +%s); $M "$@" --json > "$OUT/$name.json" 2> "$OUT/$name.err"; echo "$name rc=$? $(( $(date +%s) - t0 ))s" >> "$OUT/timings.txt"; }
for m in gpr rf et; do run unc_cv_dband_$m uncertainty --dataset dband --model $m --repeats 10 --method cv; done
run unc_cv_ads_et uncertainty --dataset adsorption --model et --repeats 3 --method cv
run intermetallic_surface intermetallic --level surface --sizes 500,2000,8000 --model et --repeats 2 --out "$OUT/fig_intermetallic_surface"
run intermetallic_site intermetallic --level site --n-sites 40000 --sizes 1000,4000,16000 --model et --repeats 2 --out "$OUT/fig_intermetallic_site"
run screen_alloys screen-alloys --top 10
run subsets6_table dband-subsets --model gbr --target table --size 6 --repeats 5
echo extra-done >> "$OUT/timings.txt"
