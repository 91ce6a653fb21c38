#!/usr/bin/env bash
# Time to first breakpoint and peak RSS on CPython 3.11 (libpython3.11 carries ~23 MB of
# DWARF 5): `bp libpython3_11!_PyEval_EvalFrameDefault; g; kp; q` in swdbg against gdb
# (pending breakpoints on, index cache off), in one run. Usage: bench/python.sh [runs]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${1:-5}
python=$(pyenv root 2>/dev/null)/versions/3.11.7/bin/python3.11
[ -x "$python" ] || { echo "no CPython 3.11.7 from pyenv at $python"; exit 1; }
(cd "$root" && swift build -c release --product swdbg >/dev/null)
swdbg=$root/.build/release/swdbg
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Best of N: wall seconds and peak RSS (KB) from GNU time.
measure() {
    local best_time=999 best_rss=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -o "$out" -f "%e %M" "$@" >/dev/null 2>&1 || true
        read -r t rss < <(tail -n 1 "$out")
        if (( $(echo "$t < $best_time" | bc -l) )); then best_time=$t; best_rss=$rss; fi
    done
    echo "$best_time $best_rss"
}

read -r s_time s_rss < <(measure "$swdbg" -c 'bp libpython3_11!_PyEval_EvalFrameDefault; g; kp; q' "$python" -c pass)
read -r g_time g_rss < <(measure gdb -batch -nx -iex 'set breakpoint pending on' -iex 'set index-cache enabled off' \
    -ex 'break _PyEval_EvalFrameDefault' -ex run -ex bt -ex kill --args "$python" -c pass)
printf '%-40s %8s %10s\n' "first breakpoint in libpython3.11" "seconds" "peak RSS"
printf '%-40s %8.2f %7d MB\n' "swdbg (bp; g; kp; q)" "$s_time" $((s_rss / 1024))
printf '%-40s %8.2f %7d MB\n' "gdb (break; run; bt)" "$g_time" $((g_rss / 1024))
printf 'swdbg time / gdb time: %.2f   swdbg RSS / gdb RSS: %.2f\n' "$(echo "$s_time / $g_time" | bc -l)" "$(echo "$s_rss / $g_rss" | bc -l)"
