#!/usr/bin/env bash
# KeyClave's desktop window against KeePassXC's, side by side under Xvfb:
# memory (RSS and PSS of every process), launch -> first paint, idle CPU,
# and the ratios. Both open a 1,000-entry vault sealed with Argon2id
# 128 MiB / t=4 / p=1; median of 5 alternating runs (scripts/bench-desktop.py
# says how each figure is taken). Installs what it needs on Debian/Ubuntu.
#   bash scripts/bench-desktop.sh            # or: make bench-desktop
#   BENCH_ARGS="--runs 3 --keyclave-env WEBKIT_DISABLE_COMPOSITING_MODE=1" bash scripts/bench-desktop.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
bash "$here/setup-desktop.sh"
bash "$here/ensure-apt.sh" keepassxc python3-venv xvfb xauth dbus-x11

target="${CARGO_TARGET_DIR:-$repo/target}"
venv="$target/bench-venv"
if ! "$venv/bin/python" -c "import pykeepass, Xlib" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pykeepass python-xlib
fi

# Rebuild the UI only when its sources changed: a fresh dist/ makes cargo
# relink the whole (LTO) release app.
(cd "$repo/ui" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } &&
  if [ ! -f dist/index.html ] || [ -n "$(find src index.html package-lock.json vite.config.ts -newer dist/index.html -print -quit)" ]; then
    npm run build >/dev/null
  fi)
(cd "$repo" && cargo build --release --locked -p keyclave-desktop -p keyclave-cli)

# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
dbus-run-session -- xvfb-run -a --server-args="-screen 0 1280x900x24" \
  "$venv/bin/python" "$here/bench-desktop.py" \
  --app "$target/release/keyclave-desktop" --cli "$target/release/keyclave" \
  --out "$target/bench-desktop" ${BENCH_ARGS:-}
