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
pub mod projects;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod totp;
