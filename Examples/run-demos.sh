#!/usr/bin/env bash
# Runs the ZeroMQ demos end to end, with their output on the terminal:
#
#   1. echo: one echo-client spreading requests over two echo-servers (REQ/REP)
#   2. soccer: a publisher and subscribers that follow chosen countries (PUB/SUB)
#   3. pipeline: a ventilator, two workers and a sink (PUSH/PULL)
#   4. the three devices between the same demos: queue, forwarder and streamer
#   5. async echo: three echo-clients at once -> one async-echo-server (ROUTER, a task per request)
#   6. lazy pirate: a lazy-pirate-client riding out a lazy-pirate-server that stalls, crashes
#      and is restarted (reliable REQ/REP)
#   7. suicidal snail: a suicidal-snail-publisher and two subscribers, one that keeps up and
#      one that falls behind and aborts (PUB/SUB)
#   8. secure echo: zmq-keygen writes certificates; a CURVE echo-server admits the client whose
#      public certificate it was given and refuses one with another key
#   9. zmqcat: a health check of an echo-server (status 0, then 1 once it is gone), and a
#      zmqcat PUSH feeding a zmqcat PULL that prints in hex
#
# Usage: bash Examples/run-demos.sh [BIN_DIR]
#   BIN_DIR           where the demos were built (default: `swift build --show-bin-path`)
#   DEMO_PORT_BASE    first of the 18 loopback TCP ports used (default 15555)
#   DEMO_TIMEOUT      seconds any one demo may run before it is killed (default 30)
#
# Each demo's lines are prefixed with its name: its data lines (standard output) and its
# status lines (standard error) alike. The script stops at the first failure with
# a non-zero status, and stops every demo it started whatever happens.
set -euo pipefail

BIN="${1:-$(swift build --show-bin-path)}"
BASE="${DEMO_PORT_BASE:-15555}"
LIMIT="${DEMO_TIMEOUT:-30}"

for demo in echo-server echo-client soccer-publisher soccer-subscriber \
            pipeline-ventilator pipeline-worker pipeline-sink zmq-device async-echo-server \
            lazy-pirate-client lazy-pirate-server suicidal-snail-publisher suicidal-snail-subscriber \
            zmq-keygen zmqcat; do
    if [[ ! -x "$BIN/$demo" ]]; then
        echo "run-demos: $BIN/$demo is missing; build the demos first (swift build)" >&2
        exit 1
    fi
done

LOGS="$(mktemp -d "${TMPDIR:-/tmp}/zmq-demos.XXXXXX")"
declare -A PIDS=()   # label -> pid of each background demo (its `timeout` wrapper)

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for label in "${!PIDS[@]}"; do
        kill -TERM "${PIDS[$label]}" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$LOGS"
    if (( status != 0 )); then echo "run-demos: FAILED (status $status)" >&2; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

EP=()   # the loopback endpoints the demos use
for i in {0..17}; do EP[i]="tcp://127.0.0.1:$((BASE + i))"; done

section() { printf '\n=== %s ===\n' "$*"; }

# prefix LABEL: copies stdin to stdout with "[LABEL] " before each line, and to LABEL's log.
prefix() { tee -a "$LOGS/$1.log" | sed -u "s/^/[$1] /"; }

# start LABEL DEMO ARGS...: runs a demo in the background.
start() {
    local label=$1 demo=$2
    shift 2
    : > "$LOGS/$label.log"
    timeout --kill-after=5 "$LIMIT" "$BIN/$demo" "$@" > >(prefix "$label") 2>&1 &
    PIDS[$label]=$!
}

# run LABEL DEMO ARGS...: runs a demo to its end; fails if it fails. (It runs in the
# background while the script waits, so that a signal to the script stops it at once.)
run() {
    start "$@"
    finish "$1"
}

# ready LABEL TEXT: waits until LABEL's output contains TEXT.
ready() {
    local label=$1 text=$2 tries=$((LIMIT * 20))
    until grep -qF -- "$text" "$LOGS/$label.log" 2>/dev/null; do
        if (( --tries == 0 )); then
            echo "run-demos: $label did not print '$text' within ${LIMIT}s" >&2
            return 1
        fi
        if ! kill -0 "${PIDS[$label]}" 2>/dev/null; then
            echo "run-demos: $label ended before printing '$text'" >&2
            return 1
        fi
        sleep 0.05
    done
}

# finish LABEL: waits for a background demo that stops by itself; fails if it failed.
finish() {
    local status=0
    wait "${PIDS[$1]}" || status=$?
    unset "PIDS[$1]"
    if (( status != 0 )); then
        echo "run-demos: $1 exited with status $status" >&2
        return 1
    fi
}

# expect_status LABEL STATUS: waits for a background demo that must exit with STATUS.
expect_status() {
    local status=0
    wait "${PIDS[$1]}" || status=$?
    unset "PIDS[$1]"
    if (( status != $2 )); then
        echo "run-demos: $1 exited with status $status, not $2" >&2
        return 1
    fi
    echo "[$1] exited with status $status, as expected"
}

# stop LABEL...: sends SIGTERM (as Ctrl-C would send SIGINT) and expects status 0.
stop() {
    for label in "$@"; do
        kill -TERM "${PIDS[$label]}"
        finish "$label"
        echo "[$label] stopped cleanly"
    done
}

section "echo: echo-client -> two echo-servers (REQ/REP)"
start server-1 echo-server --bind "${EP[0]}" --count 5
start server-2 echo-server --bind "${EP[1]}" --count 5
ready server-1 "bound to"
ready server-2 "bound to"
run client echo-client --connect "${EP[0]}" --connect "${EP[1]}" --count 10
finish server-1
finish server-2

section "soccer: soccer-publisher -> soccer-subscribers (PUB/SUB with topics)"
start publisher soccer-publisher --bind "${EP[2]}" --interval-ms 50
ready publisher "bound to"
run brazil-fan soccer-subscriber --connect "${EP[2]}" --topic brazil --count 4
run neighbours soccer-subscriber --connect "${EP[2]}" --topic netherlands --topic germany --count 4
stop publisher

section "pipeline: pipeline-ventilator -> two pipeline-workers -> pipeline-sink (PUSH/PULL)"
start sink pipeline-sink --bind "${EP[4]}" --tasks 20
start worker-1 pipeline-worker --connect "${EP[3]}" --push "${EP[4]}"
start worker-2 pipeline-worker --connect "${EP[3]}" --push "${EP[4]}"
ready sink "bound to"
ready worker-1 "pulling from"
ready worker-2 "pulling from"
run ventilator pipeline-ventilator --bind "${EP[3]}" --sink "${EP[4]}" --tasks 20 --wait-ms 500
finish sink
stop worker-1 worker-2

section "queue device: echo-client -> zmq-device queue -> echo-server"
start queue zmq-device queue --frontend "${EP[5]}" --backend "${EP[6]}"
ready queue "queue:"
start server echo-server --connect "${EP[6]}" --count 4
run client echo-client --connect "${EP[5]}" --count 4
finish server
stop queue

section "forwarder device: soccer-publisher -> zmq-device forwarder -> soccer-subscriber"
start forwarder zmq-device forwarder --frontend "${EP[7]}" --backend "${EP[8]}"
ready forwarder "forwarder:"
start publisher soccer-publisher --connect "${EP[7]}" --interval-ms 50
run brazil-fan soccer-subscriber --connect "${EP[8]}" --topic brazil --count 3
stop publisher forwarder

section "streamer device: pipeline-ventilator -> zmq-device streamer -> pipeline-worker -> pipeline-sink"
start streamer zmq-device streamer --frontend "${EP[9]}" --backend "${EP[10]}"
start sink pipeline-sink --bind "${EP[11]}" --tasks 10
start worker pipeline-worker --connect "${EP[10]}" --push "${EP[11]}"
ready streamer "streamer:"
ready sink "bound to"
ready worker "pulling from"
run ventilator pipeline-ventilator --connect "${EP[9]}" --sink "${EP[11]}" --tasks 10 --wait-ms 300
finish sink
stop worker streamer

section "async echo: three echo-clients at once -> async-echo-server (ROUTER, a task per request)"
# Six requests that each take 300 ms: the clients' pairs overlap, so all six are answered in
# about 0.6 s rather than 1.8 s.
start async-server async-echo-server --bind "${EP[12]}" --delay-ms 300 --count 6
ready async-server "bound to"
start client-1 echo-client --connect "${EP[12]}" --count 2
start client-2 echo-client --connect "${EP[12]}" --count 2
start client-3 echo-client --connect "${EP[12]}" --count 2
finish client-1
finish client-2
finish client-3
finish async-server

section "lazy pirate: lazy-pirate-client -> a lazy-pirate-server that stalls, crashes and is restarted"
# Request 2 stalls for 2 s, so the client retries it on a new socket; the server crashes at
# the fifth request it receives (resent ones count), and a new one takes over its endpoint.
start pirate-server-1 lazy-pirate-server --bind "${EP[13]}" --slow-at 2 --crash-at 5
ready pirate-server-1 "bound to"
start pirate-client lazy-pirate-client --connect "${EP[13]}" --count 6 --timeout-ms 1000 --retries 4
finish pirate-server-1
start pirate-server-2 lazy-pirate-server --bind "${EP[13]}"
finish pirate-client
stop pirate-server-2

section "suicidal snail: suicidal-snail-publisher -> a subscriber that keeps up, and one that cannot"
start snail-publisher suicidal-snail-publisher --bind "${EP[14]}"
ready snail-publisher "bound to"
run fast-snail suicidal-snail-subscriber --connect "${EP[14]}" --count 5
# 20 ms of work per message at one message a millisecond: about 200 ms behind within a tenth
# of a second, so it aborts with status 3.
start slow-snail suicidal-snail-subscriber --connect "${EP[14]}" --work-ms 20 --max-delay-ms 200
expect_status slow-snail 3
stop snail-publisher

section "secure echo: zmq-keygen certificates, a CURVE echo-server that admits one client key"
mkdir -p "$LOGS/certs/clients"
run keygen-server zmq-keygen --output-dir "$LOGS/certs" --name server
run keygen-client zmq-keygen --output-dir "$LOGS/certs/clients" --name client
run keygen-stranger zmq-keygen --output-dir "$LOGS/certs" --name stranger
start secure-server echo-server --bind "${EP[15]}" --count 2 \
    --curve-secret-key-file "$LOGS/certs/server.key_secret" --allow-dir "$LOGS/certs/clients"
ready secure-server "bound to"
run secure-client echo-client --connect "${EP[15]}" --count 2 \
    --curve-server-key-file "$LOGS/certs/server.key" \
    --curve-secret-key-file "$LOGS/certs/clients/client.key_secret"
finish secure-server
start secure-server-2 echo-server --bind "${EP[15]}" \
    --curve-secret-key-file "$LOGS/certs/server.key_secret" --allow-dir "$LOGS/certs/clients"
ready secure-server-2 "bound to"
# A key the server was not given: refused during the handshake, reported with the ZAP status.
start stranger echo-client --connect "${EP[15]}" --count 1 --timeout-ms 2000 \
    --curve-server-key-file "$LOGS/certs/server.key" \
    --curve-secret-key-file "$LOGS/certs/stranger.key_secret"
expect_status stranger 1
stop secure-server-2

section "zmqcat: a health check of echo-server (REQ), then PUSH -> PULL printed in hex"
start cat-server echo-server --bind "${EP[16]}" --count 1
ready cat-server "bound to"
run cat-check zmqcat req --connect "${EP[16]}" --send ping --timeout-ms 2000
finish cat-server
# Nothing answers there any more: the health check fails with status 1 after its timeout.
start cat-check-down zmqcat req --connect "${EP[16]}" --send ping --timeout-ms 500
expect_status cat-check-down 1
# The pusher waits for the puller, whichever starts first.
start cat-pull zmqcat pull --bind "${EP[17]}" --count 2 --format hex
run cat-push zmqcat push --connect "${EP[17]}" --send hello --send "" --count 2
finish cat-pull

section "all demos ran successfully"
