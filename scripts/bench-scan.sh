#!/usr/bin/env bash
# Scan benchmark: KeyClave's project scanner against ripgrep over the same
# generated Markdown tree, in the same run (median of 5 each, alternating).
#   bash scripts/bench-scan.sh [DIR] [FILES] [BYTES_PER_FILE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-${TMPDIR:-/tmp}/keyclave-bench-md}"
files="${2:-20000}"
size="${3:-10000}"
bash "$here/ensure-apt.sh" ripgrep
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"

if [ ! -d "$dir" ]; then
  echo "generating $files files of ~$size bytes in $dir"
  python3 "$here/gen-md-tree.py" "$dir" "$files" "$size"
fi
cargo build --release --locked -p keyclave-core --example scan_tree
scan="$CARGO_TARGET_DIR/release/examples/scan_tree"
bytes=$(find "$dir" -type f -name '*.md' -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "tree: $(find "$dir" -type f | wc -l) files, $bytes bytes"

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Warm the page cache once for both.
rg -c '\b[A-Z][A-Z0-9_]{2,}\b' "$dir" >/dev/null || true
"$scan" "$dir" >/dev/null
rg_runs=(); kc_runs=()
for _ in 1 2 3 4 5; do
  rg_runs+=("$(ms rg -c '\b[A-Z][A-Z0-9_]{2,}\b' "$dir")")
  kc_runs+=("$(ms "$scan" "$dir")")
done
rg_med=$(printf '%s\n' "${rg_runs[@]}" | median)
kc_med=$(printf '%s\n' "${kc_runs[@]}" | median)
echo "ripgrep runs (ms):  ${rg_runs[*]}  median $rg_med"
echo "keyclave runs (ms): ${kc_runs[*]}  median $kc_med"
awk -v a="$kc_med" -v b="$rg_med" 'BEGIN {printf "ratio keyclave/ripgrep: %.2f (target <= 3)\n", a / b}'
