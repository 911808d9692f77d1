#!/usr/bin/env bash
# What the desktop app and its end-to-end tests need on Debian/Ubuntu, on
# top of scripts/setup.sh: WebKitGTK and friends for Tauri, Xvfb and
# WebKitWebDriver for tests in a real window (xdotool and x11-apps' xwd for their
# screenshots, xclip to read the clipboard `secret copy` sets), Node.js for
# the UI, and tauri-driver. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/setup.sh"

bash "$here/ensure-apt.sh" \
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev \
  librsvg2-dev libayatana-appindicator3-dev libxdo-dev file \
  xvfb xauth xclip x11-apps xdotool webkit2gtk-driver dbus-x11 at-spi2-core fonts-dejavu-core

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  bash "$here/ensure-apt.sh" nodejs npm
fi

# tauri-driver bridges WebDriver clients to WebKitWebDriver. Pin to Tauri 2.
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --version '^2' --locked
fi
