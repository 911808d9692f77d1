//! A front's session: which vault is unlocked, when the user last did
//! something, the `.env` plan last previewed, and the running jobs.
//!
//! Thread-safe, with `&self` methods: the lock inside is only ever held to
//! clone or swap the unlocked [`Vault`] handle (and the staged plan), never
//! across a database call, a KDF or a walk, so `lock`, `touch` and the
//! auto-lock timer never wait behind work in progress.
//!
//! Activity is explicit: only [`Session::touch`] (and
//! [`Session::for_user`], which user commands call) restarts the idle
//! timer; background jobs use [`Session::vault`], which does not. Idle time
//! is wall-clock time (`SystemTime`), so time the machine spends asleep
//! counts toward the auto-lock ([`std::time::Instant`] stops while asleep
//! on Linux and macOS).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::error::{Error, ErrorCode, Result};
use crate::inject::EnvPlan;
use crate::jobs::Jobs;
use crate::vault::{EpochId, Vault};

/// One front's session.
#[derive(Debug, Default)]
pub struct Session {
    state: Mutex<State>,
    jobs: Jobs,
}

#[derive(Debug)]
struct State {
    vault: Option<Vault>,
    last_activity: SystemTime,
    /// The `.env` plan last previewed (it holds values), applied as shown
    /// or dropped; locking drops it with the vault.
    staged_plan: Option<Staged>,
}

#[derive(Debug)]
struct Staged {
    file: PathBuf,
    epoch: EpochId,
    plan: EnvPlan,
}

impl Default for State {
    fn default() -> Self {
        State { vault: None, last_activity: SystemTime::now(), staged_plan: None }
    }
}

/// A vault taken out of the session by a lock: already retired (jobs
/// stopped, further use refused). [`Locked::close`] records the lock and
/// lets the keys go; a front runs it off the UI thread, after telling the
/// UI — so the UI hears of the lock even when recording it fails.
#[derive(Debug)]
pub struct Locked(Vault);

impl Locked {
    /// Record `vault.lock` (after any write in flight has committed) and
    /// drop the handle; the keys are wiped once in-flight work lets go.
    pub fn close(self) -> Result<()> {
        self.0.close()
    }

    /// Which unlock this was.
    pub fn epoch(&self) -> EpochId {
        self.0.epoch()
    }
}

/// How long there has been no activity, from wall-clock times (a clock
/// set backwards counts as no time passed).
fn idle_between(last: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(last).unwrap_or(Duration::ZERO)
}

impl Session {
    /// A locked session.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not make the app unusable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The running jobs.
    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    /// Whether a vault is unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.state().vault.is_some()
    }

    /// The unlocked vault, for background work: does not count as activity.
    pub fn vault(&self) -> Result<Vault> {
        self.state().vault.clone().ok_or_else(Error::locked)
    }

    /// The unlocked vault for a user command: counts as activity.
    pub fn for_user(&self) -> Result<Vault> {
        let mut state = self.state();
        state.last_activity = SystemTime::now();
        state.vault.clone().ok_or_else(Error::locked)
    }

    /// Store a freshly unlocked vault; a vault unlocked before is locked
    /// and returned for closing.
    pub fn unlocked(&self, vault: Vault) -> Option<Locked> {
        let previous = {
            let mut state = self.state();
            state.staged_plan = None;
            state.last_activity = SystemTime::now();
            state.vault.replace(vault)
        };
        previous.map(|v| {
            v.retire();
            Locked(v)
        })
    }

    /// Note user activity: restarts the idle timer.
    pub fn touch(&self) {
        self.touch_at(SystemTime::now());
    }

    /// [`Session::touch`] at a given time (tests).
    pub fn touch_at(&self, now: SystemTime) {
        self.state().last_activity = now;
    }

    /// Lock now: the vault leaves the session and is retired at once (every
    /// job stops, every later use through any handle is refused). Returns
    /// it for [`Locked::close`], or `None` when nothing was unlocked.
    pub fn lock(&self) -> Option<Locked> {
        let vault = {
            let mut state = self.state();
            state.staged_plan = None;
            state.vault.take()
        };
        vault.map(|v| {
            v.retire();
            Locked(v)
        })
    }

    /// Take the vault out for work that consumes it (key rotation): the
    /// session is locked until [`Session::unlocked`] puts one back.
    pub fn take(&self) -> Result<Vault> {
        let mut state = self.state();
        state.staged_plan = None;
        state.vault.take().ok_or_else(Error::locked)
    }

    /// How long there has been no activity at `now`.
    pub fn idle_for(&self, now: SystemTime) -> Duration {
        idle_between(self.state().last_activity, now)
    }

    /// Lock if idle at `now` for longer than the profile's auto-lock
    /// timeout. Returns the locked vault for closing.
    pub fn lock_if_idle(&self, now: SystemTime) -> Option<Locked> {
        let vault = {
            let mut state = self.state();
            let timeout =
                Duration::from_secs(u64::from(state.vault.as_ref()?.settings().auto_lock_timeout_seconds));
            // A clock set back leaves the last activity in the future:
            // count from now on, or the vault would stay open until the
            // clock caught up (a day for a clock set back a day).
            if state.last_activity > now {
                state.last_activity = now;
            }
            if idle_between(state.last_activity, now) < timeout {
                return None;
            }
            state.staged_plan = None;
            state.vault.take()
        };
        vault.map(|v| {
            v.retire();
            Locked(v)
        })
    }

    /// Keep a previewed `.env` plan for `file` until it is applied, another
    /// is previewed, or the vault locks.
    pub fn stage_plan(&self, file: PathBuf, plan: EnvPlan) -> Result<()> {
        let mut state = self.state();
        let epoch = state.vault.as_ref().ok_or_else(Error::locked)?.epoch();
        state.staged_plan = Some(Staged { file, epoch, plan });
        Ok(())
    }

    /// Write the staged plan for `file` with `write` (what the user saw is
    /// what gets written). When `write` asks for a TOTP code first (the
    /// reveal policy), the plan stays staged so the same preview can be
    /// applied once the code is given.
    pub fn apply_staged<T>(
        &self,
        file: &Path,
        write: impl FnOnce(&Vault, &EnvPlan) -> Result<T>,
    ) -> Result<T> {
        let vault = self.for_user()?;
        let plan = self.take_staged_plan(file)?;
        let out = write(&vault, &plan);
        if let Err(e) = &out {
            let asks_for_code = matches!(
                e.code(),
                ErrorCode::TotpRequired | ErrorCode::TotpInvalid | ErrorCode::TotpThrottled
            );
            let mut state = self.state();
            let same_unlock = state.vault.as_ref().is_some_and(|v| v.same_as(&vault));
            if asks_for_code && same_unlock && state.staged_plan.is_none() {
                state.staged_plan = Some(Staged { file: file.to_path_buf(), epoch: vault.epoch(), plan });
            }
        }
        out
    }

    /// Take the staged plan for `file`: what the user saw is what gets
    /// written. `input.invalid` when there is none (or it is for another
    /// file, or from before a lock), `vault.locked` when locked.
    pub fn take_staged_plan(&self, file: &Path) -> Result<EnvPlan> {
        let mut state = self.state();
        let epoch = state.vault.as_ref().ok_or_else(Error::locked)?.epoch();
        match state.staged_plan.take() {
            Some(s) if s.file == file && s.epoch == epoch => Ok(s.plan),
            _ => Err(Error::invalid("there is no preview of this file to apply")
                .with_suggestion("Preview the changes first, then apply them.")),
        }
    }
}
