# Sourced by the benchmarks: the release swdbg, the output folder, and helpers.
root=$(dirname "$here")
out=$here/out
mkdir -p "$out"
(cd "$root" && swift build -c release --product swdbg >/dev/null)
swdbg=$root/.build/release/swdbg

# A function's runtime address in a PIE run with ASLR off: base 0x555555554000 plus its offset.
runtime_address() { printf '%x' $((0x555555554000 + 0x$(nm "$1" | awk -v name="$2" '$3 == name { print $1 }'))); }

# Wall seconds a command takes; its output is kept in $out/last.
timed() { local start end; start=$(date +%s.%N); "$@" >"$out/last" 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
