//! The operational request log: `logs/network.log`, one JSON line per
//! attempt with provider, method, path template, status (or error code),
//! duration and attempt number. Never a header, a query value or a body:
//! the fields are written from what [`super::Net`] passes, and no field
//! can carry a URL or a value. Rotated at 4 MiB (one old file kept).

use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

const ROTATE_AT: u64 = 4 * 1024 * 1024;

/// One attempt, as logged.
#[derive(Debug, Serialize)]
pub(crate) struct Line<'a> {
    pub(crate) provider: &'a str,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) status: Option<u16>,
    pub(crate) error: Option<&'static str>,
    pub(crate) duration_ms: u64,
    pub(crate) attempt: u32,
}

#[derive(Serialize)]
struct Stamped<'a> {
    at: String,
    #[serde(flatten)]
    line: &'a Line<'a>,
}

pub(crate) struct OpLog {
    dir: PathBuf,
    write: Mutex<()>,
}

impl OpLog {
    pub(crate) fn new(dir: PathBuf) -> OpLog {
        OpLog { dir, write: Mutex::new(()) }
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join("network.log")
    }

    /// Append a line. A log that cannot be written never fails a request.
    pub(crate) fn write(&self, line: &Line<'_>) {
        let _guard = self.write.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = self.append(line) {
            tracing::debug!("the network log could not be written: {e}");
        }
    }

    fn append(&self, line: &Line<'_>) -> std::io::Result<()> {
        if !self.dir.exists() {
            crate::paths::create_private_dir(&self.dir).map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        let path = self.path();
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > ROTATE_AT) {
            std::fs::rename(&path, self.dir.join("network.log.1"))?;
        }
        let mut text = serde_json::to_string(&Stamped { at: crate::time::now(), line })?;
        text.push('\n');
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(&path)?.write_all(text.as_bytes())
    }
}
