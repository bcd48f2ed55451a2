#!/usr/bin/env bash
# The allocation guard: heap allocations per message on the hot paths, against the committed
# thresholds in Benchmarks/Thresholds/allocations.json (0 added by the Swift layer on every
# reuse path). Exits 1 with one FAIL line per path over its threshold.
#
# Then it checks the check: the same run with one injected allocation per message in the Swift
# loops (allocations --inject-allocation) must fail on every path, or the guard could not fail.
#
# usage: Benchmarks/check-allocations.sh [--no-build] [message-count]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=1
count=100000
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *[!0-9]*|'') echo "check-allocations: unexpected argument '$1' (usage: $0 [--no-build] [message-count])" >&2; exit 2 ;;
        *) count=$1; shift ;;
    esac
done
thresholds="$here/Thresholds/allocations.json"
if [ "$build" = 1 ]; then
    "${SWIFT:-swift}" build -c release --package-path "$here" --product allocations >&2
fi
tool="$here/.build/release/allocations"

set +e
table=$("$tool" --check "$thresholds" "$count")
status=$?
set -e
printf '%s\n' "$table"
[ "$status" = 0 ] || exit "$status"

# The self-test: every path must be reported over its threshold when the Swift loops make one
# more allocation per message.
# (Paths reported as "not guarded" have no threshold, and are left out.)
paths=$(awk -F'|' 'NR > 3 && $7 !~ /not guarded/ { gsub(/ /, "", $3); print $3 }' <<<"$table")
set +e
failures=$("$tool" --check "$thresholds" --inject-allocation "$count" 2>&1 >/dev/null)
status=$?
set -e
missed=()
for path in $paths; do
    grep -q "^FAIL $path:" <<<"$failures" || missed+=("$path")
done
if [ "$status" = 0 ] || [ ${#missed[@]} -gt 0 ]; then
    echo "check-allocations: the check did not catch one injected allocation per message (exit status $status; not reported: ${missed[*]:-none})" >&2
    exit 1
fi
echo "check-allocations: the check catches one injected allocation per message on all $(wc -w <<<"$paths") paths" >&2
