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

# Best of $runs: wall seconds (to the microsecond; GNU time's own figure has 10 ms steps) and
# peak RSS (KB) from GNU time, printed as "seconds rss".
best_of() {
    local best_time=999 best_rss=0 start end t rss
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        /usr/bin/time -o "$out/time" -f "%M" "$@" >/dev/null 2>&1 || true
        end=$(date +%s%N)
        t=$(echo "($end - $start) / 1000000000" | bc -l)
        rss=$(tail -n 1 "$out/time")
        if (( $(echo "$t < $best_time" | bc -l) )); then best_time=$t; best_rss=$rss; fi
    done
    echo "$best_time $best_rss"
}
