//! One run of an approved script: the child process, its protocol lines,
//! its checkpoints, its events.
//!
//! The run follows the vault's rule for background work: it reads what it
//! needs in short reads, records in short transactions, and holds no lock
//! while the script works or a person thinks. Locking the vault cancels
//! the run's token: the child's process group is killed and nothing more
//! is written (the next unlock marks the run `aborted`, see
//! [`super::history::sweep_interrupted`]).
//!
//! Every line the script prints is parsed ([`super::protocol`]); every
//! event is redacted — by the redaction function, and by replacing every
//! value this run handed out or stored — before it is stored or shown.
//! Run time is bounded (default 10 minutes, not counting the time a
//! checkpoint waits for a person); one run per provider at a time, across
//! processes (a lock file).

use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

use super::checkpoint::{Checkpoints, Decided, Pending};
use super::protocol::{self, FromScript, ToScript, Violation};
use super::python::Interpreter;
use super::sandbox::{self, RunDir, SandboxKind};
use super::script::{self, Approved, Script};
use super::{CheckpointType, sha256_hex};
use crate::audit::EventType;
use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};
use crate::redact::MASK;
use crate::reveal::{self, Grant, Purpose};
use crate::vault::Vault;

/// Default bound on a run's working time.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Events stored per run; later lines are counted, not stored.
pub const MAX_EVENTS: u64 = 100_000;
/// Standard error kept per run.
const MAX_STDERR: usize = 256 * 1024;

/// How a run ended (`automation_executions.status`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The script finished (exit status 0).
    Success,
    /// It failed, crashed or timed out.
    Failure,
    /// It was stopped: a rejection it gave up on, an abort, a lock.
    Aborted,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Success => "success",
            RunStatus::Failure => "failure",
            RunStatus::Aborted => "aborted",
        }
    }
}

/// One recorded event of a run.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEvent {
    /// The run.
    pub execution_id: String,
    /// Order in the run (from 0).
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub seq: u64,
    /// When.
    pub created_at: String,
    /// `debug`, `info`, `warning`, `error`.
    pub level: String,
    /// What happened (redacted).
    pub message: String,
    /// Extra fields (redacted).
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Unknown>))]
    pub data: Option<Value>,
}

/// The person side of a run: shows a checkpoint (the decision comes back
/// through [`Checkpoints::decide`]) and hears the run's events.
pub trait Person: Send + Sync {
    /// A checkpoint waits; show it. `automation.needs_person` when nobody
    /// can be asked (no terminal, no window): it is rejected at once.
    fn ask(&self, pending: &Pending) -> Result<()>;
    /// The checkpoint is no longer waiting (decided, expired, run ended).
    fn closed(&self, _checkpoint_id: &str) {}
    /// An event was recorded.
    fn event(&self, _event: &RunEvent) {}
}

/// Choices for one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Bound on working time (checkpoint waits excluded).
    pub timeout: Duration,
    /// How long a checkpoint waits before it is rejected.
    pub checkpoint_timeout: Duration,
    /// A TOTP code, when handing out the declared keys needs one.
    pub totp_code: Option<String>,
    /// Run the browser headless (`KEYCLAVE_HEADLESS=1` for the runtime).
    pub headless: bool,
    /// Use the reduced sandbox even where bubblewrap works (a system where
    /// it misbehaves; tests of the reduced rules).
    pub force_reduced_sandbox: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            timeout: DEFAULT_TIMEOUT,
            checkpoint_timeout: super::checkpoint::DEFAULT_TIMEOUT,
            totp_code: None,
            headless: false,
            force_reduced_sandbox: false,
        }
    }
}

/// What a run did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's id.
    pub execution_id: String,
    /// How it ended.
    pub status: RunStatus,
    /// Why it did not succeed (redacted).
    pub error: Option<String>,
    /// The script's `kc.result(...)` (redacted).
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Unknown>))]
    pub result: Option<Value>,
    /// Events recorded.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub events: u64,
    /// Lines not recorded past the cap.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub dropped_lines: u64,
    /// The confinement it had.
    pub sandbox: SandboxKind,
    /// Checkpoints asked.
    pub checkpoints_reached: u32,
    /// Checkpoints approved (or modified).
    pub checkpoints_approved: u32,
    /// Checkpoints rejected.
    pub checkpoints_rejected: u32,
    /// The error code that stopped it, when core stopped it
    /// (`automation.needs_person`, …).
    pub error_code: Option<ErrorCode>,
}

/// Masks every value this run handed out or stored, then applies the
/// redaction function.
#[derive(Default)]
struct Redactor {
    values: Vec<Zeroizing<String>>,
}

impl Redactor {
    fn add(&mut self, value: &str) {
        if value.len() >= 4 && !self.values.iter().any(|v| v.as_str() == value) {
            self.values.push(Zeroizing::new(value.to_string()));
        }
    }

    fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
        }
        crate::redact::redact(&out).into_owned()
    }

    fn json(&self, value: &Value) -> Value {
        let mut v = match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.json(x)).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), self.json(x))).collect()),
            other => other.clone(),
        };
        crate::redact::redact_json(&mut v);
        v
    }
}

/// A line from the child's standard output, or why not.
enum Line {
    Bytes(Vec<u8>),
    TooLong(usize),
}

/// Read lines of at most `MAX_LINE` bytes; a longer line is reported with
/// its length and its bytes dropped.
fn read_lines(out: impl Read + Send + 'static) -> Receiver<Line> {
    let (tx, rx) = mpsc::sync_channel::<Line>(1024);
    std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(64 * 1024, out);
        let mut line: Vec<u8> = Vec::new();
        let mut dropped = 0usize;
        loop {
            let (consumed, done) = match reader.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(buf) => match memchr::memchr(b'\n', buf) {
                    Some(i) => {
                        take(&mut line, &mut dropped, &buf[..i]);
                        (i + 1, true)
                    }
                    None => {
                        take(&mut line, &mut dropped, buf);
                        (buf.len(), false)
                    }
                },
            };
            reader.consume(consumed);
            if done {
                let msg = if dropped > 0 {
                    Line::TooLong(line.len() + dropped)
                } else {
                    Line::Bytes(std::mem::take(&mut line))
                };
                line.clear();
                dropped = 0;
                if tx.send(msg).is_err() {
                    return;
                }
            }
        }
        if !line.is_empty() || dropped > 0 {
            let msg = if dropped > 0 { Line::TooLong(line.len() + dropped) } else { Line::Bytes(line) };
            let _ = tx.send(msg);
        }
    });
    rx
}

fn take(line: &mut Vec<u8>, dropped: &mut usize, bytes: &[u8]) {
    let room = protocol::MAX_LINE.saturating_sub(line.len());
    if *dropped > 0 || bytes.len() > room {
        *dropped += bytes.len();
    } else {
        line.extend_from_slice(bytes);
    }
}

/// Collect standard error (capped) on its own thread.
fn read_stderr(err: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.take(MAX_STDERR as u64).read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Holds a lock file for as long as it lives (`None` where unsupported).
struct FileLock {
    #[cfg(unix)]
    _lock: nix::fcntl::Flock<std::fs::File>,
}

/// Take an exclusive lock on `path` without waiting; `None` when another
/// process (or run) holds it.
fn try_lock(path: &Path) -> Result<Option<FileLock>> {
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
    #[cfg(unix)]
    {
        use nix::fcntl::{Flock, FlockArg};
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Ok(Some(FileLock { _lock: lock })),
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
            Err((_, e)) => Err(Error::internal(format!("locking {}: {e}", path.display()))),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(Some(FileLock {}))
    }
}

/// Whether a run's lock file is held by a live run (for the sweep).
pub(crate) fn run_is_live(run_dir: &Path) -> bool {
    let path = run_dir.join(".lock");
    path.exists() && matches!(try_lock(&path), Ok(None))
}

/// Where a run's folder is.
pub(crate) fn run_dir(vault: &Vault, execution_id: &str) -> RunDir {
    RunDir { root: vault.root().automation_dir().join("runs").join(execution_id) }
}

struct Run<'a> {
    vault: &'a Vault,
    script: Script,
    approved: Approved,
    execution_id: String,
    checkpoints: &'a Checkpoints,
    person: &'a dyn Person,
    options: RunOptions,
    cancel: CancellationToken,
    sandbox: SandboxKind,
    redactor: Redactor,
    grant: Option<Grant>,
    buffer: Vec<RunEvent>,
    last_flush: Instant,
    seq: u64,
    dropped: u64,
    reached: u32,
    approved_count: u32,
    rejected_count: u32,
    /// Approved `api_key` checkpoints not yet used by a store.
    key_checkpoints: BTreeSet<String>,
    result: Option<Value>,
    abort_reason: Option<String>,
    /// Why the run was stopped by core (nobody to ask): the child is killed.
    stopped: Option<Error>,
    violations: u32,
}

/// Run an approved script (blocking; call it on a blocking thread). The
/// run is recorded from start to end; the returned error is only for what
/// stopped it from starting (not approved, busy, no Python) or a lock.
pub fn run(
    vault: &Vault,
    python: &Interpreter,
    script_id: &str,
    checkpoints: &Checkpoints,
    person: &dyn Person,
    options: RunOptions,
    cancel: CancellationToken,
) -> Result<RunSummary> {
    let script = script::get(vault, script_id)?;
    let approved = script::approval_of(vault, &script)?;
    let grant = if approved.placeholders.is_empty() {
        None
    } else {
        Some(reveal::authorize(vault, Purpose::Automation, options.totp_code.as_deref())?)
    };
    let automation = vault.root().automation_dir();
    crate::paths::create_private_dir(&automation.join("locks"))?;
    let provider_lock = try_lock(&automation.join("locks").join(format!("{}.lock", script.provider_id)))?;
    let Some(_provider_lock) = provider_lock else {
        return Err(Error::new(
            ErrorCode::AutomationBusy,
            format!("another run for {} is in progress", script.provider_id),
        ));
    };
    let full = !options.force_reduced_sandbox && sandbox::full_available();
    let sandbox = if full { SandboxKind::Full } else { SandboxKind::Reduced };
    let execution_id = uuid::Uuid::new_v4().to_string();
    let dir = run_dir(vault, &execution_id);
    crate::paths::create_private_dir(&dir.root)?;
    let Some(_run_lock) = try_lock(&dir.root.join(".lock"))? else {
        return Err(Error::internal("a new run's folder was locked"));
    };
    vault.write(|w| {
        let profile_id = w.profile_id().to_string();
        w.execute(
            "INSERT INTO automation_executions (id, profile_id, script_id, started_at, status, script_version, sandbox)
             VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6)",
            params![execution_id, profile_id, script.id, crate::time::now(), script.version, sandbox.as_str()],
        )?;
        Ok(())
    })?;
    let mut run = Run {
        vault,
        script,
        approved,
        execution_id,
        checkpoints,
        person,
        options,
        cancel,
        sandbox,
        redactor: Redactor::default(),
        grant,
        buffer: Vec::new(),
        last_flush: Instant::now(),
        seq: 0,
        dropped: 0,
        reached: 0,
        approved_count: 0,
        rejected_count: 0,
        key_checkpoints: BTreeSet::new(),
        result: None,
        abort_reason: None,
        stopped: None,
        violations: 0,
    };
    let outcome = run.execute(python, &dir);
    let _ = std::fs::remove_dir_all(&dir.root);
    outcome
}

impl Run<'_> {
    fn event(&mut self, level: &str, message: &str, data: Option<Value>) {
        if self.seq >= MAX_EVENTS {
            self.dropped += 1;
            return;
        }
        let level = match level {
            "debug" | "info" | "warning" | "error" => level,
            "warn" => "warning",
            _ => "info",
        };
        let event = RunEvent {
            execution_id: self.execution_id.clone(),
            seq: self.seq,
            created_at: crate::time::now(),
            level: level.to_string(),
            message: self.redactor.text(message),
            data: data.as_ref().map(|d| self.redactor.json(d)),
        };
        self.seq += 1;
        self.person.event(&event);
        self.buffer.push(event);
    }

    /// Store buffered events in one transaction (a flood of lines costs one
    /// commit per batch, not per line).
    fn flush(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        if self.buffer.is_empty() {
            return Ok(());
        }
        let events = std::mem::take(&mut self.buffer);
        self.vault.write(|w| {
            let mut stmt = w.prepare_cached(
                "INSERT INTO automation_execution_events (id, execution_id, seq, created_at, level, message_redacted, data_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for e in &events {
                stmt.execute(params![
                    uuid::Uuid::new_v4().to_string(),
                    e.execution_id,
                    i64::try_from(e.seq).unwrap_or(i64::MAX),
                    e.created_at,
                    e.level,
                    e.message,
                    e.data.as_ref().map(Value::to_string)
                ])?;
            }
            Ok(())
        })
    }

    fn set_status(&self, status: &str) -> Result<()> {
        self.vault.write(|w| {
            w.execute(
                "UPDATE automation_executions SET status = ?2, checkpoints_reached = ?3 WHERE id = ?1",
                params![self.execution_id, status, self.reached],
            )?;
            Ok(())
        })
    }

    fn execute(&mut self, python: &Interpreter, dir: &RunDir) -> Result<RunSummary> {
        if self.sandbox == SandboxKind::Reduced {
            self.event(
                "warning",
                "reduced sandbox: bubblewrap is not available here, so the script runs with a scrubbed environment and a private folder only; financial and irreversible steps need you to accept that",
                None,
            );
        }
        // The per-run confirmation of the approved version, unless the
        // script may repeat without it.
        if !self.script.auto_approve_repeat {
            let description =
                format!("Run {:?}, version {} (approved)", self.script.title, self.script.version);
            let proposed = format!("Start the script (SHA-256 {})", &self.script.sha256[..16]);
            let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
            let context = json!({
                "provider": self.script.provider_id,
                "keys it may read": list(&self.approved.placeholders),
                "keys it may store": list(&self.approved.stores),
                "sandbox": self.sandbox.as_str(),
            });
            let decided = self.ask(CheckpointType::ScriptReview, &description, &proposed, context)?;
            if !decided.approved {
                return self.finish(RunStatus::Aborted, Some("the run was not confirmed".into()), None);
            }
        }
        self.write_files(dir)?;
        let (proxy_tx, proxy_events) = mpsc::channel();
        let allowlist = script::allowlist(self.vault, &self.script.provider_id);
        // Online Mode is asked per connection: turning it off stops the
        // script's network at once.
        let settings_of = self.vault.clone();
        let gate: crate::net::proxy::GateCheck =
            std::sync::Arc::new(move || crate::net::Gate::Online.is_open(&settings_of.settings()));
        let _proxy = crate::net::proxy::Proxy::start(
            &dir.net().join("proxy.sock"),
            &self.script.provider_id,
            allowlist,
            gate,
            self.vault.root().logs_dir(),
            proxy_tx,
        )?;
        let mut extra_env: Vec<(String, String)> = vec![(
            "KEYCLAVE_PROXY_SOCKET".into(),
            dir.proxy_socket_inside(self.sandbox).display().to_string(),
        )];
        let binds = self.browser_env(&mut extra_env)?;
        let max_retries = self.vault.settings().automation_max_retries;
        let mut active = Duration::ZERO;
        let mut retries = 0u32;
        let (status, error) = loop {
            let reached_before = self.reached;
            let (status, error, failed_by_exit) =
                self.attempt(python, dir, &extra_env, &binds, &proxy_events, &mut active)?;
            // Retried only when the script failed before its next
            // checkpoint: nothing critical can have happened, and a
            // retried critical step asks again from the top.
            let retry = failed_by_exit && self.reached == reached_before && retries < max_retries;
            if !retry {
                break (status, error);
            }
            retries += 1;
            self.result = None;
            self.event(
                "warning",
                &format!("the script failed before its next checkpoint; retry {retries} of {max_retries}"),
                None,
            );
        };
        let result = self.result.take();
        if status == RunStatus::Success && self.script.task_type == super::TaskType::DashboardScrape {
            if let Some(r) = &result {
                let stored = super::scrape::store(self.vault, &self.script.provider_id, r)?;
                let mut note = format!("the dashboard got {} snapshot(s) from this scrape", stored.snapshots);
                if !stored.missing.is_empty() {
                    note.push_str(&format!("; not found on the page: {}", stored.missing.join(", ")));
                }
                self.event(if stored.missing.is_empty() { "info" } else { "warning" }, &note, None);
            }
        }
        self.finish(status, error, result)
    }

    /// One start of the script: until it exits, times out, is stopped, or
    /// the vault locks. Returns how it ended, and whether it failed by its
    /// own exit status (what a retry is for).
    fn attempt(
        &mut self,
        python: &Interpreter,
        dir: &RunDir,
        extra_env: &[(String, String)],
        binds: &[sandbox::Bind],
        proxy_events: &Receiver<crate::net::proxy::ProxyEvent>,
        active: &mut Duration,
    ) -> Result<(RunStatus, Option<String>, bool)> {
        let mut child = match sandbox::command(python, dir, self.sandbox, extra_env, binds).spawn() {
            Ok(c) => c,
            Err(e) => {
                let message = format!("the script could not be started: {e}");
                self.event("error", &message, None);
                return Ok((RunStatus::Failure, Some(message), false));
            }
        };
        let (Some(stdout), Some(stderr), Some(mut stdin)) =
            (child.stdout.take(), child.stderr.take(), child.stdin.take())
        else {
            sandbox::kill_group(&mut child);
            return Err(Error::internal("the script's standard streams were not piped"));
        };
        let lines = read_lines(stdout);
        let stderr = read_stderr(stderr);
        self.event(
            "info",
            &format!("started ({} sandbox, Python {})", self.sandbox.as_str(), python.version),
            None,
        );
        let mut tick = Instant::now();
        let mut failure: Option<String> = None;
        let mut aborted = false;
        loop {
            if self.cancel.is_cancelled() {
                sandbox::kill_group(&mut child);
                let _ = child.wait();
                return Err(Error::locked().with_suggestion(
                    "The run stopped when the vault locked; it is marked aborted at the next unlock.",
                ));
            }
            *active += tick.elapsed();
            tick = Instant::now();
            if *active >= self.options.timeout {
                sandbox::kill_group(&mut child);
                let message = format!(
                    "timed out after {} s of run time; the script was killed",
                    self.options.timeout.as_secs()
                );
                self.event("error", &message, None);
                failure = Some(message);
                break;
            }
            while let Ok(e) = proxy_events.try_recv() {
                self.network_event(e);
            }
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let waited = self.handle(line, &mut stdin)?;
                    // The wait for a person is not run time.
                    tick += waited;
                    if self.abort_reason.is_some() {
                        aborted = true;
                    }
                    if self.stopped.is_some() {
                        sandbox::kill_group(&mut child);
                        aborted = true;
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.buffer.len() >= 500 || self.last_flush.elapsed() >= Duration::from_millis(200) {
                self.flush()?;
            }
        }
        drop(stdin);
        let status = wait_bounded(&mut child);
        while let Ok(e) = proxy_events.try_recv() {
            self.network_event(e);
        }
        let stderr_text = stderr.join().unwrap_or_default();
        for line in stderr_text.lines().filter(|l| !l.trim().is_empty()).take(200) {
            self.event("warning", &format!("stderr: {line}"), None);
        }
        if self.dropped > 0 {
            let n = self.dropped;
            self.dropped = 0;
            self.seq = self.seq.min(MAX_EVENTS - 1);
            self.event(
                "warning",
                &format!("{n} more lines were not recorded (limit {MAX_EVENTS} events per run)"),
                None,
            );
        }
        Ok(if let Some(f) = failure {
            (RunStatus::Failure, Some(f), false)
        } else if aborted || self.abort_reason.is_some() {
            (RunStatus::Aborted, self.abort_reason.clone(), false)
        } else {
            match status {
                Some(s) if s.success() => (RunStatus::Success, None, false),
                Some(s) => (RunStatus::Failure, Some(format!("the script exited with {s}")), true),
                None => {
                    (RunStatus::Failure, Some("the script did not exit and was killed".to_string()), false)
                }
            }
        })
    }

    fn write_files(&self, dir: &RunDir) -> Result<()> {
        crate::paths::create_private_dir(&dir.runtime())?;
        crate::paths::create_private_dir(&dir.work())?;
        crate::paths::create_private_dir(&dir.tmp())?;
        crate::paths::create_private_dir(&dir.net())?;
        std::fs::write(dir.runtime().join("keyclave_runtime.py"), RUNTIME)?;
        let path = dir.runtime().join("script.py");
        std::fs::write(&path, &self.script.source)?;
        // What starts is what was approved: read the file back and compare.
        let written = std::fs::read(&path)?;
        if sha256_hex(&written) != self.approved.sha256 {
            return Err(Error::new(
                ErrorCode::AutomationHashMismatch,
                "the script file differs from the approved source; it was not run",
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in ["keyclave_runtime.py", "script.py"] {
                std::fs::set_permissions(dir.runtime().join(f), std::fs::Permissions::from_mode(0o400))?;
            }
            std::fs::set_permissions(dir.runtime(), std::fs::Permissions::from_mode(0o500))?;
        }
        Ok(())
    }

    /// Handle one line; returns how long it waited for a person.
    fn handle(&mut self, line: Line, stdin: &mut std::process::ChildStdin) -> Result<Duration> {
        let bytes = match line {
            Line::Bytes(b) => b,
            Line::TooLong(n) => {
                self.violation(Violation::TooLong(n), None);
                return Ok(Duration::ZERO);
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Duration::ZERO);
        }
        let message = match protocol::parse(&bytes) {
            Ok(m) => m,
            Err(v) => {
                let excerpt: String = String::from_utf8_lossy(&bytes).chars().take(120).collect();
                self.violation(v, Some(excerpt));
                return Ok(Duration::ZERO);
            }
        };
        match message {
            FromScript::Hello { protocol: version } => {
                self.event("debug", &format!("runtime ready (protocol {version})"), None);
            }
            FromScript::Log { level, message, data } => {
                self.event(level.as_deref().unwrap_or("info"), &message, data);
            }
            FromScript::Checkpoint { checkpoint_type, description, proposed_action, context } => {
                let started = Instant::now();
                let reply =
                    self.script_checkpoint(&checkpoint_type, &description, &proposed_action, context)?;
                send(stdin, &reply);
                return Ok(started.elapsed());
            }
            FromScript::Secret { name } => {
                let reply = self.hand_out(&name)?;
                send(stdin, &reply);
            }
            FromScript::StoreSecret { name, value, checkpoint_id } => {
                let value = SecretString::from(value);
                let reply = self.store(&name, value, &checkpoint_id)?;
                send(stdin, &reply);
            }
            FromScript::Result { summary } => {
                let summary = self.redactor.json(&summary);
                self.event("info", "result", Some(summary.clone()));
                self.result = Some(summary);
            }
            FromScript::Abort { reason } => {
                let reason = self.redactor.text(&reason);
                self.event("warning", &format!("the script aborted: {reason}"), None);
                self.abort_reason = Some(reason);
            }
        }
        Ok(Duration::ZERO)
    }

    /// What the browser needs inside the sandbox: Chromium's path, the
    /// display (headed by default, so the person can log in), and the
    /// provider's browser profile, kept under the data root so a login
    /// survives between runs.
    fn browser_env(&self, env: &mut Vec<(String, String)>) -> Result<Vec<sandbox::Bind>> {
        let mut binds = Vec::new();
        if let Some(chromium) = super::setup::chromium() {
            env.push(("KEYCLAVE_CHROMIUM".into(), chromium.display().to_string()));
        }
        env.push(("KEYCLAVE_SANDBOX_KIND".into(), self.sandbox.as_str().into()));
        let profile = self.vault.root().automation_dir().join("browser").join(&self.script.provider_id);
        crate::paths::create_private_dir(&profile)?;
        let inside = match self.sandbox {
            SandboxKind::Full => std::path::Path::new(sandbox::INSIDE).join("browser"),
            SandboxKind::Reduced => profile.clone(),
        };
        env.push(("KEYCLAVE_BROWSER_PROFILE".into(), inside.display().to_string()));
        binds.push(sandbox::Bind { host: profile, inside, writable: true });
        let display = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty());
        match display {
            Some(display) if !self.options.headless => {
                env.push(("DISPLAY".into(), display));
                let x11 = std::path::PathBuf::from("/tmp/.X11-unix");
                binds.push(sandbox::Bind { host: x11.clone(), inside: x11, writable: false });
                if let Some(auth) = std::env::var_os("XAUTHORITY").map(std::path::PathBuf::from) {
                    env.push(("XAUTHORITY".into(), "/run/keyclave/xauthority".into()));
                    binds.push(sandbox::Bind {
                        host: auth,
                        inside: "/run/keyclave/xauthority".into(),
                        writable: false,
                    });
                }
            }
            _ => env.push(("KEYCLAVE_HEADLESS".into(), "1".into())),
        }
        Ok(binds)
    }

    fn network_event(&mut self, e: crate::net::proxy::ProxyEvent) {
        match e {
            crate::net::proxy::ProxyEvent::Allowed { target } => {
                self.event("debug", &format!("network: connected to {target}"), None);
            }
            crate::net::proxy::ProxyEvent::Refused { target, reason } => {
                self.event("warning", &format!("network: refused {target}: {reason}"), None);
            }
        }
    }

    fn violation(&mut self, v: Violation, excerpt: Option<String>) {
        self.violations += 1;
        let data = excerpt.map(|e| json!({ "line": e }));
        self.event("error", &v.describe(), data);
    }

    fn script_checkpoint(
        &mut self,
        kind: &str,
        description: &str,
        proposed: &str,
        context: Option<Value>,
    ) -> Result<ToScript> {
        let Some(kind) = protocol::script_checkpoint_type(kind) else {
            self.event(
                "error",
                &format!("the script asked for a checkpoint of unknown type {kind:?}; it is rejected"),
                None,
            );
            return Ok(rejected_reply("", "unknown checkpoint type"));
        };
        let context = context.unwrap_or_else(|| json!({}));
        let context = if context.is_object() { context } else { json!({ "value": context }) };
        // The context is shown and stored: it must hold no secret.
        let shown = self.redactor.json(&context);
        let clean_text =
            self.redactor.text(description) == description && self.redactor.text(proposed) == proposed;
        if shown != context || !clean_text {
            self.event("error", "a checkpoint's description, action or context looked like it held a secret; it was rejected without being shown", None);
            self.reached += 1;
            self.rejected_count += 1;
            return Ok(rejected_reply("", "the checkpoint held something that looks like a secret"));
        }
        let decided = self.ask(kind, description, proposed, context)?;
        if decided.approved && kind == CheckpointType::ApiKey {
            self.key_checkpoints.insert(decided.checkpoint_id.clone());
        }
        Ok(ToScript::Decision {
            checkpoint_id: decided.checkpoint_id,
            decision: decided.decision,
            approved: decided.approved,
            notes: decided.notes,
            modified_action: decided.modified_action,
        })
    }

    /// Ask a person and wait (no lock held); an unanswered checkpoint is
    /// rejected after the timeout, a lock stops the wait.
    fn ask(
        &mut self,
        kind: CheckpointType,
        description: &str,
        proposed: &str,
        context: Value,
    ) -> Result<Decided> {
        let id = super::checkpoint::token();
        let now = chrono::Utc::now();
        let timeout = chrono::Duration::from_std(self.options.checkpoint_timeout)
            .unwrap_or(chrono::Duration::minutes(15));
        let needs_totp = kind == CheckpointType::Financial && crate::totp::status(self.vault)?.enabled;
        let pending = Pending {
            id: id.clone(),
            nonce: super::checkpoint::token(),
            sha256: super::checkpoint::digest(kind, description, proposed, &context),
            execution_id: self.execution_id.clone(),
            script_id: self.script.id.clone(),
            script_title: self.script.title.clone(),
            provider_id: self.script.provider_id.clone(),
            kind,
            description: description.to_string(),
            proposed_action: proposed.to_string(),
            context,
            needs_totp,
            needs_person: kind.always_needs_person(),
            reduced_sandbox: self.sandbox == SandboxKind::Reduced,
            asked_at: crate::time::format(now),
            expires_at: crate::time::format(now + timeout),
        };
        self.reached += 1;
        self.event(
            "info",
            &format!("checkpoint ({}): {description}", kind.as_str()),
            Some(json!({ "checkpoint_id": id, "proposed_action": proposed })),
        );
        self.flush()?;
        self.set_status("paused_at_checkpoint")?;
        let rx = self.checkpoints.open(self.vault, pending.clone());
        let decided = match self.person.ask(&pending) {
            Err(e) => {
                let note = format!("rejected: {}", e.message());
                let d = self.checkpoints.expire(self.vault, &id, &note)?;
                self.event(
                    "error",
                    &format!(
                        "nobody could be asked ({}); the checkpoint was rejected and the run stops",
                        e.message()
                    ),
                    None,
                );
                self.abort_reason = Some(format!("checkpoint rejected: {}", e.message()));
                self.stopped = Some(e);
                d
            }
            Ok(()) => self.wait(&rx, &id)?,
        };
        self.person.closed(&id);
        let decided = decided.ok_or_else(|| Error::internal("a checkpoint ended without a decision"))?;
        if decided.approved {
            self.approved_count += 1;
        } else {
            self.rejected_count += 1;
        }
        self.event(
            if decided.approved { "info" } else { "warning" },
            &format!("checkpoint {}: {}", decided.decision, description),
            Some(json!({ "checkpoint_id": id, "by_totp": decided.by_totp, "modified_action": decided.modified_action })),
        );
        self.set_status("running")?;
        Ok(decided)
    }

    fn wait(&mut self, rx: &Receiver<Decided>, id: &str) -> Result<Option<Decided>> {
        let deadline = Instant::now() + self.options.checkpoint_timeout;
        loop {
            if self.cancel.is_cancelled() {
                self.checkpoints.forget(id);
                self.person.closed(id);
                return Err(Error::locked());
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(d) => return Ok(Some(d)),
                Err(RecvTimeoutError::Timeout) if Instant::now() >= deadline => {
                    let minutes = self.options.checkpoint_timeout.as_secs().div_ceil(60);
                    let note = format!("rejected: nobody answered within {minutes} min");
                    match self.checkpoints.expire(self.vault, id, &note)? {
                        Some(d) => {
                            self.event("warning", &note, None);
                            return Ok(Some(d));
                        }
                        // Decided in the same instant: the decision is on its way.
                        None => return Ok(rx.recv_timeout(Duration::from_secs(5)).ok()),
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            }
        }
    }

    fn hand_out(&mut self, name: &str) -> Result<ToScript> {
        if !self.approved.placeholders.iter().any(|p| p == name) {
            self.event(
                "error",
                &format!("the script asked for {name}, which its review did not approve; refused"),
                None,
            );
            return Ok(refused("secret", format!("{name} is not a key this script declared")));
        }
        let Some(grant) = self.grant.as_ref() else {
            return Ok(refused("secret", "no key was granted to this run"));
        };
        let found = crate::secrets::find(self.vault, name, Some(&self.script.provider_id))
            .or_else(|_| crate::secrets::find(self.vault, name, None));
        let s = match found {
            Ok(s) => s,
            Err(e) => {
                self.event("error", &format!("{name}: {}", e.message()), None);
                return Ok(refused("secret", e.message().to_string()));
            }
        };
        let value = crate::secrets::decrypt(self.vault, &s, grant)?;
        self.redactor.add(value.expose_secret());
        self.vault.write(|w| {
            w.record(
                EventType::SecretReveal,
                json!({ "secret_id": s.id, "provider_id": s.provider_id, "key_name": s.key_name,
                        "purpose": "automation", "execution_id": self.execution_id }),
            )
        })?;
        self.event("info", &format!("handed out {name} to the script"), None);
        Ok(ToScript::Secret { name: name.to_string(), value: value.expose_secret().to_string() })
    }

    fn store(&mut self, name: &str, value: SecretString, checkpoint_id: &str) -> Result<ToScript> {
        self.redactor.add(value.expose_secret());
        if !self.key_checkpoints.remove(checkpoint_id) {
            self.event("error", &format!("the script tried to store {name} without an approved api_key checkpoint of this run (or reused one); refused"), None);
            return Ok(refused(
                "store_secret",
                "storing a key needs an approved api_key checkpoint in this run, once",
            ));
        }
        if !self.approved.stores.iter().any(|p| p == name) {
            self.event(
                "error",
                &format!("the script tried to store {name}, which its review did not approve; refused"),
                None,
            );
            return Ok(refused(
                "store_secret",
                format!("{name} is not a key this script declared it stores"),
            ));
        }
        let provider = self.script.provider_id.clone();
        let existing = crate::secrets::find(self.vault, name, Some(&provider)).is_ok();
        let saved = if existing {
            let edit = crate::secrets::SecretEdit { value: Some(value), ..Default::default() };
            crate::secrets::edit(self.vault, name, Some(&provider), edit)
        } else {
            let mut new = crate::secrets::NewSecret::new(name, value);
            new.provider_id = Some(provider);
            new.provenance = crate::secrets::Provenance::paste(Some("automation"));
            crate::secrets::add(self.vault, new)
        };
        match saved {
            Ok(_) => {
                self.event("info", &format!("stored a new value for {name} in the vault"), None);
                Ok(ToScript::Stored { name: name.to_string() })
            }
            Err(e) => {
                self.event("error", &format!("{name} was not stored: {}", e.message()), None);
                Ok(refused("store_secret", e.message().to_string()))
            }
        }
    }

    fn finish(
        &mut self,
        status: RunStatus,
        error: Option<String>,
        result: Option<Value>,
    ) -> Result<RunSummary> {
        let error = error.map(|e| self.redactor.text(&e));
        if self.violations > 0 {
            let n = self.violations;
            self.event("warning", &format!("{n} protocol violation(s) in this run"), None);
        }
        self.event(
            if status == RunStatus::Success { "info" } else { "warning" },
            &format!("ended: {}", status.as_str()),
            None,
        );
        self.flush()?;
        let now = crate::time::now();
        self.vault.write(|w| {
            w.execute(
                "UPDATE automation_executions SET status = ?2, completed_at = ?3, checkpoints_reached = ?4,
                     error_message_redacted = ?5, result_summary_json = ?6
                 WHERE id = ?1",
                params![self.execution_id, status.as_str(), now, self.reached, error, result.as_ref().map(Value::to_string)],
            )?;
            w.execute(
                "UPDATE automation_scripts SET execution_count = execution_count + 1, last_executed_at = ?2,
                     last_execution_status = ?3 WHERE id = ?1",
                params![self.script.id, now, status.as_str()],
            )?;
            w.record(
                EventType::AutomationRun,
                json!({ "script_id": self.script.id, "execution_id": self.execution_id, "status": status.as_str(),
                        "checkpoints_reached": self.reached, "sandbox": self.sandbox.as_str() }),
            )
        })?;
        Ok(RunSummary {
            execution_id: self.execution_id.clone(),
            status,
            error,
            result,
            events: self.seq,
            dropped_lines: self.dropped,
            sandbox: self.sandbox,
            checkpoints_reached: self.reached,
            checkpoints_approved: self.approved_count,
            checkpoints_rejected: self.rejected_count,
            error_code: self.stopped.as_ref().map(Error::code),
        })
    }
}

/// The source of `keyclave_runtime`, the module a script imports (written
/// into each run's folder).
pub const RUNTIME: &str = include_str!("keyclave_runtime.py");

fn send(stdin: &mut std::process::ChildStdin, message: &ToScript) {
    // A script that closed its input or exited simply does not hear it.
    let _ = stdin.write_all(protocol::line(message).as_bytes());
    let _ = stdin.flush();
}

fn refused(request: &str, reason: impl Into<String>) -> ToScript {
    ToScript::Refused { request: request.to_string(), reason: reason.into() }
}

fn rejected_reply(id: &str, reason: &str) -> ToScript {
    ToScript::Decision {
        checkpoint_id: id.to_string(),
        decision: "rejected".to_string(),
        approved: false,
        notes: Some(reason.to_string()),
        modified_action: None,
    }
}

/// Wait for the child for a few seconds after its output closed, then
/// kill its group.
fn wait_bounded(child: &mut std::process::Child) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                sandbox::kill_group(child);
                let _ = child.wait();
                return None;
            }
        }
    }
}
