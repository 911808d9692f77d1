//! The automation runtime: a Python virtual environment with the pinned
//! Playwright, made on first use after the person agrees
//! (`keyclave automation setup`, or the desktop's Automation screen). It
//! uses the system's Python and Chromium (Playwright drives Debian's
//! `chromium` through `executable_path`; no browser is downloaded) and says
//! what is missing when they are not there.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, ErrorCode, Result};

/// The Playwright release tested with Debian's Chromium.
pub const PLAYWRIGHT_VERSION: &str = "1.65.3";

/// Where Chromium is looked for (`KEYCLAVE_CHROMIUM` first).
const CHROMIUM: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/// What the automation runtime has and lacks.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "AutomationSetupStatus")]
pub struct Status {
    /// The system Python, when found.
    pub python: Option<String>,
    /// The virtual environment exists.
    pub venv: bool,
    /// Playwright's version in it, when installed.
    pub playwright: Option<String>,
    /// Chromium's path, when found.
    pub chromium: Option<String>,
    /// bubblewrap works here (else runs get the reduced sandbox).
    pub full_sandbox: bool,
    /// What to install, in words (empty when ready).
    pub missing: Vec<String>,
}

impl Status {
    /// Browser tasks can run.
    pub fn ready(&self) -> bool {
        self.missing.is_empty()
    }
}

/// The system's Chromium.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KEYCLAVE_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    CHROMIUM.iter().map(PathBuf::from).find(|p| p.exists())
}

fn system_python() -> Option<PathBuf> {
    ["/usr/bin/python3"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// Playwright's version in the venv at `venv`.
fn playwright_in(venv: &Path) -> Option<String> {
    let out = Command::new(venv.join("bin/python3"))
        .args(["-I", "-c", "import importlib.metadata as m; print(m.version('playwright'))"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What is there, for the venv at `venv`.
pub fn status(venv: &Path) -> Status {
    let python = system_python();
    let venv_ok = venv.join("bin/python3").exists();
    let playwright = venv_ok.then(|| playwright_in(venv)).flatten();
    let chromium = chromium();
    let mut missing = Vec::new();
    if python.is_none() {
        missing.push("Python 3 (apt install python3 python3-venv)".to_string());
    }
    if playwright.as_deref() != Some(PLAYWRIGHT_VERSION) {
        missing.push(format!(
            "Playwright {PLAYWRIGHT_VERSION} in KeyClave's automation environment (keyclave automation setup)"
        ));
    }
    if chromium.is_none() {
        missing.push("Chromium (apt install chromium)".to_string());
    }
    Status {
        python: python.map(|p| p.display().to_string()),
        venv: venv_ok,
        playwright,
        chromium: chromium.map(|p| p.display().to_string()),
        full_sandbox: super::sandbox::full_available(),
        missing,
    }
}

/// Make the venv at `venv` and install the pinned Playwright into it from
/// PyPI, telling `progress` each line of what happens. Blocking (minutes
/// on a slow network): run it on a blocking thread, holding no vault lock.
pub fn install(venv: &Path, progress: &dyn Fn(&str)) -> Result<Status> {
    let python = system_python().ok_or_else(|| {
        Error::new(ErrorCode::AutomationRuntimeMissing, "no system Python 3 (/usr/bin/python3)")
            .with_suggestion("Install it: apt install python3 python3-venv.")
    })?;
    if playwright_in(venv).as_deref() == Some(PLAYWRIGHT_VERSION) {
        progress(&format!("Playwright {PLAYWRIGHT_VERSION} is already installed"));
        return Ok(status(venv));
    }
    if let Some(parent) = venv.parent() {
        crate::paths::create_private_dir(parent)?;
    }
    progress("creating the virtual environment");
    stream(Command::new(&python).arg("-m").arg("venv").arg(venv), progress).map_err(|e| {
        e.with_suggestion("Debian and Ubuntu need the python3-venv package: apt install python3-venv.")
    })?;
    progress(&format!("installing Playwright {PLAYWRIGHT_VERSION} from PyPI"));
    stream(
        Command::new(venv.join("bin/python3")).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            &format!("playwright=={PLAYWRIGHT_VERSION}"),
        ]),
        progress,
    )?;
    let s = status(venv);
    if s.playwright.as_deref() != Some(PLAYWRIGHT_VERSION) {
        return Err(Error::new(ErrorCode::AutomationRuntimeMissing, "Playwright did not install"));
    }
    Ok(s)
}

/// Run `cmd`, passing each output line to `progress`.
fn stream(cmd: &mut Command, progress: &dyn Fn(&str)) -> Result<()> {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| {
            Error::new(
                ErrorCode::AutomationRuntimeMissing,
                format!("could not start {:?}: {e}", cmd.get_program()),
            )
        })?;
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        stderr
            .map(|s| BufReader::new(s).lines().map_while(|l| l.ok()).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
            progress(&crate::redact::redact(&line));
        }
    }
    let status = child.wait()?;
    let errors = errors.join().unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let last = errors.iter().rev().find(|l| !l.trim().is_empty()).cloned().unwrap_or_default();
    Err(Error::new(
        ErrorCode::AutomationRuntimeMissing,
        format!("{:?} failed: {}", cmd.get_program(), crate::redact::redact(&last)),
    ))
}
