#!/usr/bin/env bash
# Renders an HTML report in headless Chromium and saves a screenshot, to check how it reads.
#   Tests/Scripts/screenshot-report.sh reports/diff.html reports/diff.png [WIDTHxHEIGHT]
# Needs Chromium (Debian: apt-get install chromium).
set -euo pipefail
html=${1:?HTML file}
png=${2:?PNG output}
size=${3:-1280x1600}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "screenshot-report: Chromium not found (apt-get install chromium)" >&2
  exit 2
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="${size/x/,}" \
  --screenshot="$(realpath -m "$png")" "file://$(realpath "$html")" >/dev/null 2>&1
test -s "$png" && echo "wrote $png"
