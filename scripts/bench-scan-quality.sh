#!/usr/bin/env bash
# Scan-quality benchmark: precision, recall and required-at-0.7 over the
# hand-labelled public projects of scripts/scan-quality/manifest.json.
#   bash scripts/bench-scan-quality.sh DIR [--mirrors ROOT]
# DIR holds (or receives) one folder of docs per project; --mirrors reads
# them from local git mirrors (ROOT/<owner>+<name>/repo) instead of GitHub.
# KEYCLAVE=path/to/keyclave scores another build (e.g. an older commit's).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: bench-scan-quality.sh DIR [--mirrors ROOT]}"
shift
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
if [ -z "${KEYCLAVE:-}" ]; then
  cargo build --release --locked -p keyclave-cli --bin keyclave
  KEYCLAVE="$CARGO_TARGET_DIR/release/keyclave"
fi
python3 "$here/scan-quality/score.py" prepare "$dir" "$@"
python3 "$here/scan-quality/score.py" score "$dir" --keyclave "$KEYCLAVE"
