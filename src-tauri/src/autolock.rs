//! The idle timer: once a second, lock the vault if the profile's
//! auto-lock timeout has passed without activity, and tell the UI.

use std::time::{Duration, Instant};
use tauri::{AppHandle, Manager};
use tauri_specta::Event;

use crate::events::VaultLocked;
use crate::state::AppState;

/// Start the timer thread.
pub fn spawn(app: AppHandle) {
    std::thread::Builder::new()
        .name("keyclave-autolock".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let state = app.state::<AppState>();
                let locked = state.session().lock_if_idle(Instant::now());
                match locked {
                    Ok(true) => {
                        if let Err(e) = (VaultLocked { reason: "idle".into() }).emit(&app) {
                            tracing::warn!("cannot emit vault://locked: {e}");
                        }
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!("auto-lock failed: {}", e.code()),
                }
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!("cannot start the auto-lock timer: {e}"));
}
