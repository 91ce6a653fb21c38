#!/usr/bin/env bash
# Kernel debugging through QEMU's gdbstub, on the kernel demo's guest (script/kernel-guest:
# the stock Debian kernel under TCG, a program sending on a TCP socket once a second).
# Measures in one run, best of 3: the time from `swdbg -k` to its first prompt (connected,
# kallsyms decoded from the image, KASLR slide found) and to the first kernel breakpoint
# (__sys_sendto; the guest's next send is up to 1 s away), against gdb's `target remote` and
# `hbreak` at the address the guest's own kallsyms printed (gdb has no symbols for this
# kernel); then `wt` through __sys_sendto: instructions, stops, round trips to the stub.
# Usage: bench/kd.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=3
source "$here/common.sh"
guest=$out/kd-guest
image=$("$root/script/kernel-guest" "$guest")
port=41299
console=$guest/console.log
rm -f "$console"
qemu-system-x86_64 -accel tcg -m 512 -kernel "$image" -initrd "$guest/initramfs.cpio.gz" \
    -append "console=ttyS0 quiet rdinit=/init" -display none -serial "file:$console" -no-reboot \
    -gdb "tcp:127.0.0.1:$port" &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do grep -q "SENDLOOP: connected" "$console" 2>/dev/null && break; sleep 1; done
sendto=$(tr -d '\r' < "$console" | awk '$3 == "T" && $4 == "__sys_sendto" { print $2 }')
[ -n "$sendto" ] || { echo "the guest printed no __sys_sendto address"; exit 1; }

kd() { "$swdbg" -k "gdb:server=127.0.0.1,port=$port,image=$image" "$guest/sendloop"; }
best() { local best=999 t; for _ in $(seq "$runs"); do t=$(timed "$@"); if (( $(echo "$t < $best" | bc -l) )); then best=$t; fi; done; echo "$best"; }
swdbg_ready() { echo q | kd; }
swdbg_hit() { printf 'bp nt!__sys_sendto\ng\nbc *\nq\n' | kd; }
gdb_ready() { gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex detach; }
gdb_hit() { gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex "hbreak *0x$sendto" -ex continue -ex "delete" -ex detach; }

t_swdbg_ready=$(best swdbg_ready)
t_swdbg_hit=$(best swdbg_hit)
grep -q "Breakpoint 0 hit" "$out/last" || { echo "swdbg did not stop at __sys_sendto:"; cat "$out/last"; exit 1; }
t_gdb_ready=$(best gdb_ready)
t_gdb_hit=$(best gdb_hit)
grep -q "0x$sendto" "$out/last" || { echo "gdb did not stop at __sys_sendto:"; cat "$out/last"; exit 1; }

printf '\n%-62s %8s %8s\n' "kernel under QEMU (TCG), stub on loopback, best of $runs" "swdbg" "gdb"
printf '%-62s %8.2f %8.2f\n' "seconds to the first prompt (swdbg: with kallsyms, slide)" "$t_swdbg_ready" "$t_gdb_ready"
printf '%-62s %8.2f %8.2f\n' "seconds to the first __sys_sendto hit (the send is <= 1 s away)" "$t_swdbg_hit" "$t_gdb_hit"

start=$(date +%s.%N)
printf 'bp nt!__sys_sendto\ng\nbc *\nwt -l 3\nbp nt!__sys_sendto\ng\nbc *\nwt\nq\n' | kd > "$out/wt" 2>&1
end=$(date +%s.%N)
echo
echo "wt through __sys_sendto (-l 3, then whole), session $(echo "$end - $start" | bc -l | xargs printf '%.1f') s:"
grep -E "instructions were executed|round trips to the stub" "$out/wt"
