//! The idle timer: once a second, lock the vault if the profile's
//! auto-lock timeout has passed without user activity (wall-clock time,
//! so time asleep counts), and tell the UI.
//!
//! The check only swaps the session's handle out (a moment under the
//! session's lock), so a scan or any other work in flight never delays
//! it; the work sees its epoch cancelled and stops.

use std::time::{Duration, SystemTime};
use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// Lock if idle at `now`; returns whether it locked.
pub fn tick(state: &AppState, now: SystemTime) -> bool {
    match state.session().lock_if_idle(now) {
        Some(locked) => {
            state.finish_lock(locked, "idle");
            true
        }
        None => false,
    }
}

/// Start the timer thread.
pub fn spawn(app: AppHandle) {
    std::thread::Builder::new()
        .name("keyclave-autolock".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                tick(&app.state::<AppState>(), SystemTime::now());
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!("cannot start the auto-lock timer: {e}"));
}
