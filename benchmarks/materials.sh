#!/usr/bin/env bash
# Every measurement quoted in docs/notes/materials.md, one CLI call each (single process, niced).
#   bash benchmarks/materials.sh runs/materials
# Once registered, `python -m hohenberg.cli.materials` is `hohenberg materials`.
set -u
OUT=${1:-runs/materials}
mkdir -p "$OUT"
M="nice -n 10 .venv/bin/python -W ignore -m hohenberg.cli.materials"
run() { local name=$1; shift; local t0=$(date +%s); $M "$@" --json > "$OUT/$name.json" 2> "$OUT/$name.err"; echo "$name rc=$? $(( $(date +%s) - t0 ))s" >> "$OUT/timings.txt"; }
run dband_gbr_seed0 dband --model gbr --train-fraction 0.25 --repeats 50 --seed 0 --learning-curve --importance --out "$OUT/fig_dband"
run dband_gbr_seed1000 dband --model gbr --train-fraction 0.25 --repeats 50 --seed 1000
run dband_gbr_seed5000 dband --model gbr --train-fraction 0.25 --repeats 50 --seed 5000
run dband_gbr_all9_seed5000 dband --model gbr --descriptors all9 --repeats 50 --seed 5000
run dband_table_gbr_seed5000 dband --model gbr --target table --repeats 50 --seed 5000
run dband_table_gpr_seed5000 dband --model gpr --target table --repeats 50 --seed 5000
for m in mean ols ridge krr svr gpr rf et; do run dband_${m}_seed5000 dband --model $m --repeats 50 --seed 5000; done
run screen_sim screen --model gpr --simulate --seeds 20
run adsorption_alonso adsorption --dataset alonso --models mean,ridge,rf,et,gbr --importance --out "$OUT/fig_adsorption"
run adsorption_oc20 adsorption --dataset oc20 --models mean,ols,ridge,rf,gbr,et --splits 20
for m in gpr rf et; do run unc_dband_$m uncertainty --dataset dband --model $m --repeats 10 --method split; done
for m in et gpr; do run unc_ads_$m uncertainty --dataset adsorption --model $m --repeats 3 --method split; done
run dband_lomo_ridge dband --model ridge --repeats 5 --lomo --out "$OUT/fig_lomo_ridge"
run dband_lomo_gpr dband --model gpr --repeats 5 --lomo
run dband_lomo_et dband --model et --repeats 5 --lomo
run dband_lomo_gbr dband --model gbr --repeats 5 --lomo --out "$OUT/fig_lomo_gbr"
run bandgap bandgap --model et --classify --out "$OUT/fig_bandgap"
run subsets6 dband-subsets --model gbr --size 6 --repeats 5
echo done >> "$OUT/timings.txt"
