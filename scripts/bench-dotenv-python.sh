#!/usr/bin/env bash
# Compare KeyClave's .env parser with python-dotenv on the same
# 10,000-line file: generates it, times python-dotenv's dotenv_values on it,
# then runs the criterion bench `dotenv` on the very same file.
#
#   scripts/bench-dotenv-python.sh            # both
#   SKIP_RUST=1 scripts/bench-dotenv-python.sh  # python-dotenv only
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import dotenv' 2>/dev/null; then
    echo "installing python-dotenv…" >&2
    "$PY" -m pip install --quiet python-dotenv
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fixture="$work/bench.env"

# Same generator as fixture() in core/benches/dotenv.rs.
"$PY" - "$fixture" <<'PYEOF'
import sys
lines = []
while len(lines) < 10_000:
    n = len(lines)
    if n % 50 == 0:
        lines.append(f"# section {n // 50}")
    elif n % 50 == 1:
        lines.append("")
    elif n % 500 == 2:
        lines.append(f'CERT_{n:05}="-----BEGIN CERTIFICATE-----')
        lines.append("MIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw")
        lines.append('-----END CERTIFICATE-----"')
    elif n % 7 == 0:
        lines.append(f"export SERVICE_{n:05}_TOKEN='tok_{n:05}_abcdef0123456789'")
    elif n % 5 == 0:
        lines.append(f'SERVICE_{n:05}_URL="https://api{n}.example.com/v1?x=1&y=2" # endpoint')
    else:
        lines.append(f"SERVICE_{n:05}_API_KEY=key_{n:05}_0123456789abcdefABCDEF")
lines = lines[:10_000]
with open(sys.argv[1], "w", newline="") as f:
    f.write("\n".join(lines) + "\n")
PYEOF

echo "fixture: $(wc -l < "$fixture") lines, $(wc -c < "$fixture") bytes"

"$PY" - "$fixture" <<'PYEOF'
import sys, timeit, importlib.metadata
from dotenv import dotenv_values
path = sys.argv[1]
values = dotenv_values(path)
print(f"python-dotenv {importlib.metadata.version('python-dotenv')}: {len(values)} keys")
for label, kwargs in (("dotenv_values (default, interpolate=True)", {}),
                      ("dotenv_values (interpolate=False)", {"interpolate": False})):
    runs = timeit.repeat(lambda: dotenv_values(path, **kwargs), number=3, repeat=5)
    best = min(runs) / 3
    print(f"  {label}: {best * 1000:.2f} ms per call (best of 5x3)")
PYEOF

if [ -z "${SKIP_RUST:-}" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
    if ! KEYCLAVE_BENCH_DOTENV="$fixture" cargo bench -p keyclave-core --bench dotenv -- --noplot \
        > "$work/cargo.log" 2>&1; then
        cat "$work/cargo.log" >&2
        exit 1
    fi
    grep -E "^keyclave:|^dotenv_|time:" "$work/cargo.log"
fi
