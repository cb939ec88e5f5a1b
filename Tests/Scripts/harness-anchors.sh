#!/usr/bin/env bash
# Benchmark anchors for the `proctor run` row of the whole-process table (Benchmarks.md), never run
# by CI: installs pytest and OpenAI's evals into a throwaway virtual environment and runs the same
# N echo cases through each, whole process, beside `proctor run`, best of RUNS:
#   - proctor: the suite `proctor bench harness` generates (echo backend; JSON parse, equals on
#     /status, regex on /item), JUnit + JSON + Markdown written;
#   - pytest: one parametrized test per case doing the same three checks on the rendered prompt,
#     `--junitxml` written;
#   - OpenAI evals (`oaieval`): an echo completion function and an eval class doing the same three
#     checks per sample, its record file written.
#
#   bash Tests/Scripts/harness-anchors.sh [PROCTOR_BINARY] [RUNS] [CASES]
#
# PROCTOR_ANCHOR_SKIP_EVALS=1 skips OpenAI evals (its install pulls in a few hundred MB).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-.build/release/proctor}")
RUNS=${2:-3}
CASES=${3:-100000}
VENV=${PROCTOR_HARNESS_VENV:-/tmp/proctor-harness-venv}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 2; }
want="pytest"
[ "${PROCTOR_ANCHOR_SKIP_EVALS:-0}" = 1 ] || want="pytest evals"
for pkg in $want; do
    if ! "$VENV/bin/python" -c "import $pkg" 2>/dev/null; then
        [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q "$pkg"
    fi
done
PY="$VENV/bin/python"

# The cases, the Proctor suite, the pytest module, and the evals registry, all over the same data.
"$PY" - "$WORK" "$CASES" <<'EOF'
import json, os, sys
work, n = sys.argv[1], int(sys.argv[2])
with open(f"{work}/cases.jsonl", "w") as f:
    for i in range(n):
        f.write('{"id": "case-%d", "vars": {"n": %d, "item": "widget-%d"}}\n' % (i, i, i % 97))
template = '{"n": {{n}}, "item": "{{item}}", "status": "ok"}'
with open(f"{work}/bench.json", "w") as f:
    json.dump({"suite": "bench", "backends": [{"id": "echo", "type": "echo"}],
               "prompts": [{"id": "p", "template": template}],
               "defaults": {"validators": [{"type": "json"}, {"type": "equals", "path": "/status", "value": "ok"},
                                           {"type": "regex", "pattern": r"widget-\d+", "path": "/item"}]},
               "casesFrom": ["cases.jsonl"]}, f)
checks = '''
import json, re
TEMPLATE = %r
ITEM = re.compile(r"widget-\\d+")

def render(vars):
    return TEMPLATE.replace("{{n}}", str(vars["n"])).replace("{{item}}", vars["item"])

def check(output):
    doc = json.loads(output)
    return doc["status"] == "ok" and ITEM.search(doc["item"]) is not None
''' % template
with open(f"{work}/test_bench.py", "w") as f:
    f.write(checks + '''
import pytest
CASES = [json.loads(line) for line in open(%r)]

@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    assert check(render(case["vars"]))
''' % f"{work}/cases.jsonl")
# OpenAI evals: the samples carry the rendered prompt; the completion function echoes it.
os.makedirs(f"{work}/registry/evals", exist_ok=True)
os.makedirs(f"{work}/registry/completion_fns", exist_ok=True)
os.makedirs(f"{work}/registry/data/bench", exist_ok=True)
with open(f"{work}/cases.jsonl") as src, open(f"{work}/registry/data/bench/samples.jsonl", "w") as o:
    exec(checks)
    for line in src:
        case = json.loads(line)
        o.write(json.dumps({"input": [{"role": "user", "content": render(case["vars"])}], "ideal": "ok"}) + "\n")
with open(f"{work}/harness_eval.py", "w") as f:
    f.write(checks + '''
import evals, evals.metrics
from evals.api import CompletionFn, CompletionResult

class EchoResult(CompletionResult):
    def __init__(self, text):
        self.text = text
    def get_completions(self):
        return [self.text]

class EchoCompletionFn(CompletionFn):
    def __init__(self, **kwargs):
        pass
    def __call__(self, prompt, **kwargs):
        return EchoResult(prompt[-1]["content"] if isinstance(prompt, list) else prompt)

class Bench(evals.Eval):
    def __init__(self, samples_jsonl, **kwargs):
        super().__init__(**kwargs)
        self.samples_jsonl = samples_jsonl
    def eval_sample(self, sample, rng):
        output = self.completion_fn(prompt=sample["input"]).get_completions()[0]
        try:
            ok = check(output)
        except Exception:
            ok = False
        evals.record.record_match(ok, expected=sample["ideal"], picked=output)
    def run(self, recorder):
        self.eval_all_samples(recorder, self.get_samples())
        return {"accuracy": evals.metrics.get_accuracy(recorder.get_events("match"))}
''')
with open(f"{work}/registry/evals/bench.yaml", "w") as f:
    f.write("bench:\n  id: bench.dev.v0\n  metrics: [accuracy]\nbench.dev.v0:\n  class: harness_eval:Bench\n"
            "  args:\n    samples_jsonl: bench/samples.jsonl\n")
with open(f"{work}/registry/completion_fns/echo.yaml", "w") as f:
    f.write("echo:\n  class: harness_eval:EchoCompletionFn\n")
EOF

# best NAME CMD...: the fastest of $RUNS wall times and the peak memory, run in $WORK.
best() {
    local name=$1; shift
    (cd "$WORK" && "$PY" - "$RUNS" "$CASES" "$@" <<'EOF' | sed "s/^/$name /")
import os, subprocess, sys, time
runs, cases, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
times, peak = [], 0
for _ in range(runs):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": ".", "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "unused-offline")})
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    times.append(time.perf_counter() - t)
    peak = max(peak, usage.ru_maxrss / 1024)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"exited {code}: {err.decode(errors='replace')[-2000:]}")
b = min(times)
print(f"{b:.3f} s, {b / cases * 1e6:.1f} µs per case, peak {peak:.0f} MB (runs: {', '.join(f'{x:.3f}' for x in times)})")
EOF
}

echo "$CASES echo cases, 3 checks each, reports written"
mkdir -p "$WORK/out"
best "  proctor run                  " "$BIN" run bench.json --junit out/junit.xml --json out/results.json --markdown out/summary.md -q
best "  pytest --junitxml            " "$PY" -m pytest -q -p no:cacheprovider --junitxml=out/pytest.xml test_bench.py
if [ "${PROCTOR_ANCHOR_SKIP_EVALS:-0}" != 1 ]; then
    best "  oaieval (OpenAI evals)       " "$VENV/bin/oaieval" echo bench --registry_path registry --record_path out/evals.jsonl
fi
# Every harness must have run and passed every case, or its time means nothing.
"$PY" - "$WORK/out" "$CASES" "${PROCTOR_ANCHOR_SKIP_EVALS:-0}" <<'EOF'
import json, sys, xml.etree.ElementTree as ET
out, n, skip_evals = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
s = json.load(open(f"{out}/results.json"))["summary"]
root = ET.parse(f"{out}/pytest.xml").getroot()
suite = root if root.tag == "testsuite" else root.find("testsuite")
seen = {"proctor passed": s["passed"],
        "pytest passed": int(suite.get("tests")) - int(suite.get("failures")) - int(suite.get("errors"))}
if not skip_evals:
    report = [json.loads(l) for l in open(f"{out}/evals.jsonl") if '"final_report"' in l][-1]["final_report"]
    seen["evals passed"] = round(report["accuracy"] * n)
print("  checked: " + ", ".join(f"{k} {v} of {n}" for k, v in seen.items()))
sys.exit(0 if all(v == n for v in seen.values()) else "a harness did not pass every case")
EOF
