#!/usr/bin/env bash
# Post-mortem on a real program: a kernel core of CPython 3.11 (pyenv's, with its DWARF)
# crashed inside ctypes, opened and its stack printed with parameters — swdbg
# (`-c "kp; q" -z core python`) against gdb (`gdb -batch -ex bt python core`), best of N in
# one run, with peak RSS. Usage: bench/core.sh [runs]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-5}
python=$(pyenv root 2>/dev/null)/versions/3.11.7/bin/python3.11
[ -x "$python" ] || { echo "no CPython 3.11.7 from pyenv at $python"; exit 1; }
source "$here/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The kernel writes the core into the folder (the pattern is set to `core` for the crash
# when it names something else, and put back).
pattern=$(cat /proc/sys/kernel/core_pattern)
[ "$pattern" = core ] || echo core > /proc/sys/kernel/core_pattern
(cd "$work" && ulimit -c unlimited && "$python" -c 'import ctypes; ctypes.string_at(0)' >/dev/null 2>&1) || true
[ "$pattern" = core ] || echo "$pattern" > /proc/sys/kernel/core_pattern
core=$(ls "$work"/core* | head -n 1)
[ -f "$core" ] || { echo "CPython left no core"; exit 1; }

# Both must have shown the crash: the frames of ctypes' memory read.
"$swdbg" -c 'kp; q' -z "$core" "$python" > "$work/swdbg.txt" 2>&1
gdb -batch -nx -iex 'set index-cache enabled off' -ex bt "$python" "$core" > "$work/gdb.txt" 2>&1
grep -q "_PyEval_EvalFrameDefault" "$work/swdbg.txt" || { echo "swdbg did not show the stack:"; cat "$work/swdbg.txt"; exit 1; }
grep -q "_PyEval_EvalFrameDefault" "$work/gdb.txt" || { echo "gdb did not show the stack:"; cat "$work/gdb.txt"; exit 1; }
echo "frames: swdbg $(grep -cE '^[0-9a-f]{2} ' "$work/swdbg.txt"), gdb $(grep -c '^#' "$work/gdb.txt")"

read -r s_time s_rss < <(best_of "$swdbg" -c 'kp; q' -z "$core" "$python")
read -r g_time g_rss < <(best_of gdb -batch -nx -iex 'set index-cache enabled off' -ex bt "$python" "$core")
printf '%-44s %8s %10s\n' "CPython 3.11 core: open, stack with parameters" "seconds" "peak RSS"
printf '%-44s %8.3f %7d MB\n' "swdbg -c \"kp; q\" -z core python" "$s_time" $((s_rss / 1024))
printf '%-44s %8.3f %7d MB\n' "gdb -batch -ex bt python core" "$g_time" $((g_rss / 1024))
printf 'swdbg time / gdb time: %.2f   swdbg RSS / gdb RSS: %.2f\n' "$(echo "$s_time / $g_time" | bc -l)" "$(echo "$s_rss / $g_rss" | bc -l)"
