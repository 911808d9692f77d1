//! Which Python runs scripts and the static checker: the same interpreter
//! for both, so a script that passes the syntax check parses when it runs.
//!
//! Order: `KEYCLAVE_PYTHON` (an explicit choice), the automation runtime's
//! virtual environment (`automation/venv`, made by `automation setup`, with
//! Playwright), then the system's `python3` (`/usr/bin/python3` first: a
//! user's shim in the home folder cannot be seen inside the sandbox).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, ErrorCode, Result};
use crate::paths::Root;

/// An interpreter and the folders it needs to see inside the sandbox.
#[derive(Debug, Clone)]
pub struct Interpreter {
    /// The executable.
    pub exe: PathBuf,
    /// Its installation prefixes outside `/usr` (a venv, a pyenv build),
    /// mounted read-only into the sandbox.
    pub extra_roots: Vec<PathBuf>,
    /// `major.minor`, as the interpreter reports it.
    pub version: String,
}

/// The virtual environment `automation setup` creates.
pub fn venv_dir(root: &Root) -> PathBuf {
    root.automation_dir().join("venv")
}

/// Find the interpreter (`automation.runtime_missing` when there is none).
pub fn find(root: &Root) -> Result<Interpreter> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(explicit) = std::env::var_os("KEYCLAVE_PYTHON").filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(explicit));
    } else {
        candidates.push(venv_dir(root).join("bin/python3"));
        candidates.push(PathBuf::from("/usr/bin/python3"));
        candidates.push(PathBuf::from("python3"));
    }
    for exe in candidates {
        if exe.is_absolute() && !exe.exists() {
            continue;
        }
        if let Some(found) = describe(&exe) {
            return Ok(found);
        }
    }
    Err(Error::new(ErrorCode::AutomationRuntimeMissing, "no Python 3 interpreter was found"))
}

/// The interpreter at `exe` (a test's own venv, say).
pub fn at(exe: &Path) -> Result<Interpreter> {
    describe(exe).ok_or_else(|| {
        Error::new(
            ErrorCode::AutomationRuntimeMissing,
            format!("{} is not a working Python 3", exe.display()),
        )
    })
}

/// Ask the interpreter where it lives; `None` when it does not start.
fn describe(exe: &Path) -> Option<Interpreter> {
    let out = Command::new(exe)
        .args([
            "-I",
            "-c",
            "import sys; print(sys.executable); print(sys.prefix); print(sys.base_prefix); \
             print('%d.%d' % sys.version_info[:2])",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let mut lines = text.lines();
    let executable = PathBuf::from(lines.next()?);
    let prefixes = [lines.next()?, lines.next()?];
    let version = lines.next()?.to_string();
    if !version.starts_with("3.") {
        return None;
    }
    let mut extra_roots: Vec<PathBuf> = Vec::new();
    for prefix in prefixes.iter().map(PathBuf::from) {
        let system = ["/usr", "/bin", "/lib"].iter().any(|s| prefix.starts_with(s));
        if !system && !extra_roots.contains(&prefix) {
            extra_roots.push(prefix);
        }
    }
    // A venv's python is a symlink into its base installation.
    if let Ok(real) = std::fs::canonicalize(&executable) {
        if let Some(dir) = real.parent().and_then(Path::parent) {
            let system = ["/usr", "/bin", "/lib"].iter().any(|s| dir.starts_with(s));
            if !system && !extra_roots.iter().any(|r| dir.starts_with(r)) {
                extra_roots.push(dir.to_path_buf());
            }
        }
    }
    Some(Interpreter { exe: executable, extra_roots, version })
}
