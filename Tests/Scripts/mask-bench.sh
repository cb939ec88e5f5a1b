#!/bin/bash
# Constraint cost per token over the first N SchemaStore schemas that compile, as `model generate`
# reports it (constraint.microsPerToken), with random weights at temperature 1 and top-p 0.9 (so
# every token builds a full mask): the figure issue 44 sets targets for.
#   Tests/Scripts/mask-bench.sh PROCTOR MODEL TOKENIZER [N] [SHARED]
# Make the models with `proctor model init` (random weights), e.g. the stories15M shape:
#   proctor model init --dim 288 --hidden 768 --layers 6 --heads 6 --vocab 32000 --seq 1024 --seed 1 --out s15.bin
# and use ../shared/models/llama2c-tokenizer/tokenizer.bin (32,000 tokens) or
# ../shared/models/ref-tiny/tokenizer.bin (512) with a --vocab 512 model.
set -u
bin=$1; model=$2; tok=$3; n=${4:-30}; shared=${5:-../shared}
out=$(mktemp); count=0
for f in $(ls "$shared"/schemastore/schemas/*.json | sort); do
  r=$(timeout 60 "$bin" model generate "$model" --tokenizer "$tok" --schema "$f" --json --temperature 1 --seed 7 --max-tokens 160 \
        --registry "https://json.schemastore.org/=$(cd "$shared/schemastore/schemas" && pwd)" 2>/dev/null | tail -1)
  [ -z "$r" ] && continue
  echo "$r" | python3 -c "
import json, sys
g = json.loads(sys.stdin.read()); c = g['constraint']
print(c['microsPerToken'], c['fullMasks'], len(g['generatedTokenIds']), '$(basename "$f")')" >> "$out" 2>/dev/null || continue
  count=$((count + 1)); [ $count -ge $n ] && break
done
python3 - "$out" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
v = sorted(float(r[0]) for r in rows)
print(f"{len(v)} schemas: median {v[len(v)//2]:.1f} µs/token, p90 {v[int(len(v)*0.9)]:.1f}, worst {v[-1]:.1f}; "
      f"full masks {sum(int(r[1]) for r in rows)} of {sum(int(r[2]) for r in rows)} tokens")
for r in sorted(rows, key=lambda r: float(r[0]))[-3:]: print("  slowest:", r[3], r[0], "µs/token")
PY
rm -f "$out"
