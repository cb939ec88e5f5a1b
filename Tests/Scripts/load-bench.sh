#!/usr/bin/env bash
# The example run on an idle machine and beside N CPU-bound processes, whole-process as a user runs
# it: wall and CPU time (user + system) of `proctor run suites`, medians of interleaved rounds, so
# the idle and busy figures come from the same minutes.
#
#   Tests/Scripts/load-bench.sh PROCTOR_BINARY [BUSY_PROCESSES=2] [ROUNDS=5]
#
# Prints one line per round and condition, then the medians and the ratios the load issue asks for
# (busy wall ≤ 3× idle wall, busy CPU ≤ 1.5× idle CPU). Exit 0 always: it measures, it does not judge.
set -euo pipefail
bin=$(readlink -f "$1"); busy=${2:-2}; rounds=${3:-5}
cd "$(dirname "$0")/../.."
out=$(mktemp -d /tmp/proctor-load.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

run_once() {  # prints "wall cpu"
  /usr/bin/time -f "%e %U %S" -o "$out/time" "$bin" run suites -q --json "$out/r.json" --junit "$out/j.xml" --markdown "$out/s.md" \
    >/dev/null 2>&1 || true
  tail -n 1 "$out/time" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
}

start_busy() {
  for _ in $(seq "$busy"); do (while :; do :; done) & done
  sleep 0.5
}

stop_busy() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; }

run_once >/dev/null   # warm-up: page in the binary and the models
: > "$out/idle"; : > "$out/busy"
for r in $(seq "$rounds"); do
  read -r w c < <(run_once); echo "$w $c" >> "$out/idle"; echo "round $r idle: wall ${w} s, cpu ${c} s"
  start_busy
  read -r w c < <(run_once); echo "$w $c" >> "$out/busy"; echo "round $r beside $busy busy processes: wall ${w} s, cpu ${c} s"
  stop_busy
done
python3 - "$out/idle" "$out/busy" "$busy" <<'PY'
import statistics, sys
def load(p): return [tuple(map(float, l.split())) for l in open(p) if l.strip()]
idle, busy, n = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
iw, ic = statistics.median(w for w, _ in idle), statistics.median(c for _, c in idle)
bw, bc = statistics.median(w for w, _ in busy), statistics.median(c for _, c in busy)
print(f"median idle: wall {iw:.2f} s, cpu {ic:.2f} s")
print(f"median beside {n} busy processes: wall {bw:.2f} s, cpu {bc:.2f} s")
print(f"busy/idle: wall {bw / iw:.2f}x (target <= 3), cpu {bc / ic:.2f}x (target <= 1.5)")
PY
