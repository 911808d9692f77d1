#!/usr/bin/env bash
# Whole-process `keyclave secret list` with and without the unlock agent,
# in one run, alternating, median of 10 each: a profile with the default
# KDF (Argon2id 128 MiB, t=4, p=1) holding 1,000 secrets. Without the
# agent every run pays the KDF; with it the agent answers.
#   bash scripts/bench-agent.sh        (make bench-agent)
# KEYCLAVE=path/to/keyclave times another build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
if [ -z "${KEYCLAVE:-}" ]; then
  cargo build --release --locked -p keyclave-cli --bin keyclave
  KEYCLAVE="$CARGO_TARGET_DIR/release/keyclave"
fi
work="$(mktemp -d)"
mkdir -m 700 "$work/run"
export XDG_RUNTIME_DIR="$work/run"
trap '"$KEYCLAVE" --home "$work/home" lock --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
printf 'bench passphrase 1234\n' > "$work/pass"
chmod 600 "$work/pass"
kc() { "$KEYCLAVE" --home "$work/home" "$@"; }
kc --passphrase-file "$work/pass" profile create Bench >/dev/null 2>&1
python3 -c 'for i in range(1000): print(f"BENCH_KEY_{i:04d}=value-{i:04d}-a1b2c3d4e5f6")' > "$work/keys.env"
kc --passphrase-file "$work/pass" import "$work/keys.env" >/dev/null
python3 - "$KEYCLAVE" "$work" <<'PY'
import statistics, subprocess, sys, time
exe, work = sys.argv[1], sys.argv[2]
base = [exe, "--home", f"{work}/home"]
def timed(args):
    t = time.perf_counter()
    subprocess.run(base + args, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000
subprocess.run(base + ["--passphrase-file", f"{work}/pass", "unlock"], check=True, stdout=subprocess.DEVNULL)
with_agent, without = [], []
for _ in range(10):
    with_agent.append(timed(["secret", "list"]))
    # --passphrase-file bypasses nothing: a profile the agent holds is
    # answered by it, so this side locks first and unlocks after.
    subprocess.run(base + ["lock"], check=True, stdout=subprocess.DEVNULL)
    without.append(timed(["--passphrase-file", f"{work}/pass", "secret", "list"]))
    subprocess.run(base + ["--passphrase-file", f"{work}/pass", "unlock"], check=True, stdout=subprocess.DEVNULL)
m_with, m_without = statistics.median(with_agent), statistics.median(without)
print(f"secret list, 1,000 secrets, default KDF, median of 10 (ms):")
print(f"  without the agent: {m_without:7.1f}   (min {min(without):.1f}, max {max(without):.1f})")
print(f"  with the agent:    {m_with:7.1f}   (min {min(with_agent):.1f}, max {max(with_agent):.1f})")
print(f"  ratio: {m_without / m_with:.0f}x")
PY
