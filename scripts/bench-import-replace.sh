#!/usr/bin/env bash
# Import speed, adding against replacing: a 100,000-key .env into an empty
# profile, then 20,000 of those keys and all 100,000 again with
# --on-conflict replace. Target: replacing 100k within 2x of adding 100k.
#   bash scripts/bench-import-replace.sh
# KEYCLAVE=path/to/keyclave times another build (e.g. an older commit's).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
if [ -z "${KEYCLAVE:-}" ]; then
  cargo build --release --locked -p keyclave-cli --bin keyclave
  KEYCLAVE="$CARGO_TARGET_DIR/release/keyclave"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/all.env", "w") as f:
    for i in range(100_000):
        f.write(f"BENCH_KEY_{i:06d}=value-{i:06d}-a1b2c3d4e5\n")
with open(f"{d}/fifth.env", "w") as f:
    for i in range(0, 100_000, 5):
        f.write(f"BENCH_KEY_{i:06d}=replaced-{i:06d}\n")
PY
printf 'bench passphrase 1234\n' > "$work/pass"
chmod 600 "$work/pass"
kc() { "$KEYCLAVE" --home "$work/home" --passphrase-file "$work/pass" "$@"; }
kc profile create Bench --kdf-memory-kib 256 --kdf-iterations 1 >/dev/null 2>&1
timed() {
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  kc "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "print(f'{\"$label\":<32} {$end - $start:6.2f} s')"
}
timed "add 100k" import "$work/all.env"
timed "replace 20k into 100k" import "$work/fifth.env" --on-conflict replace
timed "replace 100k" import "$work/all.env" --on-conflict replace
