#!/bin/sh
# Draws the timeline of one run of the gather_wait example and photographs it
# in headless Chromium: the check that the page renders in a real browser, and
# where to look at the result (default: target/timeline.png).
#
#   scripts/timeline-screenshot.sh [OUT.png]      (default: target/timeline.png)
#
# Needs Debian's `chromium` (apt-get install chromium). Run from the repository root.
# It also checks that the page draws one bar per task step of the trace.
set -eu

out=${1:-target/timeline.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

CORIO_TRACE="$work/trace.json" cargo run -q --example gather_wait > /dev/null
cargo run -q --example timeline -- "$work/trace.json" > "$work/timeline.html"

steps=$(grep -o '"cat":"step"' "$work/trace.json" | wc -l)
bars=$(grep -o 'class="step"' "$work/timeline.html" | wc -l)
if [ "$steps" -ne "$bars" ] || [ "$steps" -eq 0 ]; then
    echo "timeline-screenshot: the trace has $steps steps but the page draws $bars bars" >&2
    exit 1
fi

mkdir -p "$(dirname "$out")"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$work/profile" --hide-scrollbars \
    --screenshot="$out" --window-size=1400,900 "file://$work/timeline.html" 2> "$work/chromium.log" || {
    cat "$work/chromium.log" >&2
    exit 1
}
[ -s "$out" ] || { echo "timeline-screenshot: no screenshot written" >&2; exit 1; }
echo "timeline-screenshot: $steps steps drawn; screenshot in $out"
