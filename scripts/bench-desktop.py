#!/usr/bin/env python3
"""KeyClave's window against KeePassXC's, side by side, in one run.

Run by scripts/bench-desktop.sh (inside Xvfb and a D-Bus session, with a
venv that has pykeepass and python-xlib). Both apps open a 1,000-entry vault
sealed with Argon2id 128 MiB / t=4 / p=1 and are driven the same way, as a
person would: launch with the vault, wait for the unlock window, type the
passphrase and Return (XTEST key events), wait for the list. Runs alternate
(KeyClave, KeePassXC, KeyClave, ...) and each figure is the median of the
runs. Per run:

- launch -> window mapped: from starting the process to its window on screen;
- launch -> first paint: from starting the process to the first frame of
  its window with content (at least 16 colours; an empty WebKit view or
  Qt window is one or two);
- launch -> unlock window: to the last change of the window before it
  settles (nothing moves for 0.5 s), i.e. the unlock screen fully drawn;
- Return -> list settled: from the passphrase's Return to the last change
  of the window once it shows another screen (the KDF, the list, and what
  fills in after it);
- RSS and PSS of every process of the app (the process and everything it
  started: WebKit's web and network processes, the sandbox around them),
  10 s after the list is shown;
- idle CPU over the 30 s that follow, as a percentage of one core.

The window is read with XGetImage on a grid of pixels every ~20 ms, so the
times are good to about one frame. Screenshots of each app's list are kept
in the output folder to look at.
"""

import argparse
import json
import os
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from Xlib import X, XK, display as xdisplay
from Xlib.error import XError
from Xlib.ext import xtest

PASS = "correct horse battery staple"
ENTRIES = 1000
TICKS = os.sysconf("SC_CLK_TCK")
PAINTED_COLOURS = 16
SETTLE_S = 0.5
# The list is a different screen from the unlock one: most of the window
# changes (a spinner or a greyed button while the KDF runs does not).
LIST_CHANGE = 0.25
SAMPLE_STRIDE = 31
KEY_INTERVAL_S = 0.08  # pixels; a prime, so rows do not alias on the grid


# --- processes -------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """`root` and every process it started, found through /proc parent links."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def memory(pids: list[int]) -> dict[str, dict[str, float]]:
    """RSS and PSS in MiB, summed per process name."""
    out: dict[str, dict[str, float]] = {}
    for pid in pids:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = {}
        for line in rollup.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
                fields[parts[0][:-1].lower()] = int(parts[1]) / 1024
        row = out.setdefault(name, {"rss": 0.0, "pss": 0.0, "count": 0})
        row["rss"] += fields.get("rss", 0.0)
        row["pss"] += fields.get("pss", 0.0)
        row["count"] += 1
    return out


def mappings(pid: int, top: int = 12) -> list[tuple[str, float, float]]:
    """What a process holds, by mapping: (file or [anon]/[heap], RSS, PSS) in MiB, largest PSS first."""
    rows: dict[str, list[float]] = {}
    name = "?"
    try:
        lines = Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if "-" in parts[0] and not parts[0].endswith(":"):
            name = parts[5] if len(parts) >= 6 else "[anon]"
            if name.startswith("/memfd:"):
                name = "[memfd]"
        elif parts[0] in ("Rss:", "Pss:"):
            row = rows.setdefault(name, [0.0, 0.0])
            row[0 if parts[0] == "Rss:" else 1] += int(parts[1]) / 1024
    ranked = sorted(rows.items(), key=lambda kv: -kv[1][1])[:top]
    return [(n, round(r, 1), round(p, 1)) for n, (r, p) in ranked]


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


# --- the window ------------------------------------------------------------


class Screen:
    def __init__(self) -> None:
        self.d = xdisplay.Display()
        self.root = self.d.screen().root
        self.pid_atom = self.d.intern_atom("_NET_WM_PID")

    def window_of(self, pids: set[int]):
        """The app's largest viewable top-level window, or None yet."""
        best, best_area = None, 0
        try:
            tops = self.root.query_tree().children
        except XError:
            return None
        for w in tops:
            try:
                prop = w.get_full_property(self.pid_atom, X.AnyPropertyType)
                if prop is None or prop.value[0] not in pids:
                    continue
                if w.get_attributes().map_state != X.IsViewable:
                    continue
                g = w.get_geometry()
            except XError:
                continue
            if g.width * g.height > best_area and g.width >= 200 and g.height >= 150:
                best, best_area = w, g.width * g.height
        return best

    def sample(self, w) -> tuple | None:
        """A grid of the window's pixels (None if it went away)."""
        try:
            g = w.get_geometry()
            img = w.get_image(0, 0, g.width, g.height, X.ZPixmap, 0xFFFFFFFF)
        except XError:
            return None
        px = memoryview(img.data).cast("I")
        return tuple(px[::SAMPLE_STRIDE])

    def grab_png(self, w, path: Path) -> None:
        g = w.get_geometry()
        img = w.get_image(0, 0, g.width, g.height, X.ZPixmap, 0xFFFFFFFF)
        write_png(path, g.width, g.height, img.data)

    def type_into(self, w, text: str) -> None:
        """Focus the window and type `text` then Return, as key events."""
        self.d.set_input_focus(w, X.RevertToParent, X.CurrentTime)
        self.d.sync()
        time.sleep(0.2)
        for ch in text:
            keysym = XK.string_to_keysym("space" if ch == " " else ch)
            self.key(self.d.keysym_to_keycode(keysym))
        self.key(self.d.keysym_to_keycode(XK.string_to_keysym("Return")))

    def key(self, code: int) -> None:
        xtest.fake_input(self.d, X.KeyPress, code)
        xtest.fake_input(self.d, X.KeyRelease, code)
        self.d.sync()
        # A fast typist's pace: typed faster than a window paints a key, the
        # keys queue and "Return -> list" would time the backlog instead.
        time.sleep(KEY_INTERVAL_S)


def changed(a: tuple, b: tuple) -> float:
    """Fraction of grid pixels that differ (a caret blinking is ~0)."""
    if len(a) != len(b):
        return 1.0
    return sum(1 for x, y in zip(a, b) if x != y) / max(1, len(a))


def write_png(path: Path, width: int, height: int, bgrx: bytes) -> None:
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        line = bgrx[y * width * 4 : (y + 1) * width * 4]
        for x in range(0, len(line), 4):
            rows += bytes((line[x + 2], line[x + 1], line[x]))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b"")
    path.write_bytes(png)


# --- one run ---------------------------------------------------------------


def run_app(screen: Screen, label: str, argv: list[str], env: dict, shots: Path, index: int, idle_s: float, cpu_s: float) -> dict:
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        mapped = first_paint = ready = None
        window, last, last_change = None, None, None
        deadline = t0 + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{label} exited with {proc.returncode}: {proc.stderr.read().decode(errors='replace')[-2000:]}")
            window = window or screen.window_of(set(process_tree(proc.pid)))
            grid = screen.sample(window) if window else None
            now = time.monotonic()
            if grid is None:
                window = None
            else:
                mapped = mapped or now
                if first_paint is None and len(set(grid)) >= PAINTED_COLOURS:
                    first_paint = now
                if first_paint is not None:
                    if last is None or changed(last, grid) > 0.001:
                        last, last_change = grid, now
                    elif now - last_change >= SETTLE_S:
                        ready = last_change
                        break
            time.sleep(0.02)
        if ready is None:
            raise RuntimeError(f"{label}: the unlock window did not settle within 60 s")
        unlock_screen = last

        screen.type_into(window, PASS)
        typed = time.monotonic()
        shown = None
        last, last_change = unlock_screen, typed
        while time.monotonic() < typed + 90:
            grid = screen.sample(window)
            now = time.monotonic()
            if grid is None:
                raise RuntimeError(f"{label}: the window went away after the passphrase")
            if changed(last, grid) > 0.001:
                last, last_change = grid, now
            elif changed(unlock_screen, grid) > LIST_CHANGE and now - last_change >= SETTLE_S:
                shown = last_change
                break
            time.sleep(0.05)
        if shown is None:
            raise RuntimeError(f"{label}: the list was not shown within 90 s of the passphrase")

        time.sleep(idle_s)
        pids = process_tree(proc.pid)
        mem = memory(pids)
        if index == 0:
            screen.grab_png(window, shots / f"{label}-list.png")
            held = {f"{Path(f'/proc/{p}/comm').read_text().strip()} {p}": mappings(p) for p in pids if Path(f"/proc/{p}").exists()}
            (shots / f"{label}-mappings.json").write_text(json.dumps(held, indent=1))
        before = cpu_ticks(pids)
        time.sleep(cpu_s)
        spent = cpu_ticks(process_tree(proc.pid)) - before
        return {
            "window_mapped_ms": round((mapped - t0) * 1000),
            "first_paint_ms": round((first_paint - t0) * 1000),
            "unlock_window_ms": round((ready - t0) * 1000),
            "return_to_list_ms": round((shown - typed) * 1000),
            "rss_mib": round(sum(r["rss"] for r in mem.values()), 1),
            "pss_mib": round(sum(r["pss"] for r in mem.values()), 1),
            "processes": {k: {"rss": round(v["rss"], 1), "pss": round(v["pss"], 1), "count": v["count"]} for k, v in mem.items()},
            "idle_cpu_pct": round(spent / TICKS / cpu_s * 100, 2),
        }
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    pids = process_tree(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pid in pids[1:]:  # helpers the app did not take down with it
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    time.sleep(1)


# --- the vaults ------------------------------------------------------------


def keepass_db(path: Path) -> None:
    import uuid

    from pykeepass import create_database

    kp = create_database(str(path), password=PASS)
    kdf = kp.kdbx.header.value.dynamic_header.kdf_parameters.data.dict
    kdf["$UUID"].value = uuid.UUID("9e298b19-56db-4773-b23d-fc3ec6f0a1e6").bytes  # Argon2id
    kdf["M"].value, kdf["I"].value, kdf["P"].value = 128 << 20, 4, 1
    for i in range(ENTRIES):
        kp.add_entry(kp.root_group, f"SERVICE_{i:04}_API_KEY", "api", f"value-{i:04}-0123456789abcdef")
    kp.save()


def keyclave_home(cli: str, home: Path, work: Path) -> None:
    pf = work / "pass"
    pf.write_text(PASS + "\n")
    pf.chmod(0o600)
    base = [cli, "--home", str(home), "--passphrase-file", str(pf)]
    subprocess.run(base + ["profile", "create", "Bench"], check=True, stdout=subprocess.DEVNULL)
    env_file = work / "keys.env"
    env_file.write_text("".join(f"SERVICE_{i:04}_API_KEY=value-{i:04}-0123456789abcdef\n" for i in range(ENTRIES)))
    subprocess.run(base + ["import", str(env_file)], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(base + ["secret", "list", "--json"], check=True, capture_output=True, text=True).stdout
    if json.loads(out)["total"] != ENTRIES:
        raise RuntimeError("the KeyClave profile does not hold 1,000 secrets")


# --- main ------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app", required=True, help="KeyClave's release desktop binary")
    ap.add_argument("--cli", required=True, help="KeyClave's release CLI (seeds the profile)")
    ap.add_argument("--out", required=True, help="folder for the JSON figures and screenshots")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=10.0, help="seconds after the list before memory is read")
    ap.add_argument("--cpu", type=float, default=30.0, help="seconds of idle CPU measured")
    ap.add_argument("--only", choices=("keyclave", "keepassxc"), help="run one app (no ratios)")
    ap.add_argument("--keyclave-env", action="append", default=[], help="NAME=VALUE for KeyClave's process only (to try a lever)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    work = Path(tempfile.mkdtemp(prefix="kc-bench-desktop-"))
    try:
        print("writing the 1,000-entry vaults (Argon2id 128 MiB, t=4, p=1)...", file=sys.stderr)
        db = work / "bench.kdbx"
        keepass_db(db)
        kc_home = work / "keyclave"
        keyclave_home(args.cli, kc_home, work)

        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYCLAVE_", "WEBKIT_"))}
        kc_env = dict(base_env, KEYCLAVE_HOME=str(kc_home))
        for pair in args.keyclave_env:
            name, _, value = pair.partition("=")
            kc_env[name] = value
        kp_dir = work / "keepassxc-home"
        (kp_dir / ".config").mkdir(parents=True)
        kp_env = dict(base_env, HOME=str(kp_dir), XDG_CONFIG_HOME=str(kp_dir / ".config"), XDG_CACHE_HOME=str(kp_dir / ".cache"))
        apps = {
            "keyclave": ([args.app], kc_env),
            "keepassxc": (["keepassxc", str(db)], kp_env),
        }

        if args.only:
            apps = {args.only: apps[args.only]}
        screen = Screen()
        runs: dict[str, list[dict]] = {name: [] for name in apps}
        for i in range(args.runs):
            for name, (argv, env) in apps.items():
                r = run_app(screen, name, argv, env, out, i, args.idle, args.cpu)
                runs[name].append(r)
                print(f"run {i + 1}/{args.runs} {name:9}: window {r['window_mapped_ms']} ms, first paint {r['first_paint_ms']} ms, unlock window {r['unlock_window_ms']} ms, "
                      f"PSS {r['pss_mib']} MiB, RSS {r['rss_mib']} MiB, idle CPU {r['idle_cpu_pct']} %", file=sys.stderr)
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=False)

    figures = ("window_mapped_ms", "first_paint_ms", "unlock_window_ms", "return_to_list_ms", "pss_mib", "rss_mib", "idle_cpu_pct")
    medians = {name: {f: statistics.median(r[f] for r in rs) for f in figures} for name, rs in runs.items()}
    for name, rs in runs.items():
        procs: dict[str, dict] = {}
        for r in rs:
            for p, v in r["processes"].items():
                procs.setdefault(p, {"rss": [], "pss": []})
                procs[p]["rss"].append(v["rss"])
                procs[p]["pss"].append(v["pss"])
        medians[name]["processes"] = {p: {k: round(statistics.median(v), 1) for k, v in d.items()} for p, d in procs.items()}
    result = {"runs": runs, "median": medians, "keyclave_env": args.keyclave_env}
    (out / "bench-desktop.json").write_text(json.dumps(result, indent=2))

    if args.only:
        print(json.dumps(medians, indent=2))
        return 0
    kc, kp = medians["keyclave"], medians["keepassxc"]
    print(f"\nmedian of {args.runs}, 1,000 entries, Argon2id 128 MiB t=4 p=1" + (f", KeyClave with {' '.join(args.keyclave_env)}" if args.keyclave_env else ""))
    print(f"{'':30}{'KeyClave':>12}{'KeePassXC':>12}{'ratio':>8}")
    labels = {
        "pss_mib": "PSS, all processes (MiB)",
        "rss_mib": "RSS, all processes (MiB)",
        "window_mapped_ms": "launch -> window mapped (ms)",
        "first_paint_ms": "launch -> first paint (ms)",
        "unlock_window_ms": "launch -> unlock window (ms)",
        "return_to_list_ms": "Return -> list settled (ms)",
        "idle_cpu_pct": "idle CPU, 30 s (% of a core)",
    }
    for f, label in labels.items():
        ratio = f"{kc[f] / kp[f]:.2f}" if kp[f] else "-"
        print(f"{label:30}{kc[f]:>12}{kp[f]:>12}{ratio:>8}")
    for name in ("keyclave", "keepassxc"):
        parts = ", ".join(f"{p} {v['pss']} PSS / {v['rss']} RSS" for p, v in sorted(medians[name]["processes"].items()))
        print(f"  {name}: {parts}")
    print(f"figures: {out / 'bench-desktop.json'}; screenshots: {out}/*-list.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
