#!/usr/bin/env bash
# One command for the side-by-side report: a local virtual environment with the peers from
# PyPI (bench-data/venv, git-ignored), the benchmark data, a release build, then the table.
# Set WITH_TORCH=1 to include dynaphos (it needs torch, a large download).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv bench-data/venv
pip=bench-data/venv/bin/pip
$pip install -q nibabel numpy pandas mne pyedflib pulse2percept==0.11.0 tvb-library tvb-data ||
  echo "some peers did not install; their rows are skipped"
if [ "${WITH_TORCH:-0}" = 1 ]; then
  $pip install -q dynaphos==0.1.3 torch pyyaml opencv-python-headless matplotlib scipy || echo "dynaphos did not install; skipped"
fi
benches/fetch_data.sh >/dev/null || echo "S1 surfaces not fetched; their rows are skipped"
cargo build --release
bench-data/venv/bin/python benches/side_by_side.py
