#!/usr/bin/env python3
"""Validate Cortexplorer's 3D Slicer markups export against Slicer's own JSON schema.

The schema is Slicer's (BSD-style licence), so it is not committed: give its path, e.g. from
a Slicer checkout, `Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json`.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install jsonschema
    cortexplorer plan --slicer /tmp/plan.mrk.json
    /tmp/venv/bin/python benches/validate_slicer.py SCHEMA.json /tmp/plan.mrk.json
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
for path in sys.argv[2:]:
    doc = json.load(open(path))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"{path}: {'/'.join(map(str, e.path))}: {e.message[:200]}")
    n = sum(len(m.get("controlPoints", [])) for m in doc["markups"])
    print(f"{path}: {'valid' if not errors else 'INVALID'} against {schema.get('$id', sys.argv[1])} ({n} control points)")
    if errors:
        sys.exit(1)
