#!/usr/bin/env bash
# Make the pictures of the README and docs/ from the current program, so they show what it
# does now. Each picture is one command below (`OUT=docs/images/…` then the command); the docs
# test checks that every picture the docs show is made here, that it exists, and that these
# commands are valid for the current command line.
#
#   docs/make_screenshots.sh [BIN]     (default: target/release/cortexplorer, built if missing)
#
# Needs a display for the viewer's own screenshots: without one it starts Xvfb (software
# rendering through Mesa's lavapipe is fine). ImageMagick shrinks the pictures to ≤ 960 px.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/cortexplorer}"
[ -x "$BIN" ] || cargo build --release
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$TMP}"
export CORTEXPLORER_DATA_DIR="$TMP/data"   # no autosave offer from an earlier run
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  n=99
  while [ -e "/tmp/.X${n}-lock" ]; do n=$((n + 1)); done
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB=$!
  trap 'kill $XVFB; rm -rf "$TMP"' EXIT
  export DISPLAY=":$n"
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
fi
mkdir -p docs/images

# small PNGs: at most 960 px wide, 8-bit palette
shrink() { convert "$1" -resize '960x>' -strip -dither None -colors 256 "PNG8:$1"; }

# the viewer as it opens: layers, inspector, the default scene with its generated vessels
OUT=docs/images/viewer.png
"$BIN" view --view oblique --screenshot "$OUT"
shrink "$OUT"

# planning: the default plan run at start-up; the camera frames the electrodes, the panel shows
# the reading tab (a held-out letter through the plan, coverage and the lattice; the curves)
OUT=docs/images/planning.png
"$BIN" view --plan --hemi left --view right --screenshot "$OUT"
shrink "$OUT"

# reading: the default plan's psychometric curves on held-out letters (ideal observer)
"$BIN" plan --out "$TMP/plan.json"
OUT=docs/images/reading_curves.png
"$BIN" evaluate "$TMP/plan.json" --plot "$OUT"
shrink "$OUT"
# held-out letters through each layout (plan, coverage, central-half coverage, random, lattice)
OUT=docs/images/read_preview_100.png
"$BIN" evaluate "$TMP/plan.json" --quick --preview "$OUT"
shrink "$OUT"

# planning on a (generated) patient: subject folder, vessel mask wall, field plot
"$BIN" generate-subject "$TMP/subject"
OUT=docs/images/subject.png
"$BIN" view "$TMP/subject" --plan --plan-vessels "$TMP/subject/vessels_mask.mgz" --hemi left --view right --screenshot "$OUT"
shrink "$OUT"

# vessels: the generated pial vasculature over the medial occipital cortex
OUT=docs/images/vessels.png
"$BIN" render --out "$OUT" --hemi left --view right --width 960 --height 600
shrink "$OUT"

# activity: Kuramoto phases after 6,000 steps, drawn as the live layer (vessels hidden)
OUT=docs/images/activity.png
"$BIN" render --out "$OUT" --simulate kuramoto --sim-steps 6000 --view left --no-vessels --width 960 --height 600
shrink "$OUT"

# selectivity: the synthetic demo's preferred categories on the ventral surface
OUT=docs/images/selectivity.png
"$BIN" render --out "$OUT" --selectivity-demo --view ventral --width 960 --height 600
shrink "$OUT"

ls -l docs/images
