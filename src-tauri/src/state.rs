//! What the app holds: the data root and the session (lock state).

use keyclave_core::paths::Root;
use keyclave_core::session::Session;
use keyclave_core::{KeyClave, Result, Vault};
use std::sync::{Mutex, MutexGuard};

/// Managed Tauri state.
pub struct AppState {
    root: Root,
    session: Mutex<Session>,
}

impl AppState {
    /// State over a data root.
    pub fn new(root: Root) -> Self {
        AppState { root, session: Mutex::new(Session::new()) }
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
