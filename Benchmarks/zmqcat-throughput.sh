#!/usr/bin/env bash
# Does zmqcat keep up with a C sender? C `remote_thr` (PUSH) sends COUNT x SIZE-byte messages
# over tcp loopback to either
#   zmqcat pull --bind tcp://127.0.0.1:P --count COUNT --format raw > /dev/null
# or the C `local_thr` (PULL), alternating the two, REPS times each; prints each run and the
# medians.
#
#   Benchmarks/zmqcat-throughput.sh [--no-build] [COUNT [SIZE [REPS]]]    (1000000 64 3)
#
# How it measures:
# - msg/s: COUNT divided by the wall time from starting remote_thr (the receiver is already
#   bound and waiting) to the receiver's exit after its last message. So both receivers are
#   timed the same way: connection set-up (about a millisecond on loopback) included, process
#   start-up not. local_thr's own figure (timed from its first message) is shown too.
# - max RSS: the receiver's peak resident set, from `/usr/bin/time -f %M` (KiB), to show that
#   memory stays flat however many messages pass.
# The machine is shared and has few cores, so the numbers are noisy: compare medians.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=1
if [[ ${1:-} == --no-build ]]; then build=0; shift; fi
count=${1:-1000000}
size=${2:-64}
reps=${3:-3}

if ((build)); then
    make -s -C "$here/c"
    swift build -c release --package-path "$root" --product zmqcat >/dev/null
fi
zmqcat="$root/.build/release/zmqcat"
c_bin="$here/c/bin"
for tool in "$zmqcat" "$c_bin/local_thr" "$c_bin/remote_thr" /usr/bin/time; do
    [[ -x $tool ]] || { echo "missing: $tool" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=$((28000 + RANDOM % 1000))

now_ns() { date +%s%N; }

# run NAME: one measured transfer into receiver NAME (zmqcat or c); prints "msg/s rss_kib".
run() {
    local name=$1 endpoint="tcp://127.0.0.1:$port" receiver
    port=$((port + 1))
    if [[ $name == zmqcat ]]; then
        receiver=("$zmqcat" pull --bind "$endpoint" --count "$count" --format raw)
    else
        receiver=("$c_bin/local_thr" "$endpoint" "$size" "$count")
    fi
    /usr/bin/time -f %M -o "$work/rss" timeout 300 "${receiver[@]}" >"$work/out" 2>"$work/err" &
    local receiver_pid=$!
    # Wait until the receiver listens, so that the clock starts with the sender.
    local tries=0
    until ss -Hltn "sport = :${endpoint##*:}" 2>/dev/null | grep -q .; do
        sleep 0.01
        tries=$((tries + 1))
        ((tries < 500)) || { echo "$name did not bind" >&2; cat "$work/err" >&2; exit 1; }
    done
    local start end
    start=$(now_ns)
    timeout 300 "$c_bin/remote_thr" "$endpoint" "$size" "$count" >/dev/null &
    local sender_pid=$!
    wait "$receiver_pid" || { echo "$name failed:" >&2; cat "$work/err" >&2; exit 1; }
    end=$(now_ns)
    wait "$sender_pid" || { echo "remote_thr failed" >&2; exit 1; }
    if [[ $name == zmqcat ]]; then
        # zmqcat's output goes to a file here, and must be every byte.
        local bytes
        bytes=$(stat -c %s "$work/out")
        ((bytes == count * size)) || { echo "zmqcat wrote $bytes bytes, not $((count * size))" >&2; exit 1; }
    fi
    local own=""
    [[ $name == c ]] && own=$(sed -nE 's|^mean throughput: ([0-9]+) \[msg/s\]$|\1|p' "$work/out")
    echo "$((count * 1000000000 / (end - start))) $(tail -1 "$work/rss") $own"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "zmqcat vs C local_thr: $count x $size B over tcp loopback, $reps runs each, alternating"
printf '%-8s %4s %12s %12s %s\n' receiver run msg/s "max RSS KiB" "(local_thr's own msg/s)"
: >"$work/zmqcat.runs"
: >"$work/c.runs"
for ((rep = 1; rep <= reps; rep++)); do
    for name in zmqcat c; do
        result=$(run "$name")
        echo "$result" >>"$work/$name.runs"
        read -r rate rss own <<<"$result"
        printf '%-8s %4d %12d %12d %s\n' "$name" "$rep" "$rate" "$rss" "${own:+($own)}"
    done
done
echo "medians:"
for name in zmqcat c; do
    rate=$(cut -d' ' -f1 "$work/$name.runs" | median)
    rss=$(cut -d' ' -f2 "$work/$name.runs" | median)
    printf '  %-8s %12d msg/s %8d KiB max RSS\n' "$name" "$rate" "$rss"
done
