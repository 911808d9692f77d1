//! What the app holds: the data root, the core session (lock state,
//! activity, jobs) and the way events reach the window.
//!
//! Commands run their work with [`AppState::user`] / [`blocking`]: on
//! Tauri's blocking thread pool, never on the async runtime's worker
//! threads (two on a two-core machine), and with no lock held while they
//! work — the session hands out a clone of the vault handle and is free
//! again at once. So a scan, a KDF or an import never keeps `lock`,
//! `touch`, `list_secrets` or the auto-lock timer waiting.

use keyclave_core::dashboard::schedule::{self, SchedulerStatus};
use keyclave_core::discovery::schedule::DiscoveryStatus;
use keyclave_core::paths::Root;
use keyclave_core::session::{Locked, Session};
use keyclave_core::{Error, KeyClave, Result, Vault};
use std::sync::{Arc, Mutex, OnceLock};
use tokio_util::sync::CancellationToken;

use crate::error::CmdResult;
use crate::events::{AppEvent, DiscoveryChanged, JobEnded, JobsChanged, SchedulerChanged, VaultLocked};
use keyclave_core::jobs::JobEvent;

type Emitter = Arc<dyn Fn(AppEvent) + Send + Sync>;

/// Managed Tauri state.
pub struct AppState {
    root: Root,
    session: Arc<Session>,
    emitter: OnceLock<Emitter>,
    /// The background refresh loop of the current unlock: its stop token
    /// and what it last said.
    scheduler: Mutex<Option<CancellationToken>>,
    scheduler_status: Arc<Mutex<SchedulerStatus>>,
    /// What the daily discovery loop (same stop token) last said.
    discovery_status: Arc<Mutex<DiscoveryStatus>>,
    /// Automation checkpoints waiting for the person in this window.
    checkpoints: keyclave_core::automation::checkpoint::Checkpoints,
    /// Tells the person a checkpoint waits when the window is not focused.
    notifier: OnceLock<Notifier>,
}

type Notifier = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// A desktop notification for new critical discovery findings (public
/// content; the titles stay in the window).
pub fn notify_critical(notify: &impl Fn(&str, &str), new_critical: u32) {
    if new_critical > 0 {
        let what = if new_critical == 1 {
            "1 critical alert".to_owned()
        } else {
            format!("{new_critical} critical alerts")
        };
        notify(
            &format!("KeyClave: {what}"),
            "A provider of your keys has an outage or an advisory for an SDK you use. See Alerts.",
        );
    }
}

/// Run blocking work on the blocking thread pool and wait for it without
/// holding an async worker.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> CmdResult<T> {
    match tauri::async_runtime::spawn_blocking(f).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(Error::internal(format!("a background task failed: {e}")).into()),
    }
}

impl AppState {
    /// State over a data root.
    pub fn new(root: Root) -> Self {
        AppState {
            root,
            session: Arc::new(Session::new()),
            emitter: OnceLock::new(),
            scheduler: Mutex::new(None),
            scheduler_status: Arc::new(Mutex::new(SchedulerStatus::Off { reason: "locked".into() })),
            discovery_status: Arc::new(Mutex::new(DiscoveryStatus::Off { reason: "locked".into() })),
            checkpoints: Default::default(),
            notifier: OnceLock::new(),
        }
    }

    /// Where events go (set once, when the window exists).
    pub fn set_emitter(&self, emit: impl Fn(AppEvent) + Send + Sync + 'static) {
        let _ = self.emitter.set(Arc::new(emit));
    }

    /// Send an event to the window (dropped before the window exists).
    pub fn emit(&self, event: AppEvent) {
        if let Some(e) = self.emitter.get() {
            e(event);
        }
    }

    /// Tell the window of every job start, progress and end (the status
    /// bar), through the emitter set before.
    pub fn forward_job_events(&self) {
        let jobs = self.session.jobs().clone();
        let emit = self.emitter();
        self.session.jobs().set_listener(move |event| {
            let ended = match event {
                JobEvent::Ended { id, outcome } => Some(JobEnded { id: id as f64, outcome }),
                JobEvent::Updated(_) => None,
            };
            emit(AppEvent::Jobs(JobsChanged { running: jobs.list(), ended }));
        });
    }

    /// A clone of the emitter, for work that outlives the command.
    pub fn emitter(&self) -> impl Fn(AppEvent) + Send + Sync + 'static {
        let e = self.emitter.get().cloned();
        move |event| {
            if let Some(e) = &e {
                e(event);
            }
        }
    }

    /// The profile index. Opened per call (cheap), so nothing is shared
    /// across a KDF.
    pub fn keyclave(&self) -> Result<KeyClave> {
        KeyClave::open(self.root.clone())
    }

    /// The data root.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// How a desktop notification is shown (set once, with the window).
    pub fn set_notifier(&self, notify: impl Fn(&str, &str) + Send + Sync + 'static) {
        let _ = self.notifier.set(Arc::new(notify));
    }

    /// A clone of the notifier (does nothing before it is set).
    pub fn notifier(&self) -> impl Fn(&str, &str) + Send + Sync + 'static {
        let n = self.notifier.get().cloned();
        move |title, body| {
            if let Some(n) = &n {
                n(title, body);
            }
        }
    }

    /// Checkpoints waiting for a person.
    pub fn checkpoints(&self) -> &keyclave_core::automation::checkpoint::Checkpoints {
        &self.checkpoints
    }

    /// The session.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// Run `f` for a user command on the unlocked vault (`vault.locked`
    /// otherwise): counts as activity, runs off the async runtime.
    pub async fn user<T: Send + 'static>(
        &self,
        f: impl FnOnce(Vault) -> Result<T> + Send + 'static,
    ) -> CmdResult<T> {
        let vault = self.session.for_user()?;
        blocking(move || {
            // The CLI (or another window) may have written meanwhile.
            vault.sync_external_changes()?;
            f(vault)
        })
        .await
    }

    /// (Re)start the background refresh loop for the unlocked vault: after
    /// an unlock (its first pass is the catch-up) and when the settings
    /// change. It ends by itself when the vault locks.
    pub fn start_scheduler(&self) {
        let Ok(vault) = self.session.vault() else { return };
        let stop = CancellationToken::new();
        if let Some(old) = self.scheduler.lock().unwrap_or_else(|p| p.into_inner()).replace(stop.clone()) {
            old.cancel();
        }
        let status = self.scheduler_status.clone();
        let emit = self.emitter();
        let jobs = self.session.jobs().clone();
        tauri::async_runtime::spawn(schedule::run(vault.clone(), jobs.clone(), stop.clone(), move |s| {
            *status.lock().unwrap_or_else(|p| p.into_inner()) = s.clone();
            emit(AppEvent::Scheduler(SchedulerChanged { status: s }));
        }));
        let status = self.discovery_status.clone();
        let emit = self.emitter();
        let notify = self.notifier();
        tauri::async_runtime::spawn(keyclave_core::discovery::schedule::run(vault, jobs, stop, move |s| {
            if let DiscoveryStatus::Ran { new_critical, .. } = &s {
                notify_critical(&notify, *new_critical);
            }
            *status.lock().unwrap_or_else(|p| p.into_inner()) = s.clone();
            emit(AppEvent::Discovery(DiscoveryChanged { status: s }));
        }));
    }

    /// What the daily discovery loop last said.
    pub fn discovery_status(&self) -> DiscoveryStatus {
        if !self.session.is_unlocked() {
            return DiscoveryStatus::Off { reason: "locked".into() };
        }
        self.discovery_status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// What the background refresh last said.
    pub fn scheduler_status(&self) -> SchedulerStatus {
        if !self.session.is_unlocked() {
            return SchedulerStatus::Off { reason: "locked".into() };
        }
        self.scheduler_status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Tell the window the vault locked, then record the lock off this
    /// thread. The window hears of it first, so it leaves the unlocked
    /// screen even when recording fails.
    pub fn finish_lock(&self, locked: Locked, reason: &str) {
        self.emit(AppEvent::Locked(VaultLocked { reason: reason.to_owned() }));
        close_in_background(locked);
    }

    /// Lock now (the user asked, or the window is closing). Returns whether
    /// anything was unlocked.
    pub fn lock_now(&self, reason: &str) -> bool {
        match self.session.lock() {
            Some(locked) => {
                self.finish_lock(locked, reason);
                true
            }
            None => false,
        }
    }
}

/// Record a lock and let the keys go, on a thread of its own (it waits
/// for a write in flight to commit first).
pub fn close_in_background(locked: Locked) {
    {
        let done = std::thread::Builder::new().name("keyclave-lock".into()).spawn(move || {
            if let Err(e) = locked.close() {
                tracing::warn!("the lock could not be recorded in the audit log: {}", e.code());
            }
        });
        if let Err(e) = done {
            tracing::warn!("cannot start the lock thread: {e}");
        }
    }
}
