#!/usr/bin/env bash
# Pairs every Swift perf tool with its C counterpart in both directions (and each with itself),
# over tcp and ipc, and checks that every pair completes and prints libzmq's result lines. The
# async tools (async_local_thr, ...) are paired with the C tools both ways, and with themselves;
# "async-el" is the same async tools on the event thread (ZMQ_ASYNC_EXECUTOR=event-loop), paired
# with the C tools both ways.
#
#   Benchmarks/cross-pairs.sh [--no-build]
#
# Prints one row per pair; exits non-zero if any pair failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ ${1:-} != --no-build ]]; then
    make -s -C "$here/c"
    swift build -c release --package-path "$here" >/dev/null
fi
swift_bin="$here/.build/release"
c_bin="$here/c/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=27500
failures=0

# tool IMPL NAME: the path of one end (swift, c, async or async-el).
tool() {
    case $1 in
        swift) echo "$swift_bin/$2" ;;
        async | async-el) echo "$swift_bin/async_$2" ;;
        c) echo "$c_bin/$2" ;;
    esac
}
# executor IMPL: the ZMQ_ASYNC_EXECUTOR value of one end.
executor() { if [[ $1 == async-el ]]; then echo event-loop; else echo default; fi; }

printf '| test | local | remote | transport | result |\n|---|---|---|---|---|\n'
for transport in tcp ipc; do
    for test in thr lat; do
        for pair in swift/swift swift/c c/swift c/c async/c c/async async/async async-el/c c/async-el; do
            local=${pair%/*} remote=${pair#*/}
            port=$((port + 1))
            if [[ $transport == tcp ]]; then endpoint="tcp://127.0.0.1:$port"; else endpoint="ipc://$work/$port.ipc"; fi
            if [[ $test == thr ]]; then count=100000; else count=2000; fi
            ZMQ_ASYNC_EXECUTOR=$(executor "$local") timeout 60 "$(tool "$local" "local_$test")" "$endpoint" 64 "$count" >"$work/local" 2>&1 &
            local_pid=$!
            sleep 0.3
            status=ok
            ZMQ_ASYNC_EXECUTOR=$(executor "$remote") timeout 60 "$(tool "$remote" "remote_$test")" "$endpoint" 64 "$count" >"$work/remote" 2>&1 || status="remote failed"
            wait "$local_pid" || status="local failed"
            # The receiving side of a throughput pair, the REQ side of a latency pair, reports.
            if [[ $test == thr ]]; then report="$work/local"; want='^mean throughput: [0-9]+ \[msg/s\]$'
            else report="$work/remote"; want='^average latency: [0-9]+\.[0-9]{3} \[us\]$'; fi
            if [[ $status == ok ]]; then
                if grep -Eq "$want" "$report" && grep -q '^message size: 64 \[B\]$' "$report"; then
                    status="ok: $(grep -E "$want" "$report")"
                else
                    status="unexpected output"
                fi
            fi
            [[ $status == ok:* ]] || failures=$((failures + 1))
            printf '| %s | %s | %s | %s | %s |\n' "$test" "$local" "$remote" "$transport" "$status"
        done
    done
done
((failures == 0)) || { echo "$failures pair(s) failed" >&2; exit 1; }
