#!/usr/bin/env bash
# Builds the ZeroMQ module's DocC documentation (`make docs`) and fails, listing them, on any
# DocC warning or any public symbol without a doc comment.
#
#   1. compiles the ZeroMQ target with -emit-symbol-graph, in a scratch folder of its own
#      (.build/docs), so the package's usual .build is never rebuilt with other flags;
#   2. runs the toolchain's `docc convert` on Sources/ZeroMQ/ZeroMQ.docc with that symbol
#      graph, into .build/docs/ZeroMQ.doccarchive (no package plugin is needed);
#   3. checks the symbol graph for public symbols without a doc comment
#      (Scripts/undocumented-symbols.swift says exactly which symbols count).
#
# Usage: bash Scripts/docs.sh [--help]
#   SWIFT   the swift driver (default: swift)
#   DOCC    the docc binary (default: docc on PATH, else the one next to swift, else xcrun docc)
#
# Exit status: 0 when the archive was built with no warning and every public symbol is
# documented; 1 otherwise (each warning and each undocumented symbol is printed first).
# Preview the archive with any static file server, e.g.
#   python3 -m http.server -d .build/docs/ZeroMQ.doccarchive   # then open /documentation/zeromq
set -euo pipefail

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
elif (( $# > 0 )); then
    echo "docs.sh: unexpected argument '$1' (see --help)" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SWIFT="${SWIFT:-swift}"
SCRATCH=".build/docs"
GRAPHS="$SCRATCH/symbol-graphs"
ARCHIVE="$SCRATCH/ZeroMQ.doccarchive"
START=$SECONDS

find_docc() {
    if [[ -n "${DOCC:-}" ]]; then echo "$DOCC"; return; fi
    if command -v docc >/dev/null; then command -v docc; return; fi
    local swift_path
    if swift_path="$(command -v "$SWIFT")"; then
        local beside
        beside="$(dirname "$(readlink -f "$swift_path")")/docc"
        if [[ -x "$beside" ]]; then echo "$beside"; return; fi
    fi
    if command -v xcrun >/dev/null && xcrun --find docc >/dev/null 2>&1; then
        xcrun --find docc; return
    fi
    return 1
}
if ! DOCC_BIN="$(find_docc)"; then
    echo "docs.sh: docc not found: it ships with the Swift toolchain (next to swift); set DOCC" >&2
    exit 1
fi

mkdir -p "$GRAPHS"
LOG="$(mktemp "${TMPDIR:-/tmp}/zeromq-docs.XXXXXX")"
trap 'rm -f "$LOG" "$LOG.stamp"' EXIT

# swiftc rewrites the symbol graph only when it recompiles the module: an up-to-date build
# leaves the previous (still current) files. After a recompile, any file it did not rewrite
# is stale (an extension graph of a module no longer extended) and is removed.
build_graphs() {
    touch "$LOG.stamp"
    if ! "$SWIFT" build --scratch-path "$SCRATCH" --target ZeroMQ \
        -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$ROOT/$GRAPHS" \
        > "$LOG" 2>&1; then
        cat "$LOG" >&2
        echo "docs.sh: building the ZeroMQ module failed" >&2
        exit 1
    fi
    if [[ "$GRAPHS/ZeroMQ.symbols.json" -nt "$LOG.stamp" ]]; then
        find "$GRAPHS" -name '*.symbols.json' ! -newer "$LOG.stamp" -delete
    fi
}
echo "docs: building the ZeroMQ module's symbol graph (scratch path $SCRATCH)" >&2
build_graphs
if [[ ! -f "$GRAPHS/ZeroMQ.symbols.json" ]]; then
    # The module was up to date but its graph is gone: without its .swiftmodule, the build
    # emits the module (and its symbol graph) again, without recompiling the rest.
    rm -f "$("$SWIFT" build --scratch-path "$SCRATCH" --show-bin-path)/Modules/ZeroMQ.swiftmodule"
    build_graphs
fi
if [[ ! -f "$GRAPHS/ZeroMQ.symbols.json" ]]; then
    echo "docs.sh: swiftc wrote no $GRAPHS/ZeroMQ.symbols.json" >&2
    exit 1
fi
grep -E '(warning|error):' "$LOG" >&2 || true

echo "docs: docc convert Sources/ZeroMQ/ZeroMQ.docc -> $ARCHIVE" >&2
rm -rf "$ARCHIVE"
docc_status=0
"$DOCC_BIN" convert Sources/ZeroMQ/ZeroMQ.docc \
    --additional-symbol-graph-dir "$GRAPHS" \
    --fallback-display-name ZeroMQ \
    --fallback-bundle-identifier org.zeromq.swift \
    --output-path "$ARCHIVE" > "$LOG" 2>&1 || docc_status=$?
warnings=$(grep -cE '^(warning|error):' "$LOG" || true)
if (( docc_status != 0 || warnings > 0 )); then
    cat "$LOG" >&2
fi

echo "docs: checking that every public symbol has a doc comment" >&2
undocumented_status=0
"$SWIFT" Scripts/undocumented-symbols.swift "$GRAPHS" ZeroMQ "$ROOT" || undocumented_status=$?

elapsed=$((SECONDS - START))
if (( docc_status != 0 || warnings > 0 || undocumented_status != 0 )); then
    reasons=()
    (( docc_status == 0 )) || reasons+=("docc exited with status $docc_status")
    (( warnings == 0 )) || reasons+=("$warnings DocC warning(s) or error(s), listed above")
    (( undocumented_status == 0 )) || reasons+=("public symbols without a doc comment, listed above")
    echo "docs: FAILED after ${elapsed}s: $(IFS=';'; echo "${reasons[*]}" | sed 's/;/; /g')" >&2
    exit 1
fi
echo "docs: $ARCHIVE built with 0 warnings, every public symbol documented (${elapsed}s)" >&2
