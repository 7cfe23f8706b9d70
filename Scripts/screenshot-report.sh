#!/usr/bin/env bash
# Renders a Headroom report.html in headless Chromium and saves a PNG screenshot, so a
# person (or CI) can look at what the report shows. Needs Debian's `chromium` package.
#   Scripts/screenshot-report.sh Reports/quickstart/report.html [out.png] [width] [height]
set -euo pipefail
report=${1:?usage: $0 REPORT.html [OUT.png] [WIDTH] [HEIGHT]}
out=${2:-"${report%.html}.png"}
width=${3:-1280}
height=${4:-2400}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "screenshot-report: no Chromium found (Debian: apt-get install chromium)" >&2
  exit 2
fi
[ -f "$report" ] || { echo "screenshot-report: no such file: $report" >&2; exit 1; }
abs=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: CI runs as root; the page is a local file with no script.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --window-size="$width,$height" --screenshot="$out" "file://$abs" >/dev/null 2>&1
[ -s "$out" ] || { echo "screenshot-report: Chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
