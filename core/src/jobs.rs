//! Background jobs: the one place that knows what is running.
//!
//! A job (a scan, later a key refresh or an automation run) is registered
//! with [`Jobs::start`] under the unlock it works for. It gets an id, a
//! cancellation token that is a child of the vault's epoch token — so
//! locking stops every job, and [`Jobs::cancel`] stops one — and a handle
//! to report progress. The registry lists what is running for the status
//! bar and tells a listener (the desktop's event emitter) when a job
//! starts, progresses or ends. How a job runs (a blocking thread, an async
//! task) is up to the caller; the registry only tracks it, and the job's
//! [`Job`] guard removes it when dropped, whatever the outcome.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, ErrorCode, Result};
use crate::vault::{EpochId, Vault};

/// What kind of work a job does.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A project scan.
    Scan,
    /// Key validation (an explicit user action).
    Validate,
    /// Dashboard collection (manual or scheduled).
    Refresh,
    /// An automation run (one script).
    Automation,
    /// A discovery run (manual or scheduled).
    Discovery,
}

/// How far a job is, when it can tell.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobProgress {
    /// Units done.
    pub done: u32,
    /// Units in all, when known.
    pub total: Option<u32>,
    /// What it is doing, in words.
    pub message: String,
}

/// A running job, as listed.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    /// Id, unique in this process.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub id: u64,
    /// Kind of work.
    pub kind: JobKind,
    /// What it works on, in words (a folder's name; never a secret).
    pub label: String,
    /// When it started (UTC, RFC 3339).
    pub started_at: String,
    /// Its latest progress.
    pub progress: Option<JobProgress>,
}

/// How a job ended.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    /// It finished its work.
    Done,
    /// It failed (the error went to whoever waits for it).
    Failed,
    /// It was cancelled, or the vault locked under it.
    Cancelled,
}

/// What the listener hears.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// A job started or reported progress.
    Updated(JobInfo),
    /// A job ended.
    Ended {
        /// Its id.
        id: u64,
        /// How.
        outcome: JobOutcome,
    },
}

type Listener = Arc<dyn Fn(JobEvent) + Send + Sync>;

struct Entry {
    info: JobInfo,
    epoch: EpochId,
    token: CancellationToken,
}

#[derive(Default)]
struct Registry {
    running: Mutex<BTreeMap<u64, Entry>>,
    listener: Mutex<Option<Listener>>,
    next_id: AtomicU64,
}

impl Registry {
    fn running(&self) -> MutexGuard<'_, BTreeMap<u64, Entry>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn notify(&self, event: JobEvent) {
        let listener = self.listener.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(l) = listener {
            l(event);
        }
    }
}

/// The registry of running jobs (cheap to clone; clones share it).
#[derive(Clone, Default)]
pub struct Jobs {
    registry: Arc<Registry>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("running", &self.registry.running().len()).finish()
    }
}

impl Jobs {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tell `listener` about every start, progress and end from now on
    /// (called on the job's thread: keep it short).
    pub fn set_listener(&self, listener: impl Fn(JobEvent) + Send + Sync + 'static) {
        *self.registry.listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(listener));
    }

    /// Register a job working for `vault`'s unlock. Its token fires on
    /// [`Jobs::cancel`], on [`Jobs::cancel_all`] and when the vault locks.
    pub fn start(&self, vault: &Vault, kind: JobKind, label: impl Into<String>) -> Job {
        let id = self.registry.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let token = vault.job_token();
        let info = JobInfo { id, kind, label: label.into(), started_at: crate::time::now(), progress: None };
        self.registry
            .running()
            .insert(id, Entry { info: info.clone(), epoch: vault.epoch(), token: token.clone() });
        self.registry.notify(JobEvent::Updated(info));
        Job { id, token, registry: self.registry.clone(), outcome: None }
    }

    /// What is running, oldest first.
    pub fn list(&self) -> Vec<JobInfo> {
        self.registry.running().values().map(|e| e.info.clone()).collect()
    }

    /// Cancel one job (`job.not_found` when no such job runs).
    pub fn cancel(&self, id: u64) -> Result<()> {
        match self.registry.running().get(&id) {
            Some(e) => {
                e.token.cancel();
                Ok(())
            }
            None => Err(Error::new(ErrorCode::JobNotFound, format!("no job {id} is running"))),
        }
    }

    /// Cancel every job of `kind` (e.g. the scan a new scan replaces).
    pub fn cancel_kind(&self, kind: JobKind) {
        for e in self.registry.running().values().filter(|e| e.info.kind == kind) {
            e.token.cancel();
        }
    }

    /// Cancel every job (locking does this through the epoch token too).
    pub fn cancel_all(&self) {
        for e in self.registry.running().values() {
            e.token.cancel();
        }
    }

    /// Whether any job still works for the unlock `epoch`.
    pub fn any_for(&self, epoch: EpochId) -> bool {
        self.registry.running().values().any(|e| e.epoch == epoch)
    }
}

/// A running job's own handle: its id, its token, progress reports. Dropping
/// it ends the job in the registry (as failed, unless [`Job::finish`] said
/// otherwise or its token was cancelled).
pub struct Job {
    id: u64,
    token: CancellationToken,
    registry: Arc<Registry>,
    outcome: Option<JobOutcome>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Job {
    /// The job's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The token the work must watch (and hand to commits).
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Whether the job was cancelled (or the vault locked).
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Report progress.
    pub fn progress(&self, progress: JobProgress) {
        let info = {
            let mut running = self.registry.running();
            let Some(e) = running.get_mut(&self.id) else { return };
            e.info.progress = Some(progress);
            e.info.clone()
        };
        self.registry.notify(JobEvent::Updated(info));
    }

    /// End the job with the outcome of `result` (a cancellation or a lock
    /// counts as cancelled) and pass the result on.
    pub fn finish<T>(mut self, result: Result<T>) -> Result<T> {
        self.outcome = Some(match &result {
            Ok(_) => JobOutcome::Done,
            Err(_) if self.token.is_cancelled() => JobOutcome::Cancelled,
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::JobCancelled | ErrorCode::ScanCancelled | ErrorCode::VaultLocked
                ) =>
            {
                JobOutcome::Cancelled
            }
            Err(_) => JobOutcome::Failed,
        });
        result
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.registry.running().remove(&self.id);
        let outcome = self.outcome.unwrap_or(if self.token.is_cancelled() {
            JobOutcome::Cancelled
        } else {
            JobOutcome::Failed
        });
        self.registry.notify(JobEvent::Ended { id: self.id, outcome });
    }
}

/// Sleep `d` unless `cancel` fires first: `true` when the time passed,
/// `false` when cancelled (background loops stop on `false`).
pub async fn pause(cancel: &CancellationToken, d: std::time::Duration) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}
