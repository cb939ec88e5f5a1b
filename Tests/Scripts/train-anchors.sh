#!/usr/bin/env bash
# Benchmark anchor for the training row of the whole-process table (Benchmarks.md), never run by
# CI: installs PyTorch (the PyPI wheel) into a throwaway virtual environment, then runs
# `proctor model train` on the 0.87 M shape (dim 128, 4 layers, seq 256, batch 16, 20 steps) at 1
# and 2 threads and PyTorch eager CPU on the same shape (Tests/Scripts/torch-train-anchor.py),
# interleaved, ROUNDS rounds; prints the medians, each trainer's 2-thread scaling and Proctor's
# speed as a multiple of PyTorch's.
#
#   bash Tests/Scripts/train-anchors.sh [PROCTOR_BINARY] [ROUNDS]
#
# PROCTOR_TORCH_VENV names the environment (default /tmp/torch-venv; the wheel is ~5 GB installed).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-.build/release/proctor}")
ROUNDS=${2:-3}
VENV=${PROCTOR_TORCH_VENV:-/tmp/torch-venv}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 2; }
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q torch
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$VENV/bin/python" - "$BIN" "$ROUNDS" "$WORK" "$VENV/bin/python" <<'PY'
import re, statistics, subprocess, sys
bin, rounds, work, py = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
train = [bin, "model", "train", "--corpus", "fixtures/corpus/train.txt", "--tokenizer", "fixtures/models/proctor-tiny.tokenizer.bin",
         "--lr", "3e-3", "--seed", "1", "--out", f"{work}/t.bin", "--dim", "128", "--layers", "4", "--heads", "4", "--seq", "256",
         "--batch", "16", "--steps", "20", "--eval-every", "1000"]
tps = {(who, t): [] for who in ("proctor", "pytorch") for t in (1, 2)}
for r in range(rounds):
    for t in (1, 2):
        err = subprocess.run(train + ["--threads", str(t)], capture_output=True, text=True).stderr
        m = re.findall(r"step +20/20.* (\d+) tok/s", err)
        if not m:
            sys.exit(f"no step-20 line from proctor model train:\n{err[-2000:]}")
        tps[("proctor", t)].append(int(m[-1]))
    out = subprocess.run([py, "Tests/Scripts/torch-train-anchor.py", "20", "1", "2"], capture_output=True, text=True, check=True).stdout
    for t, v in re.findall(r"threads (\d+): (\d+) tok/s", out):
        tps[("pytorch", int(t))].append(int(v))
med = {k: statistics.median(v) for k, v in tps.items()}
for who in ("proctor", "pytorch"):
    print(f"{who:8} 1 thread {min(tps[(who, 1)])}-{max(tps[(who, 1)])} (median {med[(who, 1)]:.0f}) tok/s, "
          f"2 threads {min(tps[(who, 2)])}-{max(tps[(who, 2)])} (median {med[(who, 2)]:.0f}), "
          f"scaling {med[(who, 2)] / med[(who, 1)]:.2f}x")
print(f"proctor / pytorch at 1 thread: {med[('proctor', 1)] / med[('pytorch', 1)]:.2f}x, at 2 threads: "
      f"{med[('proctor', 2)] / med[('pytorch', 2)]:.2f}x")
PY
