#!/usr/bin/env bash
# wt's tracing speed: spin() at -O2 runs N iterations of a short loop (default 250,000, about
# 2,000,000 instructions). Traces it with swdbg's wt (branch to branch), a minimal C
# PTRACE_SINGLESTEP loop (also pinned to one CPU), and gdb's `record full` + `finish`, in one
# run; prints the times, the instruction counts and the ratios. Usage: bench/wt.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-250000}
source "$here/common.sh"

gcc -g -O2 -o "$out/spin" "$here/spin.c"
gcc -O2 -o "$out/stepcount" "$here/stepcount.c"
address=$(runtime_address "$out/spin" spin)

cd "$out"
t_c=$(timed ./stepcount "$address" ./spin "$n"); c_count=$(awk '/^steps / { print $2 }' last)
t_pinned=$(timed taskset -c 0 ./stepcount "$address" ./spin "$n")
t_swdbg=$(timed "$swdbg" -c 'bp spin!spin; g; wt -nc; q' ./spin "$n")
swdbg_count=$(awk '/instructions were executed in/ { print $1 }' last)
swdbg_events=$(awk '/instructions were executed in/ { print $6 }' last)
t_gdb=$(timed gdb -batch -nx -iex 'set index-cache enabled off' -ex 'break *spin' -ex run -ex 'set record full insn-number-max unlimited' \
    -ex 'record full' -ex finish -ex 'info record' --args ./spin "$n")
gdb_count=$(awk '/Log contains [0-9]+ instructions/ { print $3 }' last)

printf '%-46s %9s %13s %9s\n' "trace spin($n) to its return" "seconds" "instructions" "stops"
printf '%-46s %9.2f %13s %9s\n' "swdbg wt (branch to branch)" "$t_swdbg" "$swdbg_count" "$swdbg_events"
printf '%-46s %9.2f %13s %9s\n' "minimal C PTRACE_SINGLESTEP loop" "$t_c" "$c_count" "$c_count"
printf '%-46s %9.2f %13s %9s\n' "the C loop, tracer and tracee on one CPU" "$t_pinned" "$c_count" "$c_count"
printf '%-46s %9.2f %13s %9s\n' "gdb record full + finish" "$t_gdb" "${gdb_count:-?}" "-"
[ "$swdbg_count" = "$c_count" ] && echo "counts: equal" || echo "counts: DIFFER (swdbg $swdbg_count, C loop $c_count)"
printf 'swdbg vs C loop: %.2fx faster (pinned: %.2fx)\n' "$(echo "$t_c / $t_swdbg" | bc -l)" "$(echo "$t_pinned / $t_swdbg" | bc -l)"
printf 'swdbg vs gdb:    %.2fx faster\n' "$(echo "$t_gdb / $t_swdbg" | bc -l)"
