#!/usr/bin/env bash
# Per-command cost against keepassxc-cli, same KDF (Argon2id m=128 MiB, t=4,
# p=1), same 50 entries, same run: `keepassxc-cli ls` versus
# `keyclave secret list` (each unlocks, lists, exits). Median of 5 each.
#   bash scripts/bench-keepassxc.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/ensure-apt.sh" keepassxc
python3 -c "import pykeepass" 2>/dev/null || python3 -m pip install --quiet pykeepass
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
cargo build --release --locked -p keyclave-cli
kc="$CARGO_TARGET_DIR/release/keyclave"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pass="correct horse battery staple"
printf '%s\n' "$pass" > "$work/pass"

# The KeePass database, written with the same KDF parameters by pykeepass.
python3 - "$work/db.kdbx" "$pass" <<'PY'
import sys, uuid
from pykeepass import create_database
kp = create_database(sys.argv[1], password=sys.argv[2])
kdf = kp.kdbx.header.value.dynamic_header.kdf_parameters.data.dict
kdf["$UUID"].value = uuid.UUID("9e298b19-56db-4773-b23d-fc3ec6f0a1e6").bytes  # Argon2id
kdf["M"].value, kdf["I"].value, kdf["P"].value = 128 << 20, 4, 1
for i in range(50):
    kp.add_entry(kp.root_group, f"SERVICE_{i:06}_API_KEY", "user", f"value-{i:06}-0123456789abcdef")
kp.save()
PY
keepassxc-cli db-info "$work/db.kdbx" < "$work/pass" 2>/dev/null | grep KDF

# The KeyClave profile: default KDF, 50 secrets.
home="$work/kc"
"$kc" --home "$home" --passphrase-file "$work/pass" profile create Bench >/dev/null
for i in $(seq -w 0 49); do printf 'SERVICE_0000%s_API_KEY=value-0000%s-0123456789abcdef\n' "$i" "$i"; done > "$work/keys.env"
"$kc" --home "$home" --passphrase-file "$work/pass" import "$work/keys.env" >/dev/null

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
kp_runs=(); kc_runs=()
for _ in 1 2 3 4 5; do
  kp_runs+=("$(ms sh -c "keepassxc-cli ls -q '$work/db.kdbx' < '$work/pass'")")
  kc_runs+=("$(ms "$kc" --home "$home" --passphrase-file "$work/pass" secret list)")
done
echo "keepassxc-cli ls (ms):        ${kp_runs[*]}  median $(printf '%s\n' "${kp_runs[@]}" | median)"
echo "keyclave secret list (ms):    ${kc_runs[*]}  median $(printf '%s\n' "${kc_runs[@]}" | median)"
