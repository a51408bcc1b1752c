#!/usr/bin/env bash
# Fetch benchmark data into bench-data/ (git-ignored): pycortex's subject S1 surfaces
# (≈150k vertices per hemisphere, BSD-2, from the pycortex 1.4.0 source package on PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-data
if [ ! -f bench-data/S1/pia_lh.gii ]; then
  api=https://pypi.org/pypi/pycortex/json
  url=$(curl -s "$api" | python3 -c "import json,sys,urllib.parse as u; d=json.load(sys.stdin); \
print(u.urljoin('$api', [x['url'] for x in d['releases']['1.4.0'] if x['url'].endswith('.tar.gz')][0]))")
  echo "downloading $url (70 MB)"
  curl -sfL "$url" -o bench-data/pycortex.tar.gz
  mkdir -p bench-data/S1
  tar xzf bench-data/pycortex.tar.gz -C bench-data/S1 --strip-components=5 \
    pycortex-1.4.0/filestore/db/S1/surfaces/
  rm bench-data/pycortex.tar.gz
fi
ls -la bench-data/S1
