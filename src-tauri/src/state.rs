//! What the app holds: the data root and the session (lock state).

use keyclave_core::paths::Root;
use keyclave_core::session::Session;
use keyclave_core::{KeyClave, Result, Vault};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Managed Tauri state.
pub struct AppState {
    root: Root,
    session: Mutex<Session>,
    /// Stops the running project scan. Outside the session lock, which
    /// the scan holds.
    scan_cancel: Arc<AtomicBool>,
}

impl AppState {
    /// State over a data root.
    pub fn new(root: Root) -> Self {
        AppState { root, session: Mutex::new(Session::new()), scan_cancel: Arc::new(AtomicBool::new(false)) }
    }

    /// A fresh cancel flag for a scan about to start.
    pub fn scan_cancel_flag(&self) -> Arc<AtomicBool> {
        self.scan_cancel.store(false, Ordering::Relaxed);
        self.scan_cancel.clone()
    }

    /// Ask the running scan to stop.
    pub fn cancel_scan(&self) {
        self.scan_cancel.store(true, Ordering::Relaxed);
    }

    /// The profile index. Opened per call (cheap), so no shared lock is held
    /// across a KDF.
    pub fn keyclave(&self) -> Result<KeyClave> {
        KeyClave::open(self.root.clone())
    }

    /// The session. A panic elsewhere must not make the app unusable, so a
    /// poisoned lock is recovered.
    pub fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Run `f` on the unlocked vault (`vault.locked` otherwise); counts as
    /// activity.
    pub fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> Result<T>) -> Result<T> {
        let mut session = self.session();
        f(session.vault()?)
    }
}
