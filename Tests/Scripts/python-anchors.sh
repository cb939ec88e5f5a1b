#!/usr/bin/env bash
# Benchmark anchors for the whole-process throughput table (Benchmarks.md), never run by CI:
# installs Python `jsonschema`, `fastjsonschema` and `json_repair` into a throwaway virtual
# environment and times them beside `proctor validate --jsonl` and `proctor repair --lines` on the
# same files, each as a whole process (interpreter or binary start included), best of N runs.
#
#   bash Tests/Scripts/python-anchors.sh [PROCTOR_BINARY] [RUNS]
#
# Needs ../shared/bench/schema (the tool-call schema and its 10,000 instances).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-.build/release/proctor}
RUNS=${2:-3}
SCHEMA=../shared/bench/schema
VENV=${PROCTOR_ANCHOR_VENV:-/tmp/proctor-anchors-venv}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 2; }
[ -f "$SCHEMA/instances.jsonl" ] || { echo "missing $SCHEMA/instances.jsonl" >&2; exit 2; }
if ! "$VENV/bin/python" -c "import jsonschema, fastjsonschema, json_repair" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q jsonschema fastjsonschema json_repair
fi
PY="$VENV/bin/python"

# The inputs: one instance per line; the repair corpus as JSON-string lines.
"$PY" -c "
import json, sys
with open('$SCHEMA/instances.jsonl') as f, open('$WORK/instances.jsonl', 'w') as o:
    for line in f:
        o.write(json.dumps(json.loads(line)['instance'], ensure_ascii=False, separators=(',', ':')) + '\n')
"
"$BIN" bench repair --repeat 1 --corpus-out "$WORK/repair.jsonl" > /dev/null

cat > "$WORK/validate.py" <<'EOF'
import json, sys
mode, schema_path, data_path = sys.argv[1:4]
schema = json.load(open(schema_path))
if mode == "jsonschema":
    import jsonschema
    check = jsonschema.Draft202012Validator(schema).is_valid
else:
    import fastjsonschema
    f = fastjsonschema.compile(schema)
    def check(x):
        try:
            f(x)
            return True
        except fastjsonschema.JsonSchemaException:
            return False
bad = sum(1 for line in open(data_path) if not check(json.loads(line)))
print(bad)
EOF
cat > "$WORK/repair.py" <<'EOF'
import json, sys, json_repair
out = []
for line in open(sys.argv[1]):
    try:
        out.append(json.dumps(json_repair.loads(json.loads(line))))
    except Exception:
        out.append("null")
sys.stdout.write("\n".join(out) + "\n")
EOF

# best NAME CMD...: the fastest of $RUNS wall times, in seconds.
best() {
    local name=$1; shift
    "$PY" - "$RUNS" "$@" <<'EOF' | sed "s/^/$name /"
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
print(f"{min(times):.3f} s (runs: {', '.join(f'{x:.3f}' for x in times)})")
EOF
}

echo "validate: 10,000 instances, $(du -h "$WORK/instances.jsonl" | cut -f1)"
best "  proctor validate --jsonl     " "$BIN" validate --schema "$SCHEMA/tool_call.schema.json" --jsonl "$WORK/instances.jsonl"
best "  jsonschema is_valid          " "$PY" "$WORK/validate.py" jsonschema "$SCHEMA/tool_call.schema.json" "$WORK/instances.jsonl"
best "  fastjsonschema (draft-07)    " "$PY" "$WORK/validate.py" fastjsonschema "$SCHEMA/tool_call.draft7.schema.json" "$WORK/instances.jsonl"
echo "repair: $(wc -l < "$WORK/repair.jsonl") lines, $(du -h "$WORK/repair.jsonl" | cut -f1)"
best "  proctor repair --lines       " "$BIN" repair --lines "$WORK/repair.jsonl"
best "  json_repair loads            " "$PY" "$WORK/repair.py" "$WORK/repair.jsonl"
