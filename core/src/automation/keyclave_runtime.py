"""KeyClave's runtime for automation scripts (protocol 1).

A script does ``import keyclave_runtime as kc`` and talks to KeyClave
through this module only: one JSON object per line on the process's
standard output, answers on its standard input. ``print()`` output becomes
log lines. KeyClave records everything (redacted) and decides nothing a
script says about its own checkpoints: decisions come from a person.
"""
import json
import os
import sys

PROTOCOL = 1

# The protocol channel is the real standard output; what the script prints
# goes through `_Printed` and becomes log lines.
_channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
_answers = sys.stdin
_approved_key_checkpoints = []


def _send(message):
    _channel.write(json.dumps(message, default=str) + "\n")
    _channel.flush()


def _receive():
    line = _answers.readline()
    if not line:
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class _Printed:
    """Standard output for the script: each line becomes a log message."""

    def __init__(self, level):
        self._level = level
        self._buffer = ""

    def write(self, text):
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            _send({"type": "log", "level": self._level, "message": line})
        return len(text)

    def flush(self):
        if self._buffer:
            _send({"type": "log", "level": self._level, "message": self._buffer})
            self._buffer = ""

    def isatty(self):
        return False


sys.stdout = _Printed("info")


class Decision:
    """A person's decision on a checkpoint."""

    def __init__(self, checkpoint_id, decision, notes=None, modified_action=None):
        self.checkpoint_id = checkpoint_id
        self.decision = decision
        self.approved = decision in ("approved", "modified")
        self.notes = notes
        self.modified_action = modified_action

    def __bool__(self):
        return self.approved

    def __repr__(self):
        return f"Decision({self.decision!r})"


def log(message, level="info", **data):
    """Record a log line (redacted by KeyClave)."""
    message = {"type": "log", "level": level, "message": str(message)}
    if data:
        message["data"] = data
    _send(message)


def checkpoint(kind, description, proposed_action, context=None):
    """Stop until a person decides. Never raises: anything but a decision
    for this checkpoint counts as rejected."""
    _send({
        "type": "checkpoint",
        "checkpoint_type": kind,
        "description": str(description),
        "proposed_action": str(proposed_action),
        "context": context or {},
    })
    answer = _receive()
    if not answer or answer.get("type") != "decision":
        reason = (answer or {}).get("reason", "no decision")
        return Decision(None, "rejected", notes=reason)
    decision = Decision(answer.get("checkpoint_id"), answer.get("decision", "rejected"),
                        answer.get("notes"), answer.get("modified_action"))
    if decision.approved and kind == "api_key":
        _approved_key_checkpoints.append(decision.checkpoint_id)
    return decision


def secret(name):
    """The value of a key the script declared and the review approved."""
    _send({"type": "secret", "name": name})
    answer = _receive() or {}
    if answer.get("type") == "secret" and answer.get("name") == name:
        return answer.get("value")
    raise PermissionError(answer.get("reason", f"{name} was not handed out"))


def store_secret(name, value):
    """Store a new value under `name`; only after an approved api_key
    checkpoint in this run."""
    checkpoint_id = _approved_key_checkpoints[-1] if _approved_key_checkpoints else ""
    _send({"type": "store_secret", "name": name, "value": str(value), "checkpoint_id": checkpoint_id})
    answer = _receive() or {}
    if answer.get("type") == "stored" and answer.get("name") == name:
        return True
    raise PermissionError(answer.get("reason", f"{name} was not stored"))


def result(summary):
    """The run's summary (figures, facts; never a secret)."""
    _send({"type": "result", "summary": summary})


def abort(reason):
    """End the run as aborted."""
    _send({"type": "abort", "reason": str(reason)})
    sys.stdout.flush()
    raise SystemExit(3)


def browser(headless=None):
    """A Playwright Chromium (the system's), headed unless KEYCLAVE_HEADLESS=1."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("browser tasks need the automation runtime: run `keyclave automation setup`")
    if headless is None:
        headless = os.environ.get("KEYCLAVE_HEADLESS") == "1"
    # Loopback too goes through the proxy (Chromium bypasses it for
    # loopback unless told): the sandbox's own loopback leads nowhere.
    args = ["--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--proxy-bypass-list=<-loopback>"]
    proxy = os.environ.get("KEYCLAVE_PROXY")
    launch = {"executable_path": os.environ.get("KEYCLAVE_CHROMIUM", "/usr/bin/chromium"),
              "headless": headless, "args": args}
    if proxy:
        launch["proxy"] = {"server": proxy}
    playwright = sync_playwright().start()
    profile = os.environ.get("KEYCLAVE_BROWSER_PROFILE", os.path.join(os.getcwd(), "browser-profile"))
    return playwright.chromium.launch_persistent_context(profile, **launch)


def _bridge(socket_path):
    """Serve a loopback port inside the sandbox that forwards to KeyClave's
    proxy socket: the only way out of the sandbox's network."""
    import socket
    import threading

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(32)

    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def serve():
        while True:
            client, _ = server.accept()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(socket_path)
            except OSError:
                client.close()
                continue
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return "http://127.0.0.1:%d" % server.getsockname()[1]


def _die_with_parent():
    """End the script's whole process group (the browser included) when
    KeyClave goes away: in the reduced sandbox nothing else does."""
    import signal
    import threading
    import time

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(0.25)
            if os.getppid() != parent:
                os.killpg(os.getpgid(0), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


_die_with_parent()

if os.environ.get("KEYCLAVE_PROXY_SOCKET"):
    _proxy = _bridge(os.environ["KEYCLAVE_PROXY_SOCKET"])
    for _name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "KEYCLAVE_PROXY"):
        os.environ[_name] = _proxy
    os.environ.pop("NO_PROXY", None)
    os.environ.pop("no_proxy", None)

_send({"type": "hello", "protocol": PROTOCOL})
