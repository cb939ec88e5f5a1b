#!/usr/bin/env python3
"""Benchmark: `proctor validate --jsonl` beside Python fastjsonschema, run by run in turn.

    python3 Tests/Scripts/validate-interleaved.py BIN[,BIN2…] [RUNS]

Uses the tool-call schema and its 10,000 instances (../shared/bench/schema) and the virtualenv that
Tests/Scripts/python-anchors.sh makes ($PROCTOR_ANCHOR_VENV, default /tmp/proctor-anchors-venv).
Each round runs every binary and fastjsonschema once, whole process, so noise falls on all alike;
prints best and median wall times and fastjsonschema's time over each binary's."""
import json, os, statistics, subprocess, sys, tempfile, time

bins, runs = sys.argv[1].split(","), int(sys.argv[2]) if len(sys.argv) > 2 else 11
schema = "../shared/bench/schema"
py = os.path.join(os.environ.get("PROCTOR_ANCHOR_VENV", "/tmp/proctor-anchors-venv"), "bin", "python")
work = tempfile.mkdtemp()
data = os.path.join(work, "instances.jsonl")
with open(f"{schema}/instances.jsonl") as f, open(data, "w") as o:
    for line in f:
        o.write(json.dumps(json.loads(line)["instance"], ensure_ascii=False, separators=(",", ":")) + "\n")
script = os.path.join(work, "fast.py")
with open(script, "w") as o:
    o.write("import json, sys, fastjsonschema\n"
            "f = fastjsonschema.compile(json.load(open(sys.argv[1])))\n"
            "def ok(x):\n    try:\n        f(x); return True\n    except fastjsonschema.JsonSchemaException:\n        return False\n"
            "print(sum(1 for line in open(sys.argv[2]) if not ok(json.loads(line))))\n")
cmds = {b: [b, "validate", "--schema", f"{schema}/tool_call.schema.json", "--jsonl", data] for b in bins}
cmds["fastjsonschema"] = [py, script, f"{schema}/tool_call.draft7.schema.json", data]
times = {k: [] for k in cmds}
for _ in range(runs):
    for k, c in cmds.items():
        t = time.perf_counter()
        subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[k].append(time.perf_counter() - t)
for k, v in times.items():
    print(f"{k}: best {min(v):.3f} s, median {statistics.median(v):.3f} s")
f = times["fastjsonschema"]
for b in bins:
    v = times[b]
    print(f"{b}: fastjsonschema ÷ proctor {min(f) / min(v):.2f}× (best), {statistics.median(f) / statistics.median(v):.2f}× (median), "
          f"{statistics.median([x / y for x, y in zip(f, v)]):.2f}× (median of rounds)")
