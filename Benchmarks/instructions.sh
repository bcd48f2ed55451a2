#!/usr/bin/env bash
# Instructions per message, Swift vs C, counted with valgrind's callgrind: stable to about 1%
# on a shared machine where wall-clock numbers swing by 5-30%.
#
# Each tool runs at two message counts; (instructions at N2 - instructions at N1) / (N2 - N1)
# is the cost of one more message, without start-up and connection set-up. Each count runs
# --reps times (Swift and C alternating) and the median is used. For tcp, only the measured side
# (local_thr / remote_lat) runs under callgrind; its peer is the C tool.
#
# Two things make the counts repeatable (see RESULTS.md): the measured process is pinned to one
# CPU, so that its threads hand over in the same way from run to run, and glibc's per-thread
# malloc caches are turned off (GLIBC_TUNABLES), whose refills otherwise depend on how the
# sending and receiving threads interleave. --plain measures without either.
#
# The async tools (async_inproc_thr, async_inproc_lat, async_local_thr, async_remote_lat) are
# measured the same way, against the same C tool: their row's Swift column is the async tool,
# so its ratio next to the blocking tool's row shows what the async API costs per message.
#
# With --check MAX, exits 1 with one FAIL line per tool and size whose Swift/C ratio is above
# MAX (`make check-performance`: inproc_thr and inproc_lat at 64 B, MAX 1.05).
#
# usage: Benchmarks/instructions.sh [--tools "inproc_thr inproc_lat local_thr remote_lat async_inproc_thr ..."]
#            [--sizes "8 64 4096"] [--n1 100000] [--n2 200000] [--lat-n1 20000] [--lat-n2 40000]
#            [--reps 3] [--check MAX] [--swift-bin DIR] [--c-bin DIR] [--no-build] [--plain]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The usage lines above; `usage 0` prints them on stdout (--help), `usage` on stderr, exit 2.
usage() {
    if [ "${1:-2}" = 0 ]; then
        sed -n '/^# usage:/,/^set /p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
    fi
    sed -n '/^# usage:/,/^set /p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}
tools="inproc_thr inproc_lat local_thr remote_lat"
sizes="8 64 4096"
n1=100000        # messages, for the throughput tools
n2=200000
lat_n1=20000     # round trips, for the latency tools (one costs about four messages)
lat_n2=40000
reps=3
max_ratio=""
swift_bin="$here/.build/release"
c_bin="$here/c/bin"
build=1
plain=0
directory() { cd "$2" 2>/dev/null && pwd || { echo "instructions.sh: $1: no directory '$2'" >&2; exit 2; }; }
number() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "instructions.sh: $1 needs a positive whole number, not '$2'" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
    case "$1" in --tools|--sizes|--n1|--n2|--lat-n1|--lat-n2|--reps|--check|--swift-bin|--c-bin)
        [ $# -ge 2 ] || { echo "instructions.sh: $1 needs a value" >&2; usage; } ;;
    esac
    case "$1" in
        --tools) tools=$2; shift 2 ;;
        --sizes) sizes=$2; shift 2 ;;
        --n1) number "$1" "$2"; n1=$2; shift 2 ;;
        --n2) number "$1" "$2"; n2=$2; shift 2 ;;
        --lat-n1) number "$1" "$2"; lat_n1=$2; shift 2 ;;
        --lat-n2) number "$1" "$2"; lat_n2=$2; shift 2 ;;
        --reps) number "$1" "$2"; reps=$2; shift 2 ;;
        --check)
            [[ "$2" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "instructions.sh: --check needs a ratio such as 1.05, not '$2'" >&2; exit 2; }
            max_ratio=$2; shift 2 ;;
        --swift-bin) swift_bin=$(directory "$1" "$2"); build=0; shift 2 ;;
        --c-bin) c_bin=$(directory "$1" "$2"); shift 2 ;;
        --no-build) build=0; shift ;;
        --plain) plain=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "instructions.sh: unexpected argument '$1'" >&2; usage ;;
    esac
done
[ "$n2" -gt "$n1" ] && [ "$lat_n2" -gt "$lat_n1" ] || { echo "instructions.sh: N2 must be larger than N1" >&2; exit 2; }
for tool in $tools; do
    case "${tool#async_}" in inproc_thr|inproc_lat|local_thr|remote_lat) ;;
        *) echo "instructions.sh: unknown tool '$tool' (inproc_thr, inproc_lat, local_thr, remote_lat, each also with async_)" >&2; exit 2 ;;
    esac
done
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

started=$SECONDS
if [ "$build" = 1 ]; then
    make -s -C "$here/c" >&2
    "${SWIFT:-swift}" build -c release --package-path "$here" >&2
elif [ "$c_bin" = "$here/c/bin" ]; then
    make -s -C "$here/c" >&2
fi
for tool in $tools; do
    [ -x "$swift_bin/$tool" ] || { echo "instructions.sh: $swift_bin/$tool is missing" >&2; exit 1; }
    [ -x "$c_bin/${tool#async_}" ] || { echo "instructions.sh: $c_bin/${tool#async_} is missing" >&2; exit 1; }
done

# The measured process runs on one CPU (the first this shell may use) with glibc's tcache and
# fastbins off; see the header.
run_env=()
if [ "$plain" = 0 ]; then
    run_env=(env GLIBC_TUNABLES=glibc.malloc.tcache_count=0:glibc.malloc.mxfast=0)
    cpu=$(taskset -cp $$ 2>/dev/null | sed 's/.*: *//; s/[-,].*//') || cpu=""
    if [ -n "$cpu" ] && taskset -c "$cpu" true 2>/dev/null; then
        run_env=(taskset -c "$cpu" "${run_env[@]}")
    else
        echo "instructions.sh: cannot pin to one CPU with taskset (util-linux): the counts will vary more" >&2
    fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=27000

# Instructions callgrind counts for one command (all threads of the process).
count() {
    if ! timeout 600 "${run_env[@]}" valgrind --tool=callgrind --callgrind-out-file="$work/out" "$@" \
        >/dev/null 2>"$work/log"; then
        echo "instructions.sh: failed under callgrind: $*" >&2
        grep -v '^==' "$work/log" | tail -3 >&2
        exit 1
    fi
    grep -o 'Collected : [0-9]*' "$work/log" | grep -o '[0-9]*$'
}

# Instructions of `measured` (a local_thr or remote_lat tool, under callgrind) with the C tool
# on the other end, over tcp.
count_pair() {
    local measured=$1 size=$2 n=$3
    port=$((port + 1))
    local endpoint="tcp://127.0.0.1:$port"
    case "$measured" in
        *local_thr)
            ( sleep 1; timeout 300 "$c_bin/remote_thr" "$endpoint" "$size" "$n" >/dev/null ) &
            count "$measured" "$endpoint" "$size" "$n" ;;
        *remote_lat)
            timeout 300 "$c_bin/local_lat" "$endpoint" "$size" "$n" >/dev/null &
            sleep 0.5
            count "$measured" "$endpoint" "$size" "$n" ;;
    esac
    wait
}

# measure BIN TOOL SIZE N: TOOL is the name in BIN (async_inproc_thr, or inproc_thr in c/bin).
measure() {
    local bin=$1 tool=$2 size=$3 n=$4
    case "$tool" in
        *inproc_*) count "$bin/$tool" "$size" "$n" ;;
        *) count_pair "$bin/$tool" "$size" "$n" ;;
    esac
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

failures=0
printf '| tool | size | Swift instr/msg | C instr/msg | Swift/C |\n|---|---:|---:|---:|---:|\n'
for size in $sizes; do
    for tool in $tools; do
        a=$n1 b=$n2
        case "$tool" in *_lat) a=$lat_n1 b=$lat_n2 ;; esac
        declare -A runs=()
        for _ in $(seq "$reps"); do
            for impl in swift c; do
                bin=$swift_bin name=$tool
                [ "$impl" = c ] && bin=$c_bin name=${tool#async_}
                runs[$impl,a]+=" $(measure "$bin" "$name" "$size" "$a")"
                runs[$impl,b]+=" $(measure "$bin" "$name" "$size" "$b")"
            done
        done
        declare -A cost=()
        for impl in swift c; do
            # shellcheck disable=SC2086
            cost[$impl]=$(( ($(median ${runs[$impl,b]}) - $(median ${runs[$impl,a]})) / (b - a) ))
        done
        ratio=$(awk -v s="${cost[swift]}" -v c="${cost[c]}" 'BEGIN { printf "%.3f", s / c }')
        label=$tool; case "$tool" in *local_thr|*remote_lat) label="$tool (tcp)";; esac
        printf '| %s | %s | %s | %s | %s |\n' "$label" "$size" "${cost[swift]}" "${cost[c]}" "$ratio"
        if [ -n "$max_ratio" ] && awk -v r="$ratio" -v m="$max_ratio" 'BEGIN { exit !(r > m) }'; then
            echo "FAIL $label at $size B: Swift/C instructions per message $ratio > $max_ratio (Swift ${cost[swift]}, C ${cost[c]}; median of $reps runs at $a and $b)" >&2
            failures=$((failures + 1))
        fi
        unset runs cost
    done
done
elapsed=$((SECONDS - started))
if [ -n "$max_ratio" ]; then
    if [ "$failures" -gt 0 ]; then
        echo "instructions.sh: $failures Swift/C ratio(s) above $max_ratio (${elapsed}s)" >&2
        exit 1
    fi
    echo "instructions.sh: every Swift/C ratio at most $max_ratio (${elapsed}s)" >&2
fi
