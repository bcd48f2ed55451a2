#!/usr/bin/env bash
# make leakcheck: every send and receive path of the library (Benchmarks/Sources/leakcheck,
# 100,000 messages each; `leakcheck --list` names them) under valgrind memcheck. Fails when
# valgrind finds a single byte definitely or indirectly lost, or any memory error (invalid
# read or write, use of uninitialised memory, bad free), with no suppressions.
#
# First it checks the check: short runs with a leak and an invalid read made on purpose
# (leakcheck --inject) must each fail, or this script could not fail.
#
# The program is a release build (-O, with debug info for the stack traces): the code users
# ship, with the library's @inlinable send and receive paths specialized into the caller as in
# an application, and about ten times faster under valgrind than a debug build.
#
# usage: Benchmarks/leakcheck.sh [--no-build] [--no-selftest] [leakcheck options…]
#        (valgrind is installed with apt when missing)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=1
selftest=1
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0; shift ;;
        --no-selftest) selftest=0; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
    esac
done
if ! command -v valgrind >/dev/null; then
    echo "valgrind not found: installing it with apt" >&2
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind >&2
fi
if [ "$build" = 1 ]; then
    "${SWIFT:-swift}" build -c release --package-path "$here" --product leakcheck >&2
fi
tool="$here/.build/release/leakcheck"
failed=42
memcheck=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
          --errors-for-leak-kinds=definite,indirect --error-exitcode=$failed --num-callers=40)

if [ "$selftest" = 1 ]; then
    for check in "leak|definitely lost: [1-9]" "invalid-read|Invalid read of size"; do
        fault=${check%%|*}
        expected=${check#*|}
        set +e
        out=$("${memcheck[@]}" "$tool" --only message --count 200 --inject "$fault" 2>&1 >/dev/null)
        status=$?
        set -e
        if [ "$status" != "$failed" ] || ! grep -q "$expected" <<<"$out"; then
            printf '%s\n' "$out" | tail -30 >&2
            echo "leakcheck.sh: valgrind did not catch the injected $fault (exit status $status)" >&2
            exit 1
        fi
    done
    echo "leakcheck.sh: valgrind catches an injected leak and an injected invalid read" >&2
fi

start=$(date +%s)
set +e
"${memcheck[@]}" "$tool" "$@"
status=$?
set -e
elapsed=$(( $(date +%s) - start ))
if [ "$status" = "$failed" ]; then
    echo "leakcheck.sh: FAIL: valgrind found leaks or memory errors (see its report above) after ${elapsed} s" >&2
    exit 1
elif [ "$status" != 0 ]; then
    echo "leakcheck.sh: FAIL: the leakcheck program failed (exit status $status) after ${elapsed} s" >&2
    exit 1
fi
echo "leakcheck.sh: no leaks and no memory errors in ${elapsed} s under valgrind" >&2
