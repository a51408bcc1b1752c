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
# the corpus test's reader budget: a compression bomb stops at 128 MiB instead of inflating to
# the 4 GiB default on every mutation
export CORTEXPLORER_MAX_BYTES=$((128 << 20))
# the file name each target reads its input as (fuzz_targets/*.rs), for crashers in the corpus
declare -A names=(
  [freesurfer_surface]=lh.fuzz.white [freesurfer_curv]=lh.thickness [freesurfer_annot]=lh.aparc.annot
  [freesurfer_label]=lh.fuzz.label [mgh]=fuzz.mgh [gifti]=lh.fuzz.gii [nifti]=fuzz.nii [cifti]=fuzz.dscalar.nii [stc]=fuzz-lh.stc [tracts]=fuzz.tck [meshes]=fuzz.obj [ieeg]=fuzz.edf [npy]=fuzz.npy
  [table]=lh.fuzz.csv [captions]=lh.fuzz.tsv [nodes]=fuzz.node [matrix]=fuzz_weights.txt
  [voreen]=fuzz.vvg [vtk]=fuzz.vtk [swc]=fuzz.swc [session]=fuzz.json [plan]=fuzz.json
  [plan_config]=fuzz.toml [markups]=fuzz.mrk.json [electrodes]=fuzz.csv [bids]=fuzz_electrodes.tsv
)
declare -A seeds=(
  [freesurfer_surface]=freesurfer-surface [freesurfer_curv]=freesurfer-curv
  [freesurfer_annot]=freesurfer-annot [freesurfer_label]=freesurfer-label [mgh]=mgh
  [gifti]=gifti [nifti]=nifti [cifti]=cifti [stc]=stc [tracts]=tracts [meshes]=meshes [ieeg]=ieeg [npy]=npy [table]=table [captions]=captions [nodes]=nodes
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
  # each crash, minimised, becomes a corpus file the corpus test keeps refusing cleanly
  for a in artifacts/"$t"/crash-*; do
    [ -f "$a" ] || continue
    cargo fuzz tmin -s none -O "$t" "$a" -- -runs=2000 >/dev/null 2>&1 || true
    m=$(ls -t artifacts/"$t"/minimized-from-* 2>/dev/null | head -1)
    [ -n "$m" ] || m=$a
    h=$(sha1sum "$m" | cut -c1-8)
    if [ "$t" = vesselgraph ]; then
      python3 -c "import sys; d=open(sys.argv[1],'rb').read(); c=d.find(b'\0'); c=len(d) if c<0 else c
open(sys.argv[2]+'_nodes.csv','wb').write(d[:c]); open(sys.argv[2]+'_edges.csv','wb').write(d[c+1:])" \
        "$m" "$src/fz-$h"
    else
      name=${names[$t]}
      # the tracts target reads by the first bytes (TRACK: .trk, PK: .trx, else .tck)
      if [ "$t" = tracts ]; then
        case "$(head -c 5 "$m" | tr -d '\0')" in TRACK) name=fuzz.trk ;; PK*) name=fuzz.trx ;; esac
      fi
      [ "$t" = ieeg ] && [ "$(head -c 5 "$m")" = Brain ] && name=fuzz.vhdr
      # the meshes target likewise (ply, "# vtk", solid or a leading zero byte: STL, else OBJ)
      if [ "$t" = meshes ]; then
        case "$(head -c 5 "$m" | tr -d '\0')" in ply*) name=fuzz.ply ;; "# vtk") name=fuzz.vtk ;; solid) name=fuzz.stl ;; esac
        [ "$(head -c 1 "$m" | od -An -tx1 | tr -d ' ')" = 00 ] && name=fuzz.stl
      fi
      cp "$m" "$src/fz-$h.$name"
    fi
  done
  echo "$t: $runs executions in $(( $(date +%s) - start )) s, $crashes findings"
done
