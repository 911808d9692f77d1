#!/usr/bin/env bash
# Everything KeyClave needs to build and test on a fresh Debian/Ubuntu
# machine. Idempotent: installs only what is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# C toolchain and OpenSSL headers: rusqlite's bundled SQLCipher uses
# OpenSSL's libcrypto.
bash "$here/ensure-apt.sh" build-essential pkg-config libssl-dev ca-certificates

# Keychain unlock: the keyring crate reaches the Secret Service through
# libdbus; its tests run a real gnome-keyring-daemon in a dbus-run-session.
bash "$here/ensure-apt.sh" libdbus-1-dev dbus gnome-keyring

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "error: no Rust toolchain (cargo). Install it with rustup (https://rustup.rs), then re-run." >&2
    exit 1
  fi
fi

# The differential test against python-dotenv makes a venv (Debian's
# python3 needs python3-venv for that) and installs it from PyPI.
if ! python3 -m venv --help >/dev/null 2>&1; then
  bash "$here/ensure-apt.sh" python3 python3-venv
fi

# Automation: scripts run under the system's python3 in bubblewrap, and
# browser tasks drive Debian's Chromium through Playwright (a venv that
# `keyclave automation setup` makes; the tests make their own).
bash "$here/ensure-apt.sh" python3 python3-venv bubblewrap chromium
