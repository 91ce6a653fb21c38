#!/usr/bin/env bash
# gdb through swdbg's gdb-remote server against gdb through gdbserver and gdb alone: a
# never-true breakpoint condition on f (bench/target.c at -O2) that gdb evaluates at each hit,
# N hits, best of 3, in one run; swdbg's own session with the same condition for scale.
# Usage: bench/gdbserver.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=3
n=${1:-2000}
source "$here/common.sh"
target=$out/target-O2
gcc -O2 -g -o "$target" "$here/target.c"
port=41377
expected="sink=$(( n * (n - 1) / 2 ))"

gdb_native() { gdb -batch -nx -ex "break f if x == -1" -ex run --args "$target" "$n"; }
gdb_via() {
    "$@" >"$out/server.log" 2>&1 &
    local server=$!
    for _ in $(seq 1 100); do grep -q -i "listening" "$out/server.log" 2>/dev/null && break; sleep 0.05; done
    gdb -batch -nx -ex "target extended-remote 127.0.0.1:$port" -ex "break f if x == -1" -ex continue "$target"
    wait $server || true
    grep -q "$expected" "$out/server.log" || { echo "the program did not finish: $(cat "$out/server.log")" >&2; exit 1; }
}
gdb_gdbserver() { gdb_via gdbserver --once "127.0.0.1:$port" "$target" "$n"; }
gdb_swdbg() { gdb_via "$swdbg" --gdbserver "127.0.0.1:$port" "$target" "$n"; }
swdbg_native() { "$swdbg" -c 'bp /w "x == -1" target_O2!f; g; q' "$target" "$n"; }

best() { local best=999 t; for _ in $(seq "$runs"); do t=$(timed "$@"); if (( $(echo "$t < $best" | bc -l) )); then best=$t; fi; done; echo "$best"; }
t_native=$(best gdb_native); grep -q "$expected" "$out/last" || { echo "gdb alone: $(cat "$out/last")"; exit 1; }
t_gdbserver=$(best gdb_gdbserver)
t_swdbg_server=$(best gdb_swdbg)
t_swdbg=$(best swdbg_native); grep -q "$expected" "$out/last" || { echo "swdbg: $(cat "$out/last")"; exit 1; }
per() { echo "scale=1; $1 * 1000000 / $n" | bc -l; }
printf '%-36s %8s s  %7s us/hit\n' "gdb alone" "$t_native" "$(per "$t_native")"
printf '%-36s %8s s  %7s us/hit\n' "gdb -> gdbserver" "$t_gdbserver" "$(per "$t_gdbserver")"
printf '%-36s %8s s  %7s us/hit\n' "gdb -> swdbg --gdbserver" "$t_swdbg_server" "$(per "$t_swdbg_server")"
printf '%-36s %8s s  %7s us/hit\n' "swdbg alone (bp /w, engine or kernel)" "$t_swdbg" "$(per "$t_swdbg")"
printf 'swdbg server / gdbserver: %.2f   (%s hits)\n' "$(echo "$t_swdbg_server / $t_gdbserver" | bc -l)" "$n"
