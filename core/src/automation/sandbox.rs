//! How a script's process is confined.
//!
//! **Full** (Linux with bubblewrap): a read-only system (`/usr` and the
//! few `/etc` files programs need, no home), the runtime and the script
//! read-only at `/run/keyclave/runtime`, a private writable working folder
//! at `/run/keyclave/work` (paths no host folder is likely to be bound at), new user, PID, network, IPC and UTS namespaces, a new session
//! (no terminal to inject into), killed with its parent, and a scrubbed
//! environment (PATH, LANG and the runtime's own variables). With no
//! network namespace of its own to leave, the script reaches nothing.
//!
//! **Reduced** (no `bwrap`, or it cannot start — macOS, Windows, Ubuntu
//! 24.04 without user namespaces): the same scrubbed environment and
//! private folder, its own process group, nothing more. Runs say so, and
//! financial and irreversible checkpoints then need the person to accept
//! it ([`super::checkpoint`]).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::python::Interpreter;

/// Which confinement a run got.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxKind {
    /// bubblewrap.
    Full,
    /// Scrubbed environment and private folder only.
    Reduced,
}

impl SandboxKind {
    /// The stored name (`automation_executions.sandbox`).
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxKind::Full => "full",
            SandboxKind::Reduced => "reduced",
        }
    }
}

/// The files of one run: `runtime/` (read-only to the script: the runtime
/// module and the script) and `work/` (its working folder).
#[derive(Debug, Clone)]
pub struct RunDir {
    /// The run's folder.
    pub root: PathBuf,
}

impl RunDir {
    /// `runtime/`.
    pub fn runtime(&self) -> PathBuf {
        self.root.join("runtime")
    }
    /// `work/`.
    pub fn work(&self) -> PathBuf {
        self.root.join("work")
    }
    /// `tmp/` (the reduced sandbox's temporary folder).
    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }
    /// `net/`: the proxy's socket.
    pub fn net(&self) -> PathBuf {
        self.root.join("net")
    }
    /// Where the script sees the proxy's socket.
    pub fn proxy_socket_inside(&self, kind: SandboxKind) -> PathBuf {
        match kind {
            SandboxKind::Full => PathBuf::from(format!("{INSIDE}/net/proxy.sock")),
            SandboxKind::Reduced => self.net().join("proxy.sock"),
        }
    }
}

/// `/etc` entries programs need (certificates, the loader cache, time
/// zone, fonts for a browser); nothing with users' or system secrets.
const ETC: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/fonts",
    "/etc/mime.types",
    "/etc/python3",
    "/etc/python3.11",
    "/etc/python3.12",
    "/etc/python3.13",
    "/etc/chromium",
    "/etc/chromium.d",
];

/// Where KeyClave's own folders appear inside the full sandbox.
pub const INSIDE: &str = "/run/keyclave";

/// A folder or file of the host shown inside the sandbox.
#[derive(Debug, Clone)]
pub struct Bind {
    /// On the host.
    pub host: PathBuf,
    /// Inside the sandbox (the same path in the reduced sandbox).
    pub inside: PathBuf,
    /// Writable.
    pub writable: bool,
}

/// Whether bubblewrap is here and can make its namespaces (checked once
/// per process; `KEYCLAVE_SANDBOX=reduced` forces the reduced sandbox).
pub fn full_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    if std::env::var("KEYCLAVE_SANDBOX").is_ok_and(|v| v == "reduced") {
        return false;
    }
    *AVAILABLE.get_or_init(|| {
        Command::new("bwrap")
            .args([
                "--ro-bind",
                "/usr",
                "/usr",
                "--symlink",
                "usr/bin",
                "/bin",
                "--symlink",
                "usr/lib",
                "/lib",
            ])
            .args(["--symlink", "usr/lib64", "/lib64", "--unshare-all", "--die-with-parent", "--new-session"])
            .arg("/usr/bin/true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Environment variables a script gets (the rest is scrubbed).
fn base_env(home: &Path, tmp: &Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("HOME".into(), home.display().to_string()),
        ("TMPDIR".into(), tmp.display().to_string()),
        ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
        ("PYTHONIOENCODING".into(), "utf-8".into()),
        ("KEYCLAVE_RUN".into(), "1".into()),
    ]
}

/// The command that runs `dir`'s script under `kind`, stdio piped, in its
/// own process group. `extra_env`: the runtime's own settings
/// (`KEYCLAVE_HEADLESS`, …), never a secret.
pub fn command(
    python: &Interpreter,
    dir: &RunDir,
    kind: SandboxKind,
    extra_env: &[(String, String)],
    binds: &[Bind],
) -> Command {
    let mut cmd = match kind {
        SandboxKind::Full => {
            let mut c = Command::new("bwrap");
            c.args(["--ro-bind", "/usr", "/usr"]);
            for link in ["bin", "lib", "lib64", "lib32", "sbin"] {
                let path = Path::new("/").join(link);
                match std::fs::read_link(&path) {
                    Ok(target) => {
                        c.arg("--symlink").arg(target).arg(&path);
                    }
                    Err(_) if path.is_dir() => {
                        c.arg("--ro-bind").arg(&path).arg(&path);
                    }
                    Err(_) => {}
                }
            }
            for etc in ETC {
                c.args(["--ro-bind-try", etc, etc]);
            }
            // The private /tmp first: binds below it (a venv in /tmp, the
            // X11 socket) are mounted over it.
            c.args(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
            for root in &python.extra_roots {
                c.arg("--ro-bind").arg(root).arg(root);
            }
            c.arg("--ro-bind").arg(dir.runtime()).arg(format!("{INSIDE}/runtime"));
            c.arg("--bind").arg(dir.work()).arg(format!("{INSIDE}/work"));
            c.arg("--bind").arg(dir.net()).arg(format!("{INSIDE}/net"));
            for b in binds {
                c.arg(if b.writable { "--bind-try" } else { "--ro-bind-try" }).arg(&b.host).arg(&b.inside);
            }
            c.arg("--chdir").arg(format!("{INSIDE}/work"));
            c.args(["--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]);
            for (k, v) in base_env(&Path::new(INSIDE).join("work"), Path::new("/tmp"))
                .into_iter()
                .chain(extra_env.iter().cloned())
            {
                c.arg("--setenv").arg(k).arg(v);
            }
            c.arg(&python.exe).args(["-E", "-s", "-u"]).arg(format!("{INSIDE}/runtime/script.py"));
            c
        }
        SandboxKind::Reduced => {
            let mut c = Command::new(&python.exe);
            c.args(["-E", "-s", "-u"]).arg(dir.runtime().join("script.py"));
            c.current_dir(dir.work()).env_clear();
            c.envs(base_env(&dir.work(), &dir.tmp())).envs(extra_env.iter().cloned());
            c
        }
    };
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd
}

/// Kill the child's whole process group (the sandbox dies with it).
pub fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
    let _ = child.kill();
}
