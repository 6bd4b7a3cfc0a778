#!/bin/sh
# Draws the timeline of each guide chapter's example into docs/timelines/,
# the SVGs the guide (runtime/guide/) shows inline:
#
#   scripts/timelines.sh            (from the repository root)
#
# Each example runs once with CORIO_TRACE set; the `timeline` example turns
# the trace into one SVG (`--svg`). A trace is a measurement, so the pictures
# differ a little from run to run: the shape (lanes, arrows, parks) is what
# the chapters talk about.
set -eu

out=docs/timelines
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# The guide inlines these files, so corio builds only once they exist: a
# fresh checkout gets empty ones, filled in below.
for chapter in task timer socket remote signal process streams redis http panic; do
    [ -e "$out/$chapter.svg" ] || : > "$out/$chapter.svg"
done

cargo build -q --release --example timeline
cargo build -q --release -p corio-servers --example http_server

# chapter   package        example               arguments
set -- \
    task       corio          hand_written_future   "" \
    timer      corio          timeouts              "" \
    socket     corio          echo_roundtrip        "" \
    remote     corio          thread_pool           "" \
    signal     corio          signals               "" \
    process    corio          subprocess            "" \
    streams    corio          echo_server           "" \
    redis      corio          redis_server          "--demo" \
    http       corio-servers  http_server           "--demo" \
    panic      corio          tasks                 ""

while [ $# -gt 0 ]; do
    chapter=$1 package=$2 example=$3 args=$4
    shift 4
    trace="$work/$chapter.json"
    # shellcheck disable=SC2086 # the arguments are words
    CORIO_TRACE="$trace" cargo run -q --release -p "$package" --example "$example" -- $args \
        > "$work/$chapter.out" 2>&1 || {
        cat "$work/$chapter.out" >&2
        echo "timelines: $example failed" >&2
        exit 1
    }
    target/release/examples/timeline --svg "$trace" > "$out/$chapter.svg"
    echo "timelines: $out/$chapter.svg ($example, $(wc -c < "$out/$chapter.svg") bytes)"
done
