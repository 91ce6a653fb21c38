#!/usr/bin/env bash
# Conditional-breakpoint throughput: a never-true condition on a function called N times
# (default 100,000). Measures swdbg, gdb and a minimal C ptrace loop in one run and prints
# hits per second and the ratios. Usage: bench/run.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-100000}
source "$here/common.sh"

gcc -g -O0 -o "$out/target" "$here/target.c"
gcc -O2 -o "$out/cloop" "$here/cloop.c"
address=$(runtime_address "$out/target" f)
rate() { echo "$n / $1" | bc -l | xargs printf '%.0f'; }

cd "$out"
t_c=$(timed ./cloop "$address" ./target "$n")
t_pinned=$(timed taskset -c 0 ./cloop "$address" ./target "$n")
t_swdbg=$(timed "$swdbg" -c 'bp target!f ".if (@edi == 0xffffffff) {} .else {gc}"; g; q' ./target "$n")
t_gdb=$(timed gdb -batch -nx -iex 'set index-cache enabled off' -ex 'break f if x == -1' -ex run --args ./target "$n")

r_c=$(rate "$t_c"); r_pinned=$(rate "$t_pinned"); r_swdbg=$(rate "$t_swdbg"); r_gdb=$(rate "$t_gdb")
printf '%-44s %10s %10s\n' "conditional breakpoint, $n hits" "seconds" "hits/s"
printf '%-44s %10.2f %10d\n' "swdbg (bp f \".if (@edi == 0xffffffff) {} .else {gc}\")" "$t_swdbg" "$r_swdbg"
printf '%-44s %10.2f %10d\n' "gdb (break f if x == -1)" "$t_gdb" "$r_gdb"
printf '%-44s %10.2f %10d\n' "minimal C ptrace loop" "$t_c" "$r_c"
printf '%-44s %10.2f %10d\n' "C loop, tracer and tracee on one CPU" "$t_pinned" "$r_pinned"
printf 'swdbg / gdb:          %.2fx\n' "$(echo "$r_swdbg / $r_gdb" | bc -l)"
printf 'swdbg / C loop:       %.2fx\n' "$(echo "$r_swdbg / $r_c" | bc -l)"
printf 'swdbg / pinned C loop: %.2fx\n' "$(echo "$r_swdbg / $r_pinned" | bc -l)"
