#!/usr/bin/env bash
# Conditions evaluated in the kernel: a never-true condition on a function called N times
# (default 1,000,000; f at -O0 and -O2). Measures, in one run: swdbg with the condition in the kernel
# (BPF on a uprobe), swdbg on the ptrace path (`.kernelconditions off`), gdb
# (`break f if x == -1`) and bpftrace (`uprobe:…:f /arg0 == -1/`, the kernel filtering with
# no debugger at all); prints calls per second and the ratios. Usage: bench/kernel.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-1000000}
source "$here/common.sh"
command -v bpftrace >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftrace >/dev/null

gcc -g -O0 -o "$out/target" "$here/target.c"
gcc -g -O2 -o "$out/target-O2" "$here/target.c"
cd "$out"
rate() { echo "$n / $1" | bc -l | xargs printf '%.0f'; }
condition='.if (@edi == 0xffffffff) {} .else {gc}'

# measure LABEL PROGRAM: one target, every tool, in one go.
measure() {
    local label=$1 program=$2 module t_plain t_kernel t_ptrace t_gdb t_bpftrace r_kernel r_ptrace r_gdb r_bpftrace
    module=$(basename "$program" | tr -c 'a-zA-Z0-9\n' '_')
    t_plain=$(timed "$program" "$n")
    t_kernel=$(timed "$swdbg" -c "bp $module!f \"$condition\"; bl; g; q" "$program" "$n")
    grep -q "condition evaluated in the kernel" last || { echo "kernel path not taken:"; cat last; exit 1; }
    t_ptrace=$(timed "$swdbg" -c ".kernelconditions off; bp $module!f \"$condition\"; g; q" "$program" "$n")
    t_gdb=$(timed gdb -batch -nx -iex 'set index-cache enabled off' -ex 'break f if x == -1' -ex run --args "$program" "$n")
    t_bpftrace=$(timed bpftrace -e "uprobe:$out/$(basename "$program"):f /arg0 == -1/ { @hits = count(); }" -c "$program $n")
    r_kernel=$(rate "$t_kernel"); r_ptrace=$(rate "$t_ptrace"); r_gdb=$(rate "$t_gdb"); r_bpftrace=$(rate "$t_bpftrace")
    printf '\n%-64s %10s %10s\n' "$label, $n calls, condition never true" "seconds" "calls/s"
    printf '%-64s %10.2f\n' "the program alone" "$t_plain"
    printf '%-64s %10.2f %10d\n' "swdbg, condition in the kernel" "$t_kernel" "$r_kernel"
    printf '%-64s %10.2f %10d\n' "swdbg, ptrace path (.kernelconditions off)" "$t_ptrace" "$r_ptrace"
    printf '%-64s %10.2f %10d\n' "gdb (break f if x == -1)" "$t_gdb" "$r_gdb"
    printf '%-64s %10.2f %10d\n' "bpftrace (uprobe:…:f /arg0 == -1/)" "$t_bpftrace" "$r_bpftrace"
    printf 'calls/s, swdbg kernel path / gdb: %.1fx   / swdbg ptrace path: %.1fx   / bpftrace: %.2fx\n' \
        "$(echo "$r_kernel / $r_gdb" | bc -l)" "$(echo "$r_kernel / $r_ptrace" | bc -l)" "$(echo "$r_kernel / $r_bpftrace" | bc -l)"
}

echo "swdbg: bp f \"$condition\""
measure "f at -O0 (push rbp first: the kernel emulates it)" ./target
measure "f at -O2 (rip-relative mov first: the kernel steps it out of line)" ./target-O2
