#!/usr/bin/env bash
# The soak test (make soak): 10,000,000 messages PUSH→PULL over tcp between two processes,
# checked for loss, duplicates, order and payload, with the receiver's resident memory at the
# start, 1 M, 5 M and 10 M messages (see `soak --help` for the memory bounds and why).
#
# First it checks the checks: short runs with a fault injected on purpose (a dropped, a
# duplicated, a swapped and a corrupted message, and a 32-byte leak per message in the
# receiver) must each fail with the matching reason, or the soak test could not fail.
#
# usage: Benchmarks/soak.sh [--no-build] [--no-selftest] [soak options…]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=1
selftest=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0; shift ;;
        --no-selftest) selftest=0; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
    esac
done
if [ "$build" = 1 ]; then
    "${SWIFT:-swift}" build -c release --package-path "$here" --product soak >&2
fi
tool="$here/.build/release/soak"

if [ "$selftest" = 1 ]; then
    # fault, then the words its failure must contain
    checks=(
        "drop:123456|expected sequence 123456, got 123457"
        "duplicate:777|got 777 again"
        "swap:4242|expected sequence 4242, got 4243"
        "corrupt:99|message 99 is corrupt"
        "leak:32|resident memory grew"
    )
    for check in "${checks[@]}"; do
        fault=${check%%|*}
        expected=${check#*|}
        set +e
        out=$("$tool" --count 300000 --inject "$fault" 2>&1 >/dev/null)
        status=$?
        set -e
        if [ "$status" != 1 ] || ! grep -q "FAIL: .*$expected" <<<"$out"; then
            printf '%s\n' "$out" >&2
            echo "soak.sh: the soak test did not catch the injected fault $fault (exit status $status)" >&2
            exit 1
        fi
    done
    echo "soak.sh: the soak test catches a dropped, a duplicated, a swapped and a corrupted message and a leak of 32 bytes per message" >&2
fi

exec "$tool" "$@"
