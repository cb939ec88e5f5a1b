#!/usr/bin/env python3
"""`proctor generate cases` beside Python `hypothesis-jsonschema`: instances per second on the
shared tool-call schema (whole process for Proctor; in process for hypothesis, which is kinder to
it) and the share of the official test suite's draft-07 schemas each can generate for.

    generate-anchor.py PROCTOR SHARED_DIR        (run it with a Python that has hypothesis-jsonschema)
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

warnings.filterwarnings("ignore")


def hypothesis_instances(schema, n):
    out = []

    @settings(max_examples=n, database=None, deadline=None, suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
    @given(from_schema(schema))
    def collect(v):
        out.append(v)

    collect()
    return out


def main():
    proctor, shared = sys.argv[1:3]
    tool = os.path.join(shared, "bench/schema/tool_call.schema.json")
    t0 = time.perf_counter()
    out = subprocess.run([proctor, "generate", "cases", "--schema", tool, "--count", "1000"], capture_output=True, text=True, check=True).stdout
    t1 = time.perf_counter()
    n = len(out.splitlines())
    print(f"tool_call: proctor {n} instances in {t1 - t0:.2f} s whole-process = {n / (t1 - t0):.0f}/s")
    schema = json.load(open(tool))
    t0 = time.perf_counter()
    try:
        got = hypothesis_instances(schema, 100)
        t1 = time.perf_counter()
        print(f"tool_call: hypothesis-jsonschema {len(got)} instances in {t1 - t0:.2f} s in process = {len(got) / (t1 - t0):.0f}/s")
    except Exception as e:
        print(f"tool_call: hypothesis-jsonschema failed: {type(e).__name__}: {str(e)[:120]}")

    folder = os.path.join(shared, "JSON-Schema-Test-Suite/tests/draft7")
    total = ok_p = ok_h = 0
    tmp = tempfile.mkdtemp()
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".json"):
            continue
        for g in json.load(open(os.path.join(folder, f))):
            total += 1
            path = os.path.join(tmp, "s.json")
            s = dict(g["schema"]) if isinstance(g["schema"], dict) else g["schema"]
            if isinstance(s, dict) and "$schema" not in s:
                s["$schema"] = "http://json-schema.org/draft-07/schema#"
            json.dump(s, open(path, "w"))
            if subprocess.run([proctor, "generate", "cases", "--schema", path, "--count", "3"], capture_output=True).returncode == 0:
                ok_p += 1
            try:
                if len(hypothesis_instances(g["schema"], 3)) > 0:
                    ok_h += 1
            except Exception:
                pass
    print(f"draft-07 suite schemas with instances: proctor {ok_p}/{total} ({ok_p * 100 / total:.0f} %), hypothesis-jsonschema {ok_h}/{total} ({ok_h * 100 / total:.0f} %)")


if __name__ == "__main__":
    main()
