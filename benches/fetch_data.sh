#!/usr/bin/env bash
# Fetch benchmark data into bench-data/ (git-ignored): pycortex's subject S1 surfaces
# (≈150k vertices per hemisphere, BSD-2, from the pycortex 1.4.0 source package, fetched with
# pip by package name).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-data
if [ ! -f bench-data/S1/pia_lh.gii ]; then
  tmp=$(mktemp -d)
  echo "downloading the pycortex 1.4.0 source package (70 MB) with pip"
  python3 -m pip download --quiet --no-deps --no-binary pycortex pycortex==1.4.0 -d "$tmp"
  mkdir -p bench-data/S1
  tar xzf "$tmp"/pycortex-1.4.0.tar.gz -C bench-data/S1 --strip-components=5 \
    pycortex-1.4.0/filestore/db/S1/surfaces/
  rm -rf "$tmp"
fi
ls -la bench-data/S1
