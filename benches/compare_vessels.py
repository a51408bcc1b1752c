#!/usr/bin/env python3
"""Side by side: loading a 1M-edge VesselGraph CSV pair with pandas vs Cortexplorer.

    python3 -m venv /tmp/pd && /tmp/pd/bin/pip install pandas
    cargo build --release
    /tmp/venv/bin/python benches/compare_vessels.py

Writes the graph with `cortexplorer vessels generate --synthetic 1000000` (generated data),
then times pandas.read_csv(sep=';') on the node and edge files (best of 3) and
`cortexplorer inspect --json` on the same pair (best of 3; it parses, validates, builds the
graph and computes the statistics, so it does more than pandas).
"""
import json, os, subprocess, sys, tempfile, time

import pandas as pd

BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "cortexplorer")
d = tempfile.mkdtemp(prefix="cx-vessels-")
prefix = os.path.join(d, "synthetic_1m")
subprocess.run([BIN, "vessels", "generate", "--synthetic", "1000000", "--out", prefix + ".csv"], check=True)
nodes, edges = prefix + "_nodes.csv", prefix + "_edges.csv"
mb = os.path.getsize(edges) / 1e6


def best(f, n=3):
    t = []
    for _ in range(n):
        s = time.perf_counter()
        f()
        t.append(time.perf_counter() - s)
    return min(t)


t_pd = best(lambda: (pd.read_csv(nodes, sep=";"), pd.read_csv(edges, sep=";")))
t_pd_edges = best(lambda: pd.read_csv(edges, sep=";"))
t_cx = best(lambda: subprocess.run([BIN, "inspect", "--json", edges], check=True, capture_output=True))
out = json.loads(subprocess.run([BIN, "inspect", "--json", edges], check=True, capture_output=True).stdout)
print(f"edge file {mb:.0f} MB, {out['edges']} edges, {out['nodes']} nodes")
print(f"pandas.read_csv nodes+edges: {t_pd:.3f} s (edges only {t_pd_edges:.3f} s)")
print(f"cortexplorer inspect (whole process): {t_cx:.3f} s  -> {t_pd / t_cx:.1f}x")
