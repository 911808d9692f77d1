//! Errors as they cross the bridge: the taxonomy object, so the UI branches
//! on `code`, never on message text.

use keyclave_core::ErrorCode;
use serde::Serialize;

/// A core error for the UI: code, redacted message, suggestion.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct UiError {
    /// Stable code, e.g. `vault.wrong_passphrase` (a TypeScript union of
    /// every code in the bindings).
    pub code: ErrorCode,
    /// Redacted message.
    pub message: String,
    /// What the user can do.
    pub suggestion: String,
    /// Whether retrying can work.
    pub recoverable: bool,
    /// Seconds to wait before retrying (back-off), if any.
    pub retry_after_secs: Option<u32>,
}

impl From<keyclave_core::Error> for UiError {
    fn from(e: keyclave_core::Error) -> Self {
        UiError {
            code: e.code(),
            message: e.message().to_owned(),
            suggestion: e.suggestion().to_owned(),
            recoverable: e.is_recoverable(),
            retry_after_secs: e.retry_after_secs().map(|s| u32::try_from(s).unwrap_or(u32::MAX)),
        }
    }
}

/// Result of every command.
pub type CmdResult<T> = Result<T, UiError>;
