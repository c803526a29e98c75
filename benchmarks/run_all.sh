#!/usr/bin/env bash
# Run every benchmark that needs nothing but this checkout (make install first), and list the
# others with what each needs. `bash benchmarks/run_all.sh --list` only lists; other arguments
# (e.g. --json) are passed to every script that runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# script -> what it needs beyond the checkout (an argument, data made by another command, hours)
declare -A NEEDS=(
  [design_qm9.py]="the QM9 table: hohenberg data qm9 --out runs/qm9/qm9.npz"
  [design_live.py]="the QM9 table (runs/qm9/qm9.npz) and about an hour of xTB oracle calls"
  [graph_qm9.py]="--table QM9.npz (hours: every model at a fixed budget)"
  [graph_throughput.py]="--table QM9.npz"
  [graphs_of_graphs.py]="--table runs/qm9/qm9.npz (networks of all of QM9)"
  [hkmap_learning_curve.py]="--store and --split of a density store (qc batch); hours"
  [hkmap_orientations.py]="--models DIR[,DIR] of trained maps and their store"
  [hkmap_scf_guess.py]="--model DIR of a trained map and its store"
  [hkmap_symmetries.py]="--model DIR of a trained map and its store"
  [materials_ofm_vs_matminer.py]="matminer in a separate venv (it needs pandas < 3)"
  [own_data.py]="--table of the README's worked example (runs/nci/nci.npz)"
  [predict_speed.py]="--table QM9.npz"
  [qm9_ingest.py]="the qm9pack wheel: pip install -e .[qm9] (make demo installs it)"
  [qm9_full.py]="--table QM9.npz (days of CPU: every run of the full-QM9 study)"
  [qm9_learning_curve.py]="the finished runs of qm9_full.py"
  [subgraph_search.py]="--csv of QM9 (qm9pack's qm9_part1.csv)"
  [volumetric_learning_curve.py]="--store and --table (hours)"
  [xtb_baseline.py]="--table QM9.npz (about 30 s for 4,000 xTB single points)"
  [volumetric_throughput.py]="--store of density grids (runs/vol/store)"
)

list_only=false
if [[ "${1:-}" == "--list" ]]; then list_only=true; shift; fi
ran=()
for script in benchmarks/*.py benchmarks/materials*.sh; do
  name=$(basename "$script")
  if [[ "$name" == timing.py || -n "${NEEDS[$name]:-}" ]]; then continue; fi  # timing.py: shared code
  ran+=("$name")
  $list_only && continue
  echo "== $script"
  case "$script" in
    *.sh) bash "$script" ;;  # writes its JSON under runs/materials
    *) .venv/bin/python "$script" "$@" ;;
  esac
done
echo "== runs with no arguments: ${ran[*]}"
echo "== by hand (what each needs):"
for name in $(printf '%s\n' "${!NEEDS[@]}" | sort); do
  echo "  benchmarks/$name: ${NEEDS[$name]}"
done
