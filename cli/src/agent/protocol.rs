//! What the CLI and its unlock agent say to each other: one JSON object per
//! line, a request from the client, one reply from the agent (a reveal adds
//! one round: the value, then whether it reached its reader).
//!
//! Values cross the socket only in the replies of operations that hand
//! values out (reveal, copy, run, inject), which the agent authorizes with
//! the same core policy as a command that unlocks by itself. Lines are
//! read into buffers that are wiped when dropped.

use keyclave_core::audit::AuditEvent;
use keyclave_core::catalog::{Environment, SecretPage, SecretSummary};
use keyclave_core::crypto::SecretString;
use keyclave_core::dashboard::{HistoryPoint, Overview, RefreshReport};
use keyclave_core::discovery::log::LogEntry;
use keyclave_core::discovery::{Finding, FindingQuery, FindingStatus, RunReport, SourceInfo, SourceKind};
use keyclave_core::secrets::Saved;
use keyclave_core::settings::Settings;
use keyclave_core::validation::Outcome;
use keyclave_core::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Bumped when a message changes shape; a client and agent of different
/// versions do not talk (the client falls back to unlocking itself).
pub const VERSION: u32 = 2;

/// A line longer than this is not a KeyClave message (a command's
/// environment is at most a few MiB).
const MAX_LINE: u64 = 64 * 1024 * 1024;

/// A client's request.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// Which profiles are unlocked, and the agent's protocol version.
    Status,
    /// Unlock a profile (the agent runs the KDF, off any lock).
    Unlock { profile: Option<String>, passphrase: Sensitive },
    /// Unlock a profile with the key the OS keychain holds for it (keychain
    /// unlock on; the agent asks the keychain of the session it runs in).
    UnlockWithKeychain { profile: Option<String> },
    /// Lock one profile (the selected one), or every profile.
    Lock { profile: Option<String>, all: bool },
    /// An operation on an unlocked profile.
    Vault { profile: Option<String>, op: VaultOp },
    /// Whether the value of a [`Reply::Value`] reached the client's reader.
    Delivered { delivered: bool },
}

/// [`Request::Vault`] as a client sends it: the operation borrowed, so the
/// client still has it when the agent does not hold the profile. The same
/// message on the wire.
#[derive(Serialize)]
#[serde(tag = "request", rename = "vault")]
pub struct VaultRequest<'a> {
    profile: Option<&'a str>,
    op: &'a VaultOp,
}

impl<'a> VaultRequest<'a> {
    pub fn new(profile: Option<&'a str>, op: &'a VaultOp) -> Self {
        VaultRequest { profile, op }
    }
}

/// An operation on an unlocked vault, as the commands that run it name it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum VaultOp {
    /// Does nothing: checks the profile is unlocked (and counts as activity).
    Touch,
    List {
        provider: Option<String>,
        environment: Option<Environment>,
        search: Option<String>,
        limit: Option<usize>,
    },
    Reveal {
        key_name: String,
        provider: Option<String>,
        totp: Option<String>,
    },
    Copy {
        key_name: String,
        provider: Option<String>,
        totp: Option<String>,
    },
    Add {
        key_name: String,
        value: Sensitive,
        provider: Option<String>,
        environment: Option<Environment>,
        notes: Option<String>,
        tags: Vec<String>,
        endpoint: Option<String>,
    },
    Edit {
        key_name: String,
        provider: Option<String>,
        value: Option<Sensitive>,
        set_provider: Option<String>,
        environment: Option<Option<Environment>>,
        notes: Option<Option<String>>,
        tags: Option<Vec<String>>,
        endpoint: Option<Option<String>>,
    },
    Remove {
        key_name: String,
        provider: Option<String>,
    },
    /// A command's environment (`keyclave run`).
    CommandEnv {
        keys: Vec<String>,
        project: Option<PathBuf>,
        dotenv: Option<PathBuf>,
        totp: Option<String>,
    },
    /// A template with its `keyclave://` references filled in.
    Render {
        template: Sensitive,
        totp: Option<String>,
    },
    Audit {
        limit: usize,
        event_type: Option<String>,
    },
    /// Read the settings, changing those given.
    Settings {
        auto_lock_timeout_seconds: Option<u32>,
        clipboard_auto_clear_seconds: Option<u32>,
    },
    /// Read the settings, or change one by its name (`online-mode`, …).
    NamedSetting {
        set: Option<(String, String)>,
    },
    /// Check keys with their providers (`KEY` or `provider/KEY`; none: all).
    Validate {
        keys: Vec<String>,
    },
    /// The dashboard from cached data.
    Dashboard,
    /// Collect dashboard data now (`due`: only what the schedule says is due).
    Refresh {
        keys: Vec<String>,
        due: bool,
    },
    /// A key's daily history.
    History {
        key: String,
        days: u32,
    },
    /// Fetch discovery sources now.
    DiscoveryRun {
        provider: Option<String>,
    },
    /// Discovery findings.
    Findings {
        query: FindingQuery,
    },
    /// Mark a finding (`id` may be a unique prefix).
    MarkFinding {
        id: String,
        status: FindingStatus,
        notes: Option<String>,
    },
    /// Discovery sources.
    Sources,
    AddSource {
        provider: String,
        url: String,
        kind: SourceKind,
        selector: Option<String>,
    },
    RemoveSource {
        id: String,
    },
    EnableSource {
        id: String,
        enabled: bool,
    },
    /// The discovery search log.
    DiscoveryLog {
        limit: usize,
    },
}

/// One unlocked profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unlocked {
    pub profile_id: String,
    pub display_name: String,
    /// Seconds of inactivity left before it locks itself.
    pub locks_in_secs: u64,
}

/// The agent's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Status {
        version: u32,
        pid: u32,
        unlocked: Vec<Unlocked>,
    },
    Unlocked(Unlocked),
    /// Display names of the profiles locked.
    Locked {
        profiles: Vec<String>,
    },
    /// The profile is not unlocked in the agent (the client unlocks it itself).
    NotUnlocked {
        display_name: String,
    },
    Done,
    Page {
        page: SecretPage,
        total_in_vault: usize,
    },
    /// A value for the client's reader; the client answers [`Request::Delivered`].
    Value {
        value: Sensitive,
    },
    Copied {
        value: Sensitive,
        clear_after_secs: u32,
    },
    Saved(Saved),
    Removed(SecretSummary),
    Env {
        vars: Vec<(String, Sensitive)>,
    },
    Rendered {
        text: Sensitive,
        references: usize,
    },
    Events {
        events: Vec<AuditEvent>,
    },
    Settings(Settings),
    Validated {
        outcomes: Vec<Outcome>,
    },
    Dashboard(Overview),
    Refreshed(RefreshReport),
    History {
        key: SecretSummary,
        points: Vec<HistoryPoint>,
    },
    Discovered(RunReport),
    Findings(Vec<Finding>),
    Finding(Finding),
    Sources(Vec<SourceInfo>),
    Source(SourceInfo),
    DiscoveryLog(Vec<LogEntry>),
    Error(WireError),
}

/// A value or passphrase on the wire: wiped when dropped.
#[derive(Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(String);

impl Sensitive {
    pub fn new(s: &str) -> Self {
        Sensitive(s.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Move the text into a [`SecretString`] (nothing is left here to wipe).
    pub fn into_secret(mut self) -> SecretString {
        SecretString::new(std::mem::take(&mut self.0))
    }
}

impl Drop for Sensitive {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sensitive(…)")
    }
}

/// A core error on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireError {
    code: ErrorCode,
    message: String,
    suggestion: String,
    retry_after_secs: Option<u64>,
}

impl From<&Error> for WireError {
    fn from(e: &Error) -> Self {
        WireError {
            code: e.code(),
            message: e.message().to_owned(),
            suggestion: e.suggestion().to_owned(),
            retry_after_secs: e.retry_after_secs(),
        }
    }
}

impl From<WireError> for Error {
    fn from(w: WireError) -> Self {
        let e = Error::new(w.code, w.message).with_suggestion(w.suggestion);
        match w.retry_after_secs {
            Some(s) => e.with_retry_after(s),
            None => e,
        }
    }
}

fn broken(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::AgentUnavailable, format!("the unlock agent connection failed: {e}"))
}

/// Write one message as a line.
pub fn send<T: Serialize>(w: &mut impl Write, message: &T) -> Result<()> {
    let mut line = Zeroizing::new(serde_json::to_vec(message).map_err(broken)?);
    line.push(b'\n');
    w.write_all(&line).and_then(|()| w.flush()).map_err(broken)
}

/// Read one message; `None` when the other side closed the connection.
pub fn receive<T: DeserializeOwned>(r: &mut impl BufRead) -> Result<Option<T>> {
    let mut line = Zeroizing::new(String::new());
    let n = r.by_ref().take(MAX_LINE).read_line(&mut line).map_err(broken)?;
    if n == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line).map(Some).map_err(|e| broken(format!("unreadable message ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrowed_vault_request_is_the_same_message() {
        let op = VaultOp::Reveal { key_name: "K".into(), provider: Some("github".into()), totp: None };
        let borrowed = serde_json::to_value(VaultRequest::new(Some("Work"), &op)).expect("json");
        let owned = serde_json::to_value(Request::Vault { profile: Some("Work".into()), op }).expect("json");
        assert_eq!(borrowed, owned);
        assert_eq!(borrowed["request"], "vault");
    }

    #[test]
    fn sensitive_text_is_not_in_debug_output() {
        let op = VaultOp::Add {
            key_name: "K".into(),
            value: Sensitive::new("sk-zqxSECRET"),
            provider: None,
            environment: None,
            notes: None,
            tags: vec![],
            endpoint: None,
        };
        assert!(!format!("{op:?}").contains("sk-zqxSECRET"));
    }
}
