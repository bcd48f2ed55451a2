#!/usr/bin/env bash
# The async API against the blocking API and pyzmq's asyncio, in one run: the blocking Swift
# perf tools, the async Swift tools (async_*) on Swift's default executor, the same async tools
# on the event thread (ZMQ_ASYNC_EXECUTOR=event-loop: AsyncEventLoopExecutor), and
# Benchmarks/pyzmq_asyncio_perf.py, interleaved (blocking, async, async-event-loop, pyzmq,
# blocking, ...), several repetitions each, medians reported. Each pair runs the same
# implementation on both ends. Then async_sockets (on both executors, and pyzmq's `sockets`)
# at growing socket counts: peak threads and throughput.
#
#   Benchmarks/async-sweep.sh [--quick] [--reps N] [--out DIR] [--no-build]
#                             [--sizes "64 4096"] [--transports "tcp inproc"]
#                             [--socket-counts "1 100 10000"] [--results FILE]
#
# Writes DIR/raw.csv (every run), DIR/summary.csv, DIR/table.md, DIR/sockets.md and
# DIR/errors.log (the tools' stderr; DIR defaults to Benchmarks/results/async) and prints the
# tables. With --results FILE, the tables also replace the part of FILE between the lines
# `<!-- async-sweep:begin -->` and `<!-- async-sweep:end -->` (make bench: Benchmarks/RESULTS.md).
# pyzmq rows are NA when python3 cannot import zmq. A failed or timed-out run is recorded as NA.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN_TIMEOUT=120
PORT_BASE=31000
IMPLS=(blocking async async-event-loop pyzmq)

quick=0 reps="" out="$ROOT/results/async" build=1 sizes="" transports="tcp inproc" socket_counts="" results=""
usage() {
    sed -n '/^#   Benchmarks/,/^#  *\[--socket-counts/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while (($#)); do
    case $1 in
        --quick) quick=1 ;;
        --no-build) build=0 ;;
        -h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --reps | --out | --sizes | --transports | --socket-counts | --results)
            [[ -n ${2:-} ]] || usage
            name=${1#--}
            declare "${name//-/_}=$2"
            shift ;;
        *) echo "async-sweep.sh: unexpected argument '$1'" >&2; usage ;;
    esac
    shift
done
if ((quick)); then
    : "${reps:=3}" "${sizes:=64}" "${socket_counts:=1 10000}"
else
    : "${reps:=5}" "${sizes:=64 4096 131072}" "${socket_counts:=1 10 100 1000 10000}"
fi
[[ $reps =~ ^[1-9][0-9]*$ ]] || usage
for size in $sizes; do [[ $size =~ ^[0-9]+$ ]] || usage; done
for n in $socket_counts; do [[ $n =~ ^[1-9][0-9]*$ ]] || usage; done
for transport in $transports; do [[ $transport =~ ^(tcp|ipc|inproc)$ ]] || usage; done
if [[ -n $results && ! -f $results ]]; then echo "async-sweep.sh: no file $results" >&2; exit 2; fi

swift_bin="${SWIFT_BIN:-$ROOT/.build/release}"
python_tool="$ROOT/pyzmq_asyncio_perf.py"
if ((build)) && [[ -z ${SWIFT_BIN:-} ]]; then
    swift build -c release --package-path "$ROOT" >&2
fi
for tool in {,async_}{local,remote,inproc}_{lat,thr} async_sockets; do
    [[ $tool == async_inproc_* || $tool == inproc_* || $tool == *_lat || $tool == *_thr ]] || continue
    [[ -x $swift_bin/$tool ]] || { echo "missing $swift_bin/$tool (build it, or set SWIFT_BIN)" >&2; exit 1; }
done
have_pyzmq=1
python3 -c 'import zmq.asyncio' 2>/dev/null || {
    have_pyzmq=0
    echo "async-sweep.sh: pyzmq is not installed (python3 -m pip install pyzmq): its rows are NA" >&2
}

# --- message counts: about a second per run (quick: a quarter) ------------------
# Rows: largest size, thr count (tcp/ipc), thr count (inproc), roundtrips (tcp/ipc),
# roundtrips (inproc), for the Swift tools. pyzmq's asyncio moves about 50,000 messages a
# second, so it gets a fiftieth of the throughput counts and half the roundtrips.
COUNTS="
64        4000000 4000000 8000 20000
4096       250000 2000000 8000 20000
131072      20000 1000000 8000 20000
8388608       250  200000  250 20000
"
count() {    # count IMPL KIND TRANSPORT SIZE
    local col
    case $2/$3 in
        thr/inproc) col=3 ;; thr/*) col=2 ;;
        lat/inproc) col=5 ;; lat/*) col=4 ;;
    esac
    awk -v size="$4" -v col="$col" -v quick="$quick" -v impl="$1" -v kind="$2" '
        NF { n = $col; if (size <= $1) exit }
        END { if (impl == "pyzmq") n = (kind == "thr") ? int(n / 50) : int(n / 2)
              if (quick) n = int(n / 4); print (n < 1 ? 1 : n) }' <<<"$COUNTS"
}

mkdir -p "$out"
tmp=$(mktemp -d)
local_pid=""
cleanup() {
    [[ -n $local_pid ]] && kill "$local_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
errlog="$out/errors.log"
: >"$errlog"
run_no=0

# The command line of one end: tool_command IMPL TOOL ARGS...
tool_command() {
    local impl=$1 tool=$2
    shift 2
    case $impl in
        blocking) echo "$swift_bin/$tool $*" ;;
        async) echo "$swift_bin/async_$tool $*" ;;
        async-event-loop) echo "env ZMQ_ASYNC_EXECUTOR=event-loop $swift_bin/async_$tool $*" ;;
        pyzmq) echo "python3 $python_tool $tool $*" ;;
    esac
}

wait_bound() {    # wait_bound ENDPOINT PID: up to 10 s
    local endpoint=$1 pid=$2 hexport i
    for ((i = 0; i < 1000; i++)); do
        case $endpoint in
            tcp://*)
                printf -v hexport '%04X' "${endpoint##*:}"
                awk -v p=":$hexport" '$2 ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }' \
                    /proc/net/tcp && return 0 ;;
            ipc://*) [[ -S ${endpoint#ipc://} ]] && return 0 ;;
        esac
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

failed() {
    local why="exit status $2"
    (($2 == 124)) && why="timed out after ${RUN_TIMEOUT}s"
    echo "$1: $why" >>"$errlog"
    ok=0
}

# measure IMPL KIND TRANSPORT SIZE COUNT: sets r_msgs, r_lat (NA if not measured).
measure() {
    local impl=$1 kind=$2 transport=$3 size=$4 n=$5 endpoint report ok=1
    r_msgs=NA r_lat=NA
    if [[ $impl == pyzmq ]] && ((!have_pyzmq)); then return 0; fi
    run_no=$((run_no + 1))
    echo "# $impl $kind $transport size=$size count=$n" >>"$errlog"
    if [[ $transport == inproc ]]; then
        # shellcheck disable=SC2046
        timeout "$RUN_TIMEOUT" $(tool_command "$impl" "inproc_$kind" "$size" "$n") >"$tmp/report" 2>>"$errlog" ||
            failed "$impl inproc_$kind" $?
    else
        case $transport in
            tcp) endpoint="tcp://127.0.0.1:$((PORT_BASE + run_no % 1000))" ;;
            ipc) endpoint="ipc://$tmp/$run_no.ipc" ;;
        esac
        local local_out="$tmp/report" remote_out=/dev/null
        [[ $kind == lat ]] && local_out=/dev/null remote_out="$tmp/report"
        # shellcheck disable=SC2046
        timeout "$RUN_TIMEOUT" $(tool_command "$impl" "local_$kind" "$endpoint" "$size" "$n") >"$local_out" 2>>"$errlog" &
        local_pid=$!
        if wait_bound "$endpoint" "$local_pid"; then
            # shellcheck disable=SC2046
            timeout "$RUN_TIMEOUT" $(tool_command "$impl" "remote_$kind" "$endpoint" "$size" "$n") >"$remote_out" 2>>"$errlog" ||
                failed "$impl remote_$kind" $?
        else
            echo "$impl local_$kind: $endpoint not bound" >>"$errlog"
            ok=0
        fi
        ((ok)) || kill "$local_pid" 2>/dev/null || true
        wait "$local_pid" || failed "$impl local_$kind" $?
        local_pid=""
    fi
    if ((ok)); then
        report=$(<"$tmp/report")
        if [[ $kind == thr ]]; then
            r_msgs=$(awk '/\[msg\/s\]/ { print $3 }' <<<"$report")
        else
            r_lat=$(awk '/average latency/ { print $3 }' <<<"$report")
        fi
    fi
    : "${r_msgs:=NA}" "${r_lat:=NA}"
    [[ $r_msgs$r_lat != NANA ]] || echo "  NA: $impl $kind $transport size=$size (see $errlog)" >&2
    return 0
}

median() {    # median FORMAT VALUE...
    local fmt=$1
    shift
    printf '%s\n' "$@" | awk '$1 != "NA"' | sort -g |
        awk -v fmt="$fmt" '{ v[NR] = $1 }
            END { if (!NR) print "NA"
                  else printf fmt "\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "NA"; else printf "%.2f\n", a / b }'
}
human_size() {
    awk -v s="$1" 'BEGIN { split("B KiB MiB GiB", u); i = 1
        while (s >= 1024 && s % 1024 == 0) { s /= 1024; i++ }
        print s " " u[i] }'
}

# --- throughput and latency ----------------------------------------------------
raw="$out/raw.csv" summary="$out/summary.csv" table="$out/table.md" sockets_table="$out/sockets.md"
echo "impl,transport,size,kind,rep,count,msgs_per_s,latency_us" >"$raw"
echo "size,transport,blocking_msgs_per_s,async_msgs_per_s,thr_ratio,event_loop_msgs_per_s,event_loop_thr_ratio,pyzmq_msgs_per_s,blocking_latency_us,async_latency_us,lat_ratio,event_loop_latency_us,event_loop_lat_ratio,pyzmq_latency_us" >"$summary"
{
    echo "Columns: *async* is the async tools on Swift's default executor; *async, event thread* the same tools with \`ZMQ_ASYNC_EXECUTOR=event-loop\` (their tasks prefer \`AsyncEventLoopExecutor\`); ratios are to blocking."
    echo
    echo "| size | transport | blocking msg/s | async msg/s | ratio | async, event thread msg/s | ratio | pyzmq asyncio msg/s | blocking latency µs | async latency µs | ratio | async, event thread latency µs | ratio | pyzmq asyncio latency µs |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$table"
declare -A msgs lat
started=$SECONDS
for size in $sizes; do
    for transport in $transports; do
        msgs=() lat=()
        for kind in thr lat; do
            for ((rep = 1; rep <= reps; rep++)); do
                for impl in "${IMPLS[@]}"; do
                    n=$(count "$impl" "$kind" "$transport" "$size")
                    measure "$impl" "$kind" "$transport" "$size" "$n"
                    echo "$impl,$transport,$size,$kind,$rep,$n,$r_msgs,$r_lat" >>"$raw"
                    if [[ $kind == thr ]]; then msgs[$impl]+=" $r_msgs"; else lat[$impl]+=" $r_lat"; fi
                done
            done
        done
        # shellcheck disable=SC2086
        {
            b_msgs=$(median %.0f ${msgs[blocking]:-NA}) a_msgs=$(median %.0f ${msgs[async]:-NA})
            e_msgs=$(median %.0f ${msgs[async-event-loop]:-NA}) p_msgs=$(median %.0f ${msgs[pyzmq]:-NA})
            b_lat=$(median %.3f ${lat[blocking]:-NA}) a_lat=$(median %.3f ${lat[async]:-NA})
            e_lat=$(median %.3f ${lat[async-event-loop]:-NA}) p_lat=$(median %.3f ${lat[pyzmq]:-NA})
        }
        thr_ratio=$(ratio "$a_msgs" "$b_msgs") lat_ratio=$(ratio "$a_lat" "$b_lat")
        e_thr_ratio=$(ratio "$e_msgs" "$b_msgs") e_lat_ratio=$(ratio "$e_lat" "$b_lat")
        echo "$size,$transport,$b_msgs,$a_msgs,$thr_ratio,$e_msgs,$e_thr_ratio,$p_msgs,$b_lat,$a_lat,$lat_ratio,$e_lat,$e_lat_ratio,$p_lat" >>"$summary"
        row="| $(human_size "$size") | $transport | $b_msgs | $a_msgs | $thr_ratio | $e_msgs | $e_thr_ratio | $p_msgs | $b_lat | $a_lat | $lat_ratio | $e_lat | $e_lat_ratio | $p_lat |"
        echo "$row" >>"$table"
        printf '[%4ds] %s\n' $((SECONDS - started)) "$row" >&2
    done
done

# --- many sockets ----------------------------------------------------------------
# Swift: a million messages (quick: a quarter); pyzmq: a tenth of that.
sockets_messages=$((quick ? 250000 : 1000000))
{
    echo "| PULL sockets | async: peak threads | async msg/s | vs 1 socket | async, event thread: peak threads | async, event thread msg/s | vs 1 socket | pyzmq asyncio: peak threads | pyzmq asyncio msg/s |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$sockets_table"
declare -A s_threads s_msgs
one_socket=NA e_one_socket=NA
for n in $socket_counts; do
    s_threads=() s_msgs=()
    for ((rep = 1; rep <= reps; rep++)); do
        for impl in async async-event-loop pyzmq; do
            if [[ $impl == pyzmq ]] && ((!have_pyzmq)); then s_msgs[$impl]+=" NA" s_threads[$impl]+=" NA"; continue; fi
            m=$sockets_messages
            [[ $impl == pyzmq ]] && m=$((sockets_messages / 10))
            echo "# $impl sockets $n count=$m" >>"$errlog"
            if [[ $impl == async ]]; then
                cmd=("$swift_bin/async_sockets" "$n" "$m")
            elif [[ $impl == async-event-loop ]]; then
                cmd=(env ZMQ_ASYNC_EXECUTOR=event-loop "$swift_bin/async_sockets" "$n" "$m")
            else
                cmd=(python3 "$python_tool" sockets "$n" "$m")
            fi
            report=$(timeout "$RUN_TIMEOUT" "${cmd[@]}" 2>>"$errlog") || { echo "$impl sockets $n: failed" >>"$errlog"; report=""; }
            t=$(awk '/^threads:/ { print $2 }' <<<"$report") r=$(awk '/^mean throughput:/ { print $3 }' <<<"$report")
            : "${t:=NA}" "${r:=NA}"
            echo "$impl,inproc,64,sockets-$n,$rep,$m,$r,threads=$t" >>"$raw"
            s_threads[$impl]+=" $t" s_msgs[$impl]+=" $r"
        done
    done
    # shellcheck disable=SC2086
    {
        a_t=$(printf '%s\n' ${s_threads[async]} | sort -g | tail -1)
        p_t=$(printf '%s\n' ${s_threads[pyzmq]} | sort -g | tail -1)
        e_t=$(printf '%s\n' ${s_threads[async-event-loop]} | sort -g | tail -1)
        a_r=$(median %.0f ${s_msgs[async]}) e_r=$(median %.0f ${s_msgs[async-event-loop]})
        p_r=$(median %.0f ${s_msgs[pyzmq]})
    }
    [[ $n == 1 ]] && one_socket=$a_r e_one_socket=$e_r
    row="| $n | $a_t | $a_r | $(ratio "$a_r" "$one_socket") | $e_t | $e_r | $(ratio "$e_r" "$e_one_socket") | $p_t | $p_r |"
    echo "$row" >>"$sockets_table"
    printf '[%4ds] %s\n' $((SECONDS - started)) "$row" >&2
done

echo
cat "$table"
echo
cat "$sockets_table"
echo
echo "async sweep took $((SECONDS - started)) s; results in $out" >&2

# --- RESULTS.md --------------------------------------------------------------------
if [[ -n $results ]]; then
    if ! grep -q '^<!-- async-sweep:begin -->$' "$results" || ! grep -q '^<!-- async-sweep:end -->$' "$results"; then
        echo "async-sweep.sh: $results has no <!-- async-sweep:begin --> / <!-- async-sweep:end --> lines; not updated" >&2
        exit 1
    fi
    {
        echo "Measured $(date -u +%Y-%m-%d) by \`Benchmarks/async-sweep.sh --reps $reps\` ($(nproc) CPUs; medians of $reps runs, blocking, async, async on the event thread and pyzmq interleaved; pyzmq $(python3 -c 'import zmq; print(zmq.__version__ + ", bundled libzmq " + zmq.zmq_version())' 2>/dev/null || echo 'not installed')):"
        echo
        cat "$table"
        echo
        cat "$sockets_table"
    } >"$tmp/section"
    awk -v section="$tmp/section" '
        /^<!-- async-sweep:begin -->$/ { print; while ((getline line < section) > 0) print line; skip = 1; next }
        /^<!-- async-sweep:end -->$/ { skip = 0 }
        !skip' "$results" >"$tmp/results" && cat "$tmp/results" >"$results"
    echo "async-sweep.sh: updated $results" >&2
fi
