//! Tauri commands, one module per area. Each parses, calls one core
//! function and maps the result. All are async so none runs on the UI
//! thread.

pub mod audit;
pub mod automation;
pub mod bundle;
pub mod dashboard;
pub mod discovery;
pub mod dotenv;
pub mod import;
pub mod keychain;
pub mod projects;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod totp;

use keyclave_core::{Error, Result};
use std::path::Path;

/// A path typed into the window: it must be absolute (the app has no
/// working folder a person would know of). `what` names it in the error.
pub(crate) fn absolute_path<'a>(path: &'a str, what: &str) -> Result<&'a Path> {
    let p = Path::new(path.trim());
    if p.is_absolute() {
        Ok(p)
    } else {
        Err(Error::invalid(format!("the {what} path must be absolute"))
            .with_suggestion("Paste the file's full path."))
    }
}
