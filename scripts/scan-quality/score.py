#!/usr/bin/env python3
"""Scan-quality benchmark: scan each labelled project and score the result.

  score.py prepare DIR [--mirrors ROOT]   put each project's docs in DIR/<name>
  score.py score DIR [--keyclave BIN]     scan DIR/<name> for each project, print scores
  score.py time DIR --against OLD [--keyclave NEW] [--runs N]
                                          median scan time per project, two builds

`prepare` takes the files the scanner can read (READMEs, *.md, *.mdx,
*.rst, env templates) from each project at its pinned commit: from local
git mirrors under ROOT/<owner>+<name>/repo when given, else by cloning from
GitHub. Other projects' files are never committed here.

Scoring, over registry providers (`generic` left out): a provider is
reported when the scan classes it required or optional (a scan without
that classification reports every requirement). Precision = reported and
labelled / reported; recall = labelled and reported / labelled;
required@0.7 = labelled-required providers reported at confidence >= 0.7 /
labelled-required providers. Projects marked `held_out` in the manifest
(labelled after the rules were tuned on the others) are also totalled
on their own.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "manifest.json")
DOC = re.compile(
    r"(\.mdx?|\.markdown|\.rst)$|^readme(\.txt)?$|^(\.env\.[a-z.]*|[a-z]*\.env\.)(example|sample|template|dist)[a-z.]*$",
    re.I,
)


def load():
    with open(MANIFEST) as f:
        return json.load(f)["projects"]


def prepare(args):
    for p in load():
        dest = os.path.join(args.dir, p["name"])
        if os.path.isdir(dest):
            continue
        if args.mirrors:
            repo = os.path.join(args.mirrors, p["repo"].replace("/", "+"), "repo")
        else:
            repo = tempfile.mkdtemp()
            subprocess.run(["git", "clone", "--quiet", "--filter=blob:none", "--no-checkout",
                            f"https://github.com/{p['repo']}.git", repo], check=True)
        names = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", p["commit"]],
                               check=True, capture_output=True, text=True).stdout.splitlines()
        for name in names:
            if not DOC.search(os.path.basename(name)):
                continue
            data = subprocess.run(["git", "-C", repo, "show", f"{p['commit']}:{name}"],
                                  check=True, capture_output=True).stdout
            path = os.path.join(dest, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        print(f"{p['name']}: docs at {p['commit'][:12]}", file=sys.stderr)


def scan(keyclave, home, passfile, folder):
    started = time.monotonic()
    out = subprocess.run([keyclave, "--home", home, "--passphrase-file", passfile, "--json", "scan", folder],
                         capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if out.returncode != 0:
        raise SystemExit(f"scan of {folder} failed: {out.stderr.strip()}")
    return json.loads(out.stdout), elapsed


def reported(req):
    return req.get("necessity", "required") in ("required", "optional")


def ratio(a, b):
    return a / b if b else float("nan")


def score(args):
    work = tempfile.mkdtemp()
    try:
        home, passfile = os.path.join(work, "home"), os.path.join(work, "pass")
        with open(passfile, "w") as f:
            f.write("scan quality 1234\n")
        subprocess.run([args.keyclave, "--home", home, "--passphrase-file", passfile, "profile", "create",
                        "Quality", "--kdf-memory-kib", "256", "--kdf-iterations", "1"],
                       check=True, capture_output=True)
        totals = dict(tp=0, fp=0, fn=0, req=0, req_hi=0)
        held = dict(tp=0, fp=0, fn=0, req=0, req_hi=0)
        print(f"{'project':<22} {'prec':>5} {'recall':>6} {'req@.7':>6} {'time':>7}  false / missed")
        for p in load():
            folder = os.path.join(args.dir, p["name"])
            if not os.path.isdir(folder):
                raise SystemExit(f"{folder} is missing: run `score.py prepare {args.dir}` first")
            report, elapsed = scan(args.keyclave, home, passfile, folder)
            reqs = {r["provider_id"]: r for r in report["requirements"] if r["provider_id"] != "generic"}
            shown = {pid for pid, r in reqs.items() if reported(r)}
            labelled = set(p["required"]) | set(p["optional"])
            tp, fp, fn = shown & labelled, shown - labelled, labelled - shown
            hi = {pid for pid in p["required"] if pid in shown and reqs[pid]["confidence"] >= 0.7}
            for t in (totals, held) if p.get("held_out") else (totals,):
                for k, v in (("tp", tp), ("fp", fp), ("fn", fn)):
                    t[k] += len(v)
                t["req"] += len(p["required"])
                t["req_hi"] += len(hi)
            print(f"{p['name']:<22} {ratio(len(tp), len(shown)):>5.2f} {ratio(len(tp), len(labelled)):>6.2f} "
                  f"{ratio(len(hi), len(p['required'])):>6.2f} {elapsed * 1000:>5.0f}ms  "
                  f"{' '.join(sorted(fp)) or '-'} / {' '.join(sorted(fn)) or '-'}")
        print()
        for label, t in (("overall", totals), ("held out", held)):
            if label == "held out" and not any(p.get("held_out") for p in load()):
                continue
            print(f"{label}: precision {ratio(t['tp'], t['tp'] + t['fp']):.2f} ({t['tp']} true, {t['fp']} false), "
                  f"recall {ratio(t['tp'], t['tp'] + t['fn']):.2f} ({t['fn']} missed), "
                  f"required at >= 0.7: {t['req_hi']} of {t['req']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compare_times(args):
    """Median whole-process scan time per project, two builds alternating."""
    import statistics
    builds = {"old": args.against, "new": args.keyclave}
    print(f"{'project':<22} {'old':>8} {'new':>8} {'change':>7}")
    worst = None
    for p in load():
        folder = os.path.join(args.dir, p["name"])
        times = {k: [] for k in builds}
        for _ in range(args.runs):
            for k, binary in builds.items():
                work = tempfile.mkdtemp()
                try:
                    home, passfile = os.path.join(work, "home"), os.path.join(work, "pass")
                    with open(passfile, "w") as f:
                        f.write("scan quality 1234\n")
                    subprocess.run([binary, "--home", home, "--passphrase-file", passfile, "profile", "create",
                                    "Quality", "--kdf-memory-kib", "256", "--kdf-iterations", "1"],
                                   check=True, capture_output=True)
                    times[k].append(scan(binary, home, passfile, folder)[1] * 1000)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
        old, new = statistics.median(times["old"]), statistics.median(times["new"])
        change = 100 * (new / old - 1)
        worst = change if worst is None else max(worst, change)
        print(f"{p['name']:<22} {old:>6.1f}ms {new:>6.1f}ms {change:>+6.0f}%")
    print(f"\nslowest change: {worst:+.0f}% (median of {args.runs} runs each)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    pr = sub.add_parser("prepare")
    pr.add_argument("dir")
    pr.add_argument("--mirrors")
    sc = sub.add_parser("score")
    sc.add_argument("dir")
    sc.add_argument("--keyclave", default=os.environ.get("KEYCLAVE", "keyclave"))
    tm = sub.add_parser("time")
    tm.add_argument("dir")
    tm.add_argument("--keyclave", default=os.environ.get("KEYCLAVE", "keyclave"))
    tm.add_argument("--against", required=True, help="the older build to compare with")
    tm.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    {"prepare": prepare, "score": score, "time": compare_times}[args.cmd](args)


if __name__ == "__main__":
    main()
