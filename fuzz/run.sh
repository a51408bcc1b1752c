#!/usr/bin/env bash
# Fuzz every reader: seed from tests/corpus, run each target for SECONDS (default 600),
# minimise any crash into tests/corpus/<folder>/fz-*, and print one line per target.
# Usage: fuzz/run.sh [SECONDS] [TARGET…]       (needs `cargo install cargo-fuzz`)
# On a stable toolchain the build runs with RUSTC_BOOTSTRAP=1 and no sanitizer (-s none):
# findings are panics, aborts, timeouts and allocations beyond -rss_limit_mb, which is what
# the readers (no `unsafe`) can produce.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
export RUSTC_BOOTSTRAP=1
declare -A seeds=(
  [freesurfer_surface]=freesurfer-surface [freesurfer_curv]=freesurfer-curv
  [freesurfer_annot]=freesurfer-annot [freesurfer_label]=freesurfer-label [mgh]=mgh
  [gifti]=gifti [nifti]=nifti [npy]=npy [table]=table [captions]=captions [nodes]=nodes
  [matrix]=matrix [voreen]=voreen [vtk]=vtk [swc]=swc [session]=session [plan]=plan
  [plan_config]=plan-config [markups]=markups [electrodes]=electrodes [bids]=bids
  [vesselgraph]=vesselgraph
)
targets=("$@")
((${#targets[@]})) || targets=($(printf '%s\n' "${!seeds[@]}" | sort))
cargo fuzz build -s none -O "${targets[@]/#/}" >/dev/null 2>&1 || cargo fuzz build -s none -O
mkdir -p logs
for t in "${targets[@]}"; do
  src=../tests/corpus/${seeds[$t]}
  mkdir -p "corpus/$t"
  if [ "$t" = vesselgraph ]; then
    for n in "$src"/*_nodes.csv; do
      e=${n%_nodes.csv}_edges.csv
      { cat "$n"; printf '\0'; [ -f "$e" ] && cat "$e"; } > "corpus/$t/$(basename "${n%_nodes.csv}")" || true
    done
  else
    cp "$src"/* "corpus/$t/"
  fi
  start=$(date +%s)
  cargo fuzz run -s none -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -timeout=10 -max_len=1048576 -print_final_stats=1 > "logs/$t.log" 2>&1 || true
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo 0)
  crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  echo "$t: $runs executions in $(( $(date +%s) - start )) s, $crashes findings"
done
