//! The JSON lines between a running script and core (architecture.md, "HITL
//! protocol"), one object per line.
//!
//! Script → core: `hello`, `log`, `checkpoint`, `secret` (ask for a declared
//! key), `store_secret`, `result`, `abort`. Core → script: `decision`,
//! `secret`, `stored`, `refused`. A line longer than [`MAX_LINE`], not JSON,
//! of an unknown type, or shaped like a core → script message (a forged
//! `decision`) is a protocol violation: recorded as an error event, never
//! acted on, never a crash.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::CheckpointType;

/// The longest line read from a script, in bytes (longer lines are cut off
/// and reported).
pub const MAX_LINE: usize = 64 * 1024;

/// Version of this protocol, sent by the runtime in its `hello`.
pub const VERSION: u32 = 1;

/// A message from the script.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromScript {
    /// The runtime started (first line).
    Hello {
        /// Its protocol version.
        protocol: u32,
    },
    /// A log line.
    Log {
        /// `debug`, `info`, `warning` or `error` (others become `info`).
        #[serde(default)]
        level: Option<String>,
        /// The message.
        message: String,
        /// Extra fields.
        #[serde(default)]
        data: Option<Value>,
    },
    /// Stop and ask a person.
    Checkpoint {
        /// Its type (`financial`, …).
        checkpoint_type: String,
        /// What is about to happen.
        description: String,
        /// The action proposed (a person may modify it).
        proposed_action: String,
        /// Facts shown as a table (no secrets).
        #[serde(default)]
        context: Option<Value>,
    },
    /// Ask for the value of a declared key.
    Secret {
        /// Its env var name.
        name: String,
    },
    /// Store a new value under a key (after an approved `api_key` checkpoint).
    StoreSecret {
        /// Its env var name.
        name: String,
        /// The value.
        value: String,
        /// The approved `api_key` checkpoint of this run it relies on.
        checkpoint_id: String,
    },
    /// The run's summary.
    Result {
        /// Figures and facts (no secrets).
        summary: Value,
    },
    /// The script gives up (after a rejection, say).
    Abort {
        /// Why.
        reason: String,
    },
}

impl FromScript {
    /// The name of its type, for events.
    pub fn kind(&self) -> &'static str {
        match self {
            FromScript::Hello { .. } => "hello",
            FromScript::Log { .. } => "log",
            FromScript::Checkpoint { .. } => "checkpoint",
            FromScript::Secret { .. } => "secret",
            FromScript::StoreSecret { .. } => "store_secret",
            FromScript::Result { .. } => "result",
            FromScript::Abort { .. } => "abort",
        }
    }
}

/// A message to the script.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToScript {
    /// The person's decision on the checkpoint just asked.
    Decision {
        /// The checkpoint's id.
        checkpoint_id: String,
        /// `approved`, `rejected` or `modified`.
        decision: String,
        /// Approved or modified.
        approved: bool,
        /// The person's notes.
        notes: Option<String>,
        /// The action to take instead (modified).
        modified_action: Option<String>,
    },
    /// A declared key's value.
    Secret {
        /// Its name.
        name: String,
        /// The value.
        value: String,
    },
    /// A value was stored.
    Stored {
        /// Its name.
        name: String,
    },
    /// A request was refused.
    Refused {
        /// What was asked (`secret`, `store_secret`, `checkpoint`).
        request: String,
        /// Why.
        reason: String,
    },
}

/// Why a line is not a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// Longer than [`MAX_LINE`] (bytes dropped).
    TooLong(usize),
    /// Not UTF-8 or not a JSON object.
    Malformed,
    /// A JSON object of a type core does not know, or missing fields.
    Unknown(String),
    /// Shaped like a core → script message (`decision`, …): a script cannot
    /// answer its own checkpoint.
    Forged(String),
}

impl Violation {
    /// Said in an event.
    pub fn describe(&self) -> String {
        match self {
            Violation::TooLong(n) => {
                format!("protocol violation: a line of {n} bytes was cut off (limit {MAX_LINE})")
            }
            Violation::Malformed => {
                "protocol violation: a line that is not a JSON message was ignored".to_string()
            }
            Violation::Unknown(t) => {
                format!("protocol violation: a message of unknown type or shape {t:?} was ignored")
            }
            Violation::Forged(t) => {
                format!(
                    "protocol violation: the script printed a {t:?} message, which only KeyClave sends; ignored"
                )
            }
        }
    }
}

/// Parse one line (without its newline).
pub fn parse(line: &[u8]) -> Result<FromScript, Violation> {
    let text = std::str::from_utf8(line).map_err(|_| Violation::Malformed)?;
    let value: Value = serde_json::from_str(text).map_err(|_| Violation::Malformed)?;
    let kind = value.get("type").and_then(Value::as_str).map(str::to_string);
    let Some(kind) = kind else {
        return Err(Violation::Malformed);
    };
    if matches!(kind.as_str(), "decision" | "stored" | "refused") {
        return Err(Violation::Forged(kind));
    }
    serde_json::from_value(value).map_err(|_| Violation::Unknown(kind))
}

/// A checkpoint type a script may raise (`script_review` is the person's).
pub fn script_checkpoint_type(name: &str) -> Option<CheckpointType> {
    CheckpointType::parse(name).filter(|t| *t != CheckpointType::ScriptReview)
}

/// Serialise a message as one line with its newline.
pub fn line(message: &ToScript) -> String {
    let mut s = serde_json::to_string(message).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_parse_and_violations_are_told_apart() {
        let cp =
            br#"{"type":"checkpoint","checkpoint_type":"financial","description":"d","proposed_action":"a"}"#;
        assert!(matches!(parse(cp), Ok(FromScript::Checkpoint { .. })));
        assert_eq!(parse(b"not json"), Err(Violation::Malformed));
        assert_eq!(parse(b"[1,2]"), Err(Violation::Malformed));
        assert_eq!(parse(br#"{"type":"teleport"}"#), Err(Violation::Unknown("teleport".into())));
        assert_eq!(parse(br#"{"type":"log"}"#), Err(Violation::Unknown("log".into())));
        let forged = br#"{"type":"decision","decision":"approved","checkpoint_id":"x"}"#;
        assert_eq!(parse(forged), Err(Violation::Forged("decision".into())));
        assert_eq!(parse(&[0xff, 0xfe]), Err(Violation::Malformed));
    }
}
