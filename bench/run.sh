#!/usr/bin/env bash
# Conditional-breakpoint throughput: a never-true condition on a function called N times
# (default 100,000), on three targets — f at -O0 (starts with push rbp), f at -O2 (starts
# with a rip-relative mov the debugger runs out of line), and f called from four threads. Measures
# swdbg, gdb and a minimal C ptrace loop in one run and prints hits per second and the
# ratios (the C loop's from the hits it saw: with threads it misses those that pass the int3
# while it is lifted). swdbg takes the ptrace path here (`.kernelconditions off`); its kernel
# path is bench/kernel.sh's. Usage: bench/run.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-100000}
source "$here/common.sh"

gcc -g -O0 -o "$out/target" "$here/target.c"
gcc -g -O2 -o "$out/target-O2" "$here/target.c"
gcc -g -O2 -pthread -o "$out/threads" "$here/threads.c"
gcc -O2 -o "$out/cloop" "$here/cloop.c"
cd "$out"

# hits per second: rate SECONDS [HITS] (HITS defaults to N).
rate() { echo "${2:-$n} / $1" | bc -l | xargs printf '%.0f'; }

# measure LABEL PROGRAM: one target, every debugger, in one go.
measure() {
    local label=$1 program=$2 module address t_c t_pinned t_swdbg t_gdb c_hits pinned_hits r_swdbg r_gdb r_c r_pinned
    module=$(basename "$program" | tr -c 'a-zA-Z0-9\n' '_')
    address=$(runtime_address "$program" f)
    t_c=$(timed ./cloop "$address" "$program" "$n"); c_hits=$(awk '/^cloop:/ { print $2 }' last)
    t_pinned=$(timed taskset -c 0 ./cloop "$address" "$program" "$n"); pinned_hits=$(awk '/^cloop:/ { print $2 }' last)
    t_swdbg=$(timed "$swdbg" -c ".kernelconditions off; bp $module!f \".if (@edi == 0xffffffff) {} .else {gc}\"; g; q" "$program" "$n")
    t_gdb=$(timed gdb -batch -nx -iex 'set index-cache enabled off' -ex 'break f if x == -1' -ex run --args "$program" "$n")
    r_swdbg=$(rate "$t_swdbg"); r_gdb=$(rate "$t_gdb"); r_c=$(rate "$t_c" "$c_hits"); r_pinned=$(rate "$t_pinned" "$pinned_hits")
    printf '\n%-56s %10s %10s\n' "$label, $n hits" "seconds" "hits/s"
    printf '%-56s %10.2f %10d\n' "swdbg (bp f \".if (@edi == 0xffffffff) {} .else {gc}\")" "$t_swdbg" "$r_swdbg"
    printf '%-56s %10.2f %10d\n' "gdb (break f if x == -1)" "$t_gdb" "$r_gdb"
    printf '%-56s %10.2f %10d\n' "minimal C ptrace loop ($c_hits hits seen)" "$t_c" "$r_c"
    printf '%-56s %10.2f %10d\n' "C loop, tracer and tracee on one CPU ($pinned_hits seen)" "$t_pinned" "$r_pinned"
    printf 'hits/s, swdbg / gdb: %.2fx   / C loop: %.2fx   / pinned C loop: %.2fx\n' \
        "$(echo "$r_swdbg / $r_gdb" | bc -l)" "$(echo "$r_swdbg / $r_c" | bc -l)" "$(echo "$r_swdbg / $r_pinned" | bc -l)"
}

measure "f at -O0 (push rbp first)" ./target
measure "f at -O2 (rip-relative mov first: out of line)" ./target-O2
measure "f called from 4 threads (-O2)" ./threads
