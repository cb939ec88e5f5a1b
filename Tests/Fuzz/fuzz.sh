#!/usr/bin/env bash
# Runs one fuzz target under libFuzzer with AddressSanitizer.
#   Tests/Fuzz/fuzz.sh TARGET SECONDS        targets: json jsonc repair schema suite tokenizer junit yaml constrain
# Seeds come from Tests/Fuzz/corpus/TARGET (copied, so the committed corpus stays small); crashes are
# written to .build-fuzz/crashes/TARGET/. Without libFuzzer, `swift run proctor-fuzz TARGET SECONDS
# Tests/Fuzz/corpus/TARGET` runs the same checks with a simple mutation loop.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: Tests/Fuzz/fuzz.sh TARGET SECONDS}
seconds=${2:-60}
swift build --product proctor-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
work=.build-fuzz/corpus/$target
crashes=.build-fuzz/crashes/$target
mkdir -p "$work" "$crashes"
cp -n Tests/Fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
PROCTOR_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 \
  .build-fuzz/debug/proctor-fuzz "$work" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -artifact_prefix="$crashes/" -print_final_stats=1
