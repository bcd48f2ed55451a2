#!/usr/bin/env bash
# Instructions per message, Swift vs C, counted with valgrind's callgrind: stable to about 1%
# on a shared machine where wall-clock numbers swing by 5-30%.
#
# Each tool runs at two message counts; (instructions at N2 - instructions at N1) / (N2 - N1)
# is the cost of one more message, without start-up and connection set-up. For tcp,
# only the measured side (local_thr / remote_lat) runs under callgrind; its peer is the C tool.
#
# usage: Benchmarks/instructions.sh [--sizes "8 64 4096"] [--n1 100000] [--n2 200000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sizes="8 64 4096"
n1=100000
n2=200000
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) sizes=$2; shift 2 ;;
        --n1) n1=$2; shift 2 ;;
        --n2) n2=$2; shift 2 ;;
        *) echo "usage: $0 [--sizes \"8 64\"] [--n1 N] [--n2 N]" >&2; exit 2 ;;
    esac
done
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

make -s -C "$here/c"
swift build -c release --package-path "$here" >/dev/null
swift_bin="$here/.build/release"
c_bin="$here/c/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=27000

# Instructions callgrind counts for one command (all threads of the process).
count() {
    timeout 600 valgrind --tool=callgrind --callgrind-out-file="$work/out" "$@" >/dev/null 2>"$work/log"
    grep -o 'Collected : [0-9]*' "$work/log" | grep -o '[0-9]*$'
}

# Instructions of `measured` (under callgrind) with `peer` on the other end, over tcp.
count_pair() {
    local measured=$1 peer=$2 tool=$3 size=$4 n=$5
    port=$((port + 1))
    local endpoint="tcp://127.0.0.1:$port"
    case "$tool" in
        local_thr)
            ( sleep 1; timeout 300 "$peer/remote_thr" "$endpoint" "$size" "$n" >/dev/null ) &
            count "$measured/local_thr" "$endpoint" "$size" "$n" ;;
        remote_lat)
            timeout 300 "$peer/local_lat" "$endpoint" "$size" "$n" >/dev/null &
            sleep 0.5
            count "$measured/remote_lat" "$endpoint" "$size" "$n" ;;
    esac
    wait
}

per_message() { echo $(( ($2 - $1) / (n2 - n1) )); }

printf '| tool | size | Swift instr/msg | C instr/msg | Swift/C |\n|---|---:|---:|---:|---:|\n'
for size in $sizes; do
    for tool in inproc_thr inproc_lat local_thr remote_lat; do
        declare -A cost=()
        for impl in swift c; do
            bin=$swift_bin; [ "$impl" = c ] && bin=$c_bin
            case "$tool" in
                inproc_*) a=$(count "$bin/$tool" "$size" "$n1"); b=$(count "$bin/$tool" "$size" "$n2") ;;
                *) a=$(count_pair "$bin" "$c_bin" "$tool" "$size" "$n1"); b=$(count_pair "$bin" "$c_bin" "$tool" "$size" "$n2") ;;
            esac
            cost[$impl]=$(per_message "$a" "$b")
        done
        ratio=$(awk -v s="${cost[swift]}" -v c="${cost[c]}" 'BEGIN { printf "%.3f", s / c }')
        label=$tool; case "$tool" in local_thr|remote_lat) label="$tool (tcp)";; esac
        printf '| %s | %s | %s | %s | %s |\n' "$label" "$size" "${cost[swift]}" "${cost[c]}" "$ratio"
    done
done
