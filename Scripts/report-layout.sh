#!/usr/bin/env bash
# Checks a Headroom report.html's layout in headless Chromium, from the page's boxes: legend
# keys stay clear of the plot area, of each other and of the chart's edges; every line and
# dot stays inside the plot area; no two plans are drawn alike; nothing widens the page.
# Prints one JSON line per window width; exits 1 if a problem was found, 2 without Chromium.
#   Scripts/report-layout.sh Reports/policy-comparison/report.html [WIDTH ...]
set -euo pipefail
report=${1:?usage: $0 REPORT.html [WIDTH ...]}
shift
widths=("$@")
[ ${#widths[@]} -gt 0 ] || widths=(1280 760)
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "report-layout: no Chromium found (Debian: apt-get install chromium)" >&2
  exit 2
fi
[ -f "$report" ] || { echo "report-layout: no such file: $report" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The report has no script of its own; the check runs in a copy with it appended.
{ sed 's#</body>##; s#</html>##' "$report"; echo '<script>'; cat "$(dirname "$0")/report-layout.js"; echo '</script></body></html>'; } > "$work/report.html"
status=0
for width in "${widths[@]}"; do
  # --no-sandbox: CI runs as root; the page is a local file.
  dom=$("$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size="$width,2000" --virtual-time-budget=2000 --dump-dom "file://$work/report.html" 2>/dev/null)
  line=$(printf '%s' "$dom" | sed -n 's#.*<pre id="layout-result">\(.*\)</pre>.*#\1#p' | sed 's/&quot;/"/g; s/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g')
  if [ -z "$line" ]; then
    echo "report-layout: Chromium returned no layout result at width $width" >&2
    exit 1
  fi
  echo "$line"
  case "$line" in *'"problems":[]'*) ;; *) status=1 ;; esac
done
exit $status
