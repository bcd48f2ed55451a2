#!/usr/bin/env bash
# Compares the echo-server demo with a pyzmq REP server that prints the same line.
#
# One pyzmq REQ client (client.py) measures round trips per second against each server in
# turn: the Swift demo (Examples/echo-server, release build) and server.py. Servers run
# alternately, REPS times each, for two workloads: random 100 KiB frames and short text
# ("msg <n>"). The table shows the median of each, and the Swift/pyzmq ratio; and the
# server's CPU time per round trip (user + system, all threads), which a busy machine
# disturbs much less than the rate.
#
# Usage: bash Benchmarks/echo-server/run.sh [ECHO_SERVER]
#   ECHO_SERVER   the echo-server executable (default: builds it with
#                 `swift build -c release --product echo-server` in the package root)
#   REPS          repetitions per server and workload (default 5)
#   SECONDS_EACH  measuring time of one repetition, in seconds (default 2)
#   SERVER_OUT    where the servers' standard output goes (default /dev/null)
#
# Needs pyzmq (python3 -m pip install pyzmq). Every repetition's rate goes to stderr.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
REPS="${REPS:-5}"
SECONDS_EACH="${SECONDS_EACH:-2}"
SERVER_OUT="${SERVER_OUT:-/dev/null}"

if ! python3 -c 'import zmq' 2>/dev/null; then
    echo "echo-server benchmark: needs pyzmq (python3 -m pip install pyzmq)" >&2
    exit 1
fi
if (( $# >= 1 )); then
    SWIFT_SERVER="$1"
else
    (cd "$ROOT" && swift build -c release --product echo-server >&2)
    SWIFT_SERVER="$(cd "$ROOT" && swift build -c release --show-bin-path)/echo-server"
fi
if [[ ! -x "$SWIFT_SERVER" ]]; then
    echo "echo-server benchmark: $SWIFT_SERVER is not an executable" >&2
    exit 1
fi

SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# measure SERVER WORKLOAD...: starts a server, prints the client's round trips per second
# and the server's CPU microseconds per round trip.
measure() {
    local server=$1 endpoint
    shift
    endpoint="tcp://127.0.0.1:$(free_port)"
    case "$server" in
        swift) "$SWIFT_SERVER" --bind "$endpoint" >>"$SERVER_OUT" 2>/dev/null & ;;
        pyzmq) python3 "$HERE/server.py" --bind "$endpoint" >>"$SERVER_OUT" 2>/dev/null & ;;
    esac
    SERVER_PID=$!
    python3 "$HERE/client.py" --connect "$endpoint" --seconds "$SECONDS_EACH" --server-pid "$SERVER_PID" "$@"
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A RATES=() CPU=()
WORKLOADS=("100 KiB random" "short text")
workload_arguments() {
    case "$1" in
        "100 KiB random") echo "--size 102400" ;;
        "short text") echo "--text" ;;
    esac
}

for (( rep = 1; rep <= REPS; rep++ )); do
    for workload in "${WORKLOADS[@]}"; do
        # Alternate which server goes first, so that neither always runs on a warmer machine.
        if (( rep % 2 )); then order=(swift pyzmq); else order=(pyzmq swift); fi
        for server in "${order[@]}"; do
            # shellcheck disable=SC2046
            read -r rate cpu < <(measure "$server" $(workload_arguments "$workload"))
            echo "rep $rep, $workload, $server: $rate round trips/s, $cpu us of server CPU per round trip" >&2
            RATES["$workload/$server"]+="$rate "
            CPU["$workload/$server"]+="$cpu "
        done
    done
done

values() { tr ' ' '\n' <<<"$1" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }
printf '\n%-16s %13s %13s %12s   %17s %17s\n' "workload" "swift rt/s" "pyzmq rt/s" "swift/pyzmq" \
    "swift CPU us/rt" "pyzmq CPU us/rt"
for workload in "${WORKLOADS[@]}"; do
    swift="$(values "${RATES[$workload/swift]}")"
    pyzmq="$(values "${RATES[$workload/pyzmq]}")"
    swift_cpu="$(values "${CPU[$workload/swift]}")"
    pyzmq_cpu="$(values "${CPU[$workload/pyzmq]}")"
    printf '%-16s %13.0f %13.0f %12.2f   %17.1f %17.1f\n' "$workload" "$swift" "$pyzmq" \
        "$(ratio "$swift" "$pyzmq")" "$swift_cpu" "$pyzmq_cpu"
done
echo "(medians of $REPS runs of ${SECONDS_EACH}s each; $(basename "$SWIFT_SERVER") at $SWIFT_SERVER)"
