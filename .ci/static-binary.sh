#!/usr/bin/env bash
# The release recipe: one static `proctor` binary that needs no Swift runtime on the machine that
# runs it, checked the way a CI pipeline without Swift would use it.
#   .ci/static-binary.sh [OUT_DIR]     (default .build-static/release-check)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build-static/release-check}
# FoundationNetworking (the HTTP backends) links libcurl; its development package provides -lcurl.
if ! ldconfig -p | grep -q 'libcurl.so '; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev) >/dev/null
fi
swift build -c release --static-swift-stdlib --product proctor --scratch-path .build-static
bin=.build-static/release/proctor
# No Swift runtime library may be linked dynamically (glibc and the C++ runtime are fine).
if ldd "$bin" | grep -i swift; then
  echo "static-binary: the binary still links a Swift library dynamically"; exit 1
fi
echo "static-binary: ldd shows no Swift library ($(du -h "$bin" | cut -f1))"
# Run the example suites from a folder that has no source tree: the binary, suites/ and fixtures/.
rm -rf "$out" && mkdir -p "$out"
cp "$bin" "$out/proctor-linux-x86_64"
cp -R suites fixtures "$out/"
set +e
(cd "$out" && ./proctor-linux-x86_64 run suites -q)
code=$?
set -e
[ "$code" = 1 ] || { echo "static-binary: expected exit 1 from the example run (cases fail on purpose), got $code"; exit 1; }
python3 - "$out/reports/results.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
want = {"total": 191, "passed": 65, "repaired": 2, "failed": 124, "errors": 0}
got = {k: s[k] for k in want}
sys.exit(0 if got == want else f"static-binary: example run {got}, expected {want}")
PY
# proctor init finds the default model next to the binary.
cp fixtures/models/proctor-tiny.bin fixtures/models/proctor-tiny.tokenizer.bin "$out/"
(cd "$out" && ./proctor-linux-x86_64 init starter >/dev/null && ./proctor-linux-x86_64 run starter/suites -q --json starter.json --junit starter.xml --markdown starter.md)
echo "static-binary: the example suites and proctor init run from $out without the source tree"
