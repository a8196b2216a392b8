# Sourced by the suite's benchmarks (scripts/bench-<name>, run by scripts/bench): where things
# are, the shared arithmetic, and how a benchmark hands its section of docs/benchmarks.md to
# the driver. A benchmark also runs alone; its section then goes to standard output.
#
# A benchmark NAME writes, into $BENCH_OUT:
#   NAME.md       its section: "## N. Title", what is measured, the command, the tables,
#                 plots as ![...](benchmarks/FILE.png)
#   NAME.targets  one line per target of issue 6: "target<TAB>measured<TAB>met|missed"
#   *.png         its plots (bench_plot), copied to docs/benchmarks/ by the driver
# Settings: BENCH_ROUNDS (how many runs a median is taken of), BENCH_QUICK=1 (smaller sizes
# and fewer rounds, to try a benchmark out; figures from it are not the suite's).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
lib="$build/libgreenpatch.so"
quick=${BENCH_QUICK:-0}
# bench_on_exit CMD: CMD runs when the benchmark ends, before those registered earlier (a
# server is stopped before its files go). The one EXIT trap runs them all.
bench_exit_cmds=()
bench_on_exit() { bench_exit_cmds=("$1" "${bench_exit_cmds[@]}"); }
trap 'for c in "${bench_exit_cmds[@]}"; do eval "$c" || true; done' EXIT

standalone=0
if [ -z "${BENCH_OUT:-}" ]; then
    BENCH_OUT=$(mktemp -d)
    standalone=1
    bench_on_exit 'bench_show; rm -rf "$BENCH_OUT"'
fi
export BENCH_OUT

# bench_tempdir: a temporary directory of the benchmark's, removed when it ends.
bench_tempdir() {
    tmp=$(mktemp -d)
    bench_on_exit "rm -rf '$tmp'"
}

# bench_build: builds the library, the helper programs and the benchmark programs.
bench_build() {
    make -C "$root" --no-print-directory -s BUILD="$build" all bench-progs >/dev/null
}

# bench_show: a benchmark run alone prints what it wrote.
bench_show() {
    [ "$standalone" = 1 ] || return 0
    cat "$BENCH_OUT"/*.md 2>/dev/null || true
    echo
    sed 's/\t/ | /g' "$BENCH_OUT"/*.targets 2>/dev/null || true
}

# median: the median of the numbers on standard input, one per line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# calc EXPR: awk arithmetic, e.g. $(calc "$a / $b") or $(calc "$a < 20").
calc() {
    awk "BEGIN { print ($1) }"
}

# fmt FORMAT EXPR: printf of an awk expression, e.g. $(fmt %.1f "$a / $b").
fmt() {
    awk "BEGIN { printf \"$1\", $2 }"
}

# target NAME TEXT MEASURED CONDITION: records a target of issue 6 and whether it is met
# (CONDITION is an awk expression, e.g. "$ns <= 20").
target() {
    local verdict=missed
    [ "$(calc "$4")" = 1 ] && verdict=met
    printf '%s\t%s\t%s\n' "$2" "$3" "$verdict" >>"$BENCH_OUT/$1.targets"
}

# bench_plot NAME GNUPLOT-COMMANDS: draws $BENCH_OUT/NAME.png (800x480) with the commands,
# which read their data from files in $BENCH_OUT (gnuplot runs there).
bench_plot() {
    (cd "$BENCH_OUT" && gnuplot -e "set terminal pngcairo size 800,480 font 'sans,10'; \
        set output '$1.png'; set key top left; set grid; $2")
}

# machine_load: the 1-minute load average, shown beside figures taken on a shared machine.
machine_load() {
    cut -d' ' -f1 /proc/loadavg
}
