#!/usr/bin/env bash
# Time to first breakpoint and peak RSS on CPython 3.11 (libpython3.11 carries ~23 MB of
# DWARF 5): `bp libpython3_11!_PyEval_EvalFrameDefault; g; kp; q` in swdbg against gdb
# (pending breakpoints on, index cache off), in one run. Usage: bench/python.sh [runs]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-5}
python=$(pyenv root 2>/dev/null)/versions/3.11.7/bin/python3.11
[ -x "$python" ] || { echo "no CPython 3.11.7 from pyenv at $python"; exit 1; }
source "$here/common.sh"

read -r s_time s_rss < <(best_of "$swdbg" -c 'bp libpython3_11!_PyEval_EvalFrameDefault; g; kp; q' "$python" -c pass)
read -r g_time g_rss < <(best_of gdb -batch -nx -iex 'set breakpoint pending on' -iex 'set index-cache enabled off' \
    -ex 'break _PyEval_EvalFrameDefault' -ex run -ex bt -ex kill --args "$python" -c pass)
printf '%-40s %8s %10s\n' "first breakpoint in libpython3.11" "seconds" "peak RSS"
printf '%-40s %8.3f %7d MB\n' "swdbg (bp; g; kp; q)" "$s_time" $((s_rss / 1024))
printf '%-40s %8.3f %7d MB\n' "gdb (break; run; bt)" "$g_time" $((g_rss / 1024))
printf 'swdbg time / gdb time: %.2f   swdbg RSS / gdb RSS: %.2f\n' "$(echo "$s_time / $g_time" | bc -l)" "$(echo "$s_rss / $g_rss" | bc -l)"

# Where swdbg's time goes: the same session cut short after each command, best of N each.
read -r p_time _ < <(best_of "$python" -c pass)
read -r q_time _ < <(best_of "$swdbg" -c 'q' "$python" -c pass)
read -r b_time _ < <(best_of "$swdbg" -c 'bp libpython3_11!_PyEval_EvalFrameDefault; q' "$python" -c pass)
read -r r_time _ < <(best_of "$swdbg" -c 'bp libpython3_11!_PyEval_EvalFrameDefault; g; q' "$python" -c pass)
echo
echo "where swdbg's time goes (each step: the longer session less the shorter)"
printf '  %-36s %6.0f ms\n' "python3.11 -c pass alone" "$(echo "$p_time * 1000" | bc -l)"
printf '  %-36s %6.0f ms\n' "launch to the initial breakpoint, q" "$(echo "$q_time * 1000" | bc -l)"
printf '  %-36s %+6.0f ms\n' "bp libpython3_11!…" "$(echo "($b_time - $q_time) * 1000" | bc -l)"
printf '  %-36s %+6.0f ms\n' "g (to the breakpoint)" "$(echo "($r_time - $b_time) * 1000" | bc -l)"
printf '  %-36s %+6.0f ms\n' "kp" "$(echo "($s_time - $r_time) * 1000" | bc -l)"
