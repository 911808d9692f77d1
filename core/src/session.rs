//! The lock state of a front: `Option<Vault>` plus the time of the last
//! user activity, and the auto-lock rule.
//!
//! Unlocking stores a [`Vault`]; locking (by the user or the idle timer)
//! drops it, which wipes the keys. Every access goes through [`Session::vault`]
//! and so gets `vault.locked` when there is nothing unlocked.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::dotenv::Plan;
use crate::error::{Error, ErrorCode, Result};
use crate::vault::Vault;

/// One front's session.
#[derive(Debug)]
pub struct Session {
    vault: Option<Vault>,
    last_activity: Instant,
    /// The `.env` plan last previewed (it holds values), applied as shown
    /// or dropped; locking drops it with the vault.
    staged_plan: Option<(PathBuf, Plan)>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

fn locked() -> Error {
    Error::new(ErrorCode::VaultLocked, "the vault is locked")
}

impl Session {
    /// A locked session.
    pub fn new() -> Self {
        Session { vault: None, last_activity: Instant::now(), staged_plan: None }
    }

    /// Whether a vault is unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.vault.is_some()
    }

    /// Store a freshly unlocked vault (locking any previous one first).
    pub fn unlocked(&mut self, vault: Vault) -> Result<()> {
        self.lock()?;
        self.vault = Some(vault);
        self.touch();
        Ok(())
    }

    /// Note user activity: restarts the idle timer.
    pub fn touch(&mut self) {
        self.last_activity = Instant::now();
    }

    /// The unlocked vault (counts as activity), or `vault.locked`.
    pub fn vault(&mut self) -> Result<&mut Vault> {
        self.last_activity = Instant::now();
        self.vault.as_mut().ok_or_else(locked)
    }

    /// The unlocked vault without counting as activity.
    pub fn peek(&self) -> Option<&Vault> {
        self.vault.as_ref()
    }

    /// Take the vault out (for work that consumes it, like key rotation);
    /// the session is locked until [`Session::unlocked`] puts one back.
    pub fn take(&mut self) -> Result<Vault> {
        self.staged_plan = None;
        self.vault.take().ok_or_else(locked)
    }

    /// Keep a previewed `.env` plan for `file` until it is applied, another
    /// is previewed, or the vault locks.
    pub fn stage_plan(&mut self, file: PathBuf, plan: Plan) -> Result<()> {
        self.vault()?;
        self.staged_plan = Some((file, plan));
        Ok(())
    }

    /// Take the staged plan for `file`: what the user saw is what gets
    /// written. `input.invalid` when there is none (or it is for another
    /// file), `vault.locked` when locked.
    pub fn take_staged_plan(&mut self, file: &Path) -> Result<Plan> {
        self.vault()?;
        match self.staged_plan.take() {
            Some((f, plan)) if f == file => Ok(plan),
            _ => Err(Error::invalid("there is no preview of this file to apply")
                .with_suggestion("Preview the changes first, then apply them.")),
        }
    }

    /// Lock: record the event and wipe. Returns whether anything was unlocked.
    pub fn lock(&mut self) -> Result<bool> {
        self.staged_plan = None;
        match self.vault.take() {
            Some(v) => {
                v.lock()?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// How long there has been no activity.
    pub fn idle_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_activity)
    }

    /// Lock if idle for longer than the profile's auto-lock timeout.
    /// Returns whether it locked.
    pub fn lock_if_idle(&mut self, now: Instant) -> Result<bool> {
        let Some(v) = &self.vault else { return Ok(false) };
        let timeout = Duration::from_secs(u64::from(v.settings().auto_lock_timeout_seconds));
        if self.idle_for(now) >= timeout { self.lock() } else { Ok(false) }
    }
}
