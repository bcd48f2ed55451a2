#!/usr/bin/env bash
# make fuzz: builds each libFuzzer target in Fuzz/Sources and runs it for FUZZ_SECONDS
# (60 by default) from its seed corpus in Fuzz/corpus/<target>. Fails when a target crashes,
# traps (a property it checks does not hold), leaks or times out, and prints the path of the
# input that did it; rerun that input alone with
# `SWIFT_BACKTRACE=enable=no Fuzz/.build/<target> <path>` (without that setting the Swift
# runtime's backtracer can hold a crashing fuzzer for a long time).
#
# Each target is one executable compiled by swiftc with -sanitize=fuzzer,address from the
# library's sources (Sources/ZeroMQ) together with Fuzz/Sources/FuzzSupport.swift and the
# target's file, as one module: the target calls the internal functions the library decodes
# with, and the library's code is instrumented for coverage and AddressSanitizer. The inputs
# the fuzzer finds go to Fuzz/.build/corpus/<target> (kept between runs, not committed);
# crashes to Fuzz/.build/crashes/<target>/.
#
# Targets: monitor-event (SocketMonitor's frame decoding), z85 (Z85.decode and encode), and
# certificate (CurveCertificate(parsing:path:)); each file's header lists what it checks.
# Building takes about a minute per target; `make fuzz` about 5 minutes in all.
#
# usage: Fuzz/fuzz.sh [--seconds N] [--build-only] [target…]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
TARGETS=(monitor-event z85 certificate)
seconds=${FUZZ_SECONDS:-60}
build_only=0
selected=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
        --build-only) build_only=1; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) selected+=("$1"); shift ;;
    esac
done
case "$seconds" in ''|*[!0-9]*|0) echo "fuzz.sh: FUZZ_SECONDS/--seconds must be a whole number above 0, not '$seconds'" >&2; exit 2 ;; esac
[ ${#selected[@]} -gt 0 ] || selected=("${TARGETS[@]}")
for target in "${selected[@]}"; do
    [ -f "$here/Sources/$target.swift" ] || { echo "fuzz.sh: no target $target (have: ${TARGETS[*]})" >&2; exit 2; }
done

swiftc=${SWIFTC:-swiftc}
# The library's settings from Package.swift.
flags=(-swift-version 6 -parse-as-library -O -g -use-ld=lld -sanitize=fuzzer,address
       -enable-upcoming-feature InternalImportsByDefault -enable-upcoming-feature MemberImportVisibility
       -enable-upcoming-feature ExistentialAny -enable-upcoming-feature NonisolatedNonsendingByDefault
       -module-name ZeroMQ -I "$root/Sources/CZeroMQ" -lzmq)
mapfile -t library < <(find "$root/Sources/ZeroMQ" -name '*.swift' | sort)
mkdir -p "$here/.build"

build() {
    local target=$1 binary="$here/.build/$1"
    local sources=("${library[@]}" "$here/Sources/FuzzSupport.swift" "$here/Sources/$target.swift")
    if [ -x "$binary" ] && [ -z "$(find "${sources[@]}" "$0" -newer "$binary" 2>/dev/null | head -1)" ]; then
        return
    fi
    echo "fuzz: building $target" >&2
    "$swiftc" "${flags[@]}" "${sources[@]}" -o "$binary"
}

failed=0
for target in "${selected[@]}"; do
    build "$target"
    [ "$build_only" = 1 ] && continue
    work="$here/.build/corpus/$target"
    crashes="$here/.build/crashes/$target"
    log="$here/.build/$target.log"
    mkdir -p "$work" "$crashes"
    dictionary=()
    [ -f "$here/corpus/$target.dict" ] && dictionary=(-dict="$here/corpus/$target.dict")
    echo "fuzz: running $target for $seconds s" >&2
    set +e
    # The Swift runtime's backtracer would hold a crashing process for seconds; libFuzzer and
    # AddressSanitizer print the stack themselves.
    SWIFT_BACKTRACE=enable=no "$here/.build/$target" -max_total_time="$seconds" -timeout=10 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$crashes/" "${dictionary[@]}" \
        "$work" "$here/corpus/$target" >"$log" 2>&1
    status=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    coverage=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
    if [ "$status" = 0 ]; then
        echo "fuzz: $target: ${runs:-?} runs in $seconds s (${rate:-?} exec/s), coverage ${coverage:-?} edges, corpus $(ls "$work" | wc -l) inputs: no crash"
    else
        failed=1
        input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        grep -E 'property failed|Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY' "$log" | head -5 >&2 || true
        echo "fuzz: FAIL $target (exit status $status): crashing input ${input:-not saved} (full log $log)" >&2
    fi
done
exit $failed
