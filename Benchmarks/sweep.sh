#!/usr/bin/env bash
# Sweep the perf tools over message sizes and transports, running the Swift
# and the C implementations interleaved (S,C,S,C...), and report medians.
#
#   Benchmarks/sweep.sh [--quick] [--reps N] [--out DIR] [--no-build]
#                       [--sizes "1 64"] [--transports "tcp ipc inproc"]
#
# Environment:
#   SWIFT_BIN  directory holding the Swift tools (default Benchmarks/.build/release;
#              setting it skips the Swift build)
#   IMPLS      implementations to run, in per-rep order (default "swift c")
#
# Writes DIR/raw.csv (every run), DIR/summary.csv and DIR/table.md (medians),
# DIR/chart.svg (via plot.py) and DIR/errors.log (stderr of the tools), and
# prints the markdown table. A failed or timed-out run is recorded as NA.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=(local_lat remote_lat local_thr remote_thr inproc_lat inproc_thr)
RUN_TIMEOUT=60      # seconds allowed to any single tool process
PORT_BASE=26000     # tcp ports PORT_BASE..PORT_BASE+999, one fresh port per run

quick=0 reps="" out="$ROOT/results" build=1 sizes="" transports="tcp ipc inproc"
usage() {
    echo 'usage: sweep.sh [--quick] [--reps N] [--out DIR] [--no-build] [--sizes "1 64"] [--transports "tcp ipc inproc"]' >&2
    exit 1
}
while (($#)); do
    case $1 in
        --quick) quick=1 ;;
        --no-build) build=0 ;;
        --reps | --out | --sizes | --transports)
            [[ -n ${2:-} ]] || usage
            declare "${1#--}=$2"    # sets reps, out, sizes or transports
            shift ;;
        *) usage ;;
    esac
    shift
done
if ((quick)); then
    : "${reps:=1}" "${sizes:=1 64 4096 131072 2097152}"
else
    : "${reps:=3}" "${sizes:=1 8 64 512 4096 32768 131072 524288 2097152 8388608}"
fi
[[ $reps =~ ^[1-9][0-9]*$ ]] || usage
for size in $sizes; do [[ $size =~ ^[0-9]+$ ]] || usage; done
for transport in $transports; do [[ $transport =~ ^(tcp|ipc|inproc)$ ]] || usage; done
read -r -a impls <<<"${IMPLS:-swift c}"
c_bin="$ROOT/c/bin"
swift_bin="${SWIFT_BIN:-$ROOT/.build/release}"

# --- build -------------------------------------------------------------------
make -s -C "$ROOT/c" >&2
if ((build)) && [[ -z ${SWIFT_BIN:-} && " ${impls[*]} " == *" swift "* ]]; then
    for tool in "${TOOLS[@]}"; do
        swift build -c release --package-path "$ROOT" --product "$tool" >&2
    done
fi
bin_dir() { if [[ $1 == c ]]; then echo "$c_bin"; else echo "$swift_bin"; fi; }
for impl in "${impls[@]}"; do
    for tool in "${TOOLS[@]}"; do
        [[ -x $(bin_dir "$impl")/$tool ]] || { echo "missing $(bin_dir "$impl")/$tool (build it, or set SWIFT_BIN)" >&2; exit 1; }
    done
done

# --- message counts: about one second per run (quick: a quarter) ---------------
# Rows: largest size, thr count (tcp/ipc), thr count (inproc),
#       roundtrips (tcp/ipc), roundtrips (inproc). The first row with size <= largest
#       applies; larger sizes use the last row.
COUNTS="
64        8000000 10000000 10000 20000
512       1500000  5000000 10000 20000
4096       250000  4000000 10000 20000
32768       50000  3000000 10000 20000
131072      20000  2000000 10000 20000
524288       6000  2000000  5000 20000
2097152      1000   500000  1000 20000
8388608       250   300000   250 20000
"
# count KIND TRANSPORT SIZE
count() {
    local col
    case $1/$2 in
        thr/inproc) col=3 ;; thr/*) col=2 ;;
        lat/inproc) col=5 ;; lat/*) col=4 ;;
    esac
    awk -v size="$3" -v col="$col" -v quick="$quick" '
        NF { n = $col; if (size <= $1) exit }
        END { if (quick) n = int(n / 4); print (n < 1 ? 1 : n) }' <<<"$COUNTS"
}

# --- running one measurement ---------------------------------------------------
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

# Wait (up to 5 s) until the endpoint of background process $2 is bound.
wait_bound() {
    local endpoint=$1 pid=$2 hexport i
    for ((i = 0; i < 500; i++)); do
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

# failed TOOL STATUS: note a failed tool run in the log and mark the measurement bad.
failed() {
    local why="exit status $2"
    (($2 == 124)) && why="timed out after ${RUN_TIMEOUT}s"
    echo "$1: $why" >>"$errlog"
    ok=0
}

# measure IMPL KIND TRANSPORT SIZE COUNT: sets r_msgs, r_mbps, r_lat (NA if not measured).
measure() {
    local impl=$1 kind=$2 transport=$3 size=$4 n=$5 bin endpoint report ok=1
    bin=$(bin_dir "$impl")
    r_msgs=NA r_mbps=NA r_lat=NA
    run_no=$((run_no + 1))
    echo "# $impl $kind $transport size=$size count=$n" >>"$errlog"
    if [[ $transport == inproc ]]; then
        timeout "$RUN_TIMEOUT" "$bin/inproc_$kind" "$size" "$n" >"$tmp/report" 2>>"$errlog" ||
            failed "inproc_$kind" $?
    else
        case $transport in
            tcp) endpoint="tcp://127.0.0.1:$((PORT_BASE + run_no % 1000))" ;;
            ipc) endpoint="ipc://$tmp/$run_no.ipc" ;;
        esac
        # thr: local_thr reports; lat: remote_lat reports.
        local local_out="$tmp/report" remote_out=/dev/null
        [[ $kind == lat ]] && local_out=/dev/null remote_out="$tmp/report"
        timeout "$RUN_TIMEOUT" "$bin/local_$kind" "$endpoint" "$size" "$n" >"$local_out" 2>>"$errlog" &
        local_pid=$!
        if wait_bound "$endpoint" "$local_pid"; then
            timeout "$RUN_TIMEOUT" "$bin/remote_$kind" "$endpoint" "$size" "$n" >"$remote_out" 2>>"$errlog" ||
                failed "remote_$kind" $?
        else
            echo "local_$kind: $endpoint not bound" >>"$errlog"
            ok=0
        fi
        ((ok)) || kill "$local_pid" 2>/dev/null || true
        wait "$local_pid" || failed "local_$kind" $?
        local_pid=""
    fi
    if ((ok)); then
        report=$(<"$tmp/report")
        if [[ $kind == thr ]]; then
            r_msgs=$(awk '/\[msg\/s\]/ { print $3 }' <<<"$report")
            r_mbps=$(awk '/\[Mb\/s\]/ { print $3 }' <<<"$report")
        else
            r_lat=$(awk '/average latency/ { print $3 }' <<<"$report")
        fi
    fi
    : "${r_msgs:=NA}" "${r_mbps:=NA}" "${r_lat:=NA}"
    if [[ $r_msgs$r_mbps$r_lat == NANANA ]]; then
        echo "  NA: $impl $kind $transport size=$size (see $errlog)" >&2
    fi
    return 0
}

# median FORMAT VALUE...: median of the non-NA values, or NA.
median() {
    local fmt=$1
    shift
    printf '%s\n' "$@" | awk '$1 != "NA"' | sort -g |
        awk -v fmt="$fmt" '{ v[NR] = $1 }
            END { if (!NR) print "NA"
                  else printf fmt "\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A/B to two decimals, or NA.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "NA"; else printf "%.2f\n", a / b }'
}

human_size() {
    awk -v s="$1" 'BEGIN { split("B KiB MiB GiB", u); i = 1
        while (s >= 1024 && s % 1024 == 0) { s /= 1024; i++ }
        print s " " u[i] }'
}

# --- the sweep -----------------------------------------------------------------
raw="$out/raw.csv" summary="$out/summary.csv" table="$out/table.md"
echo "impl,transport,size,kind,rep,msgs_per_s,mbps,latency_us" >"$raw"
echo "size,transport,swift_msgs_per_s,c_msgs_per_s,thr_ratio,swift_mbps,c_mbps,swift_latency_us,c_latency_us,lat_ratio" >"$summary"
{
    echo "| size | transport | Swift msg/s | C msg/s | ratio | Swift Mb/s | Swift latency µs | C latency µs | ratio |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
} >"$table"

declare -A msgs mbps lat     # per impl: space-separated values of the reps
started=$SECONDS
for size in $sizes; do
    for transport in $transports; do
        msgs=() mbps=() lat=()
        for kind in thr lat; do
            n=$(count "$kind" "$transport" "$size")
            for ((rep = 1; rep <= reps; rep++)); do
                for impl in "${impls[@]}"; do
                    measure "$impl" "$kind" "$transport" "$size" "$n"
                    echo "$impl,$transport,$size,$kind,$rep,$r_msgs,$r_mbps,$r_lat" >>"$raw"
                    if [[ $kind == thr ]]; then
                        msgs[$impl]+=" $r_msgs" mbps[$impl]+=" $r_mbps"
                    else
                        lat[$impl]+=" $r_lat"
                    fi
                done
            done
        done
        # Medians over reps; the unquoted expansions split the per-rep lists.
        # shellcheck disable=SC2086
        {
            s_msgs=$(median %.0f ${msgs[swift]:-NA}) c_msgs=$(median %.0f ${msgs[c]:-NA})
            s_mbps=$(median %.3f ${mbps[swift]:-NA}) c_mbps=$(median %.3f ${mbps[c]:-NA})
            s_lat=$(median %.3f ${lat[swift]:-NA}) c_lat=$(median %.3f ${lat[c]:-NA})
        }
        thr_ratio=$(ratio "$s_msgs" "$c_msgs") lat_ratio=$(ratio "$s_lat" "$c_lat")
        echo "$size,$transport,$s_msgs,$c_msgs,$thr_ratio,$s_mbps,$c_mbps,$s_lat,$c_lat,$lat_ratio" >>"$summary"
        row="| $(human_size "$size") | $transport | $s_msgs | $c_msgs | $thr_ratio | $s_mbps | $s_lat | $c_lat | $lat_ratio |"
        echo "$row" >>"$table"
        printf '[%4ds] %s\n' $((SECONDS - started)) "$row" >&2
    done
done

python3 "$ROOT/plot.py" "$summary" "$out/chart.svg"
echo
cat "$table"
echo
echo "sweep took $((SECONDS - started)) s; results in $out" >&2
