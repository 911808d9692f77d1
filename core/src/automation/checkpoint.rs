//! Checkpoints: the rules of a decision, and the checkpoints waiting for a
//! person.
//!
//! Core makes a checkpoint's id, a nonce and the SHA-256 of what the person
//! is shown (type, description, proposed action, context). A front shows a
//! [`Pending`] and sends back a [`Decision`] naming that id and nonce; a
//! decision is valid for exactly that checkpoint, once, and is recorded in
//! `hitl_checkpoints` before the script hears it.
//!
//! The rules (security rule 5): `financial` and `irreversible` checkpoints
//! are approved only by [`Checkpoints::decide`], which fronts call for a
//! person's act — no setting, repeat approval, timeout or flag reaches it;
//! a checkpoint nobody answers is *rejected* ([`Checkpoints::expire`]). With
//! TOTP enabled, approving a `financial` checkpoint also needs a code. In a
//! reduced sandbox (no bubblewrap) `financial` and `irreversible` are
//! refused unless the person accepts the reduced sandbox for this run.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};

use super::CheckpointType;
use crate::error::{Error, ErrorCode, Result};
use crate::vault::{EpochId, Vault};

/// How long a checkpoint waits before it is rejected, unless configured.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A checkpoint waiting for a person, as a front shows it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// Its id.
    pub id: String,
    /// Sent back with the decision: a decision for another checkpoint, or
    /// a replayed one, does not match.
    pub nonce: String,
    /// SHA-256 of what is shown (type, description, proposed action, context).
    pub sha256: String,
    /// The run it belongs to.
    pub execution_id: String,
    /// The script.
    pub script_id: String,
    /// The script's title.
    pub script_title: String,
    /// The script's provider.
    pub provider_id: String,
    /// Its type.
    pub kind: CheckpointType,
    /// What is about to happen.
    pub description: String,
    /// What the script proposes to do (modifiable).
    pub proposed_action: String,
    /// Facts shown as a table (checked to hold no secret).
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Unknown))]
    pub context: Value,
    /// Approving needs a TOTP code.
    pub needs_totp: bool,
    /// A person decides it every time; Enter alone never approves it.
    pub needs_person: bool,
    /// The run is in a reduced sandbox: approving a financial or
    /// irreversible checkpoint needs the person to accept that.
    pub reduced_sandbox: bool,
    /// When it was asked (RFC 3339).
    pub asked_at: String,
    /// When it is rejected if nobody answers (RFC 3339).
    pub expires_at: String,
}

/// What the person answered.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    /// Go on as proposed.
    Approve,
    /// Do not.
    Reject,
    /// Go on with this action instead.
    Modify {
        /// The action to take.
        action: String,
    },
}

/// A person's decision, as a front sends it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "CheckpointDecision")]
pub struct Decision {
    /// The checkpoint's id.
    pub checkpoint_id: String,
    /// Its nonce, as shown.
    pub nonce: String,
    /// The answer.
    pub answer: Answer,
    /// Notes, recorded.
    pub notes: Option<String>,
    /// A TOTP or recovery code, when the checkpoint needs one.
    pub totp_code: Option<String>,
    /// The person accepts the reduced sandbox for this run.
    pub accept_reduced_sandbox: bool,
}

/// A recorded decision, as the run (and the script) hear it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    /// The checkpoint's id.
    pub checkpoint_id: String,
    /// Its type.
    pub kind: CheckpointType,
    /// `approved`, `rejected` or `modified`.
    pub decision: String,
    /// Approved or modified.
    pub approved: bool,
    /// The person's notes.
    pub notes: Option<String>,
    /// The action to take instead.
    pub modified_action: Option<String>,
    /// A TOTP code was verified for it.
    pub by_totp: bool,
}

/// How the typed answer at a terminal reads, for a checkpoint of `kind`:
/// `a`/`approve`, `r`/`reject`, `m`/`modify`; a financial or irreversible
/// checkpoint is approved only by `approve` in full. `None`: ask again.
pub fn parse_typed_answer(kind: CheckpointType, typed: &str) -> Option<TypedAnswer> {
    match typed.trim().to_ascii_lowercase().as_str() {
        "approve" => Some(TypedAnswer::Approve),
        "a" if !kind.always_needs_person() => Some(TypedAnswer::Approve),
        "r" | "reject" => Some(TypedAnswer::Reject),
        "m" | "modify" => Some(TypedAnswer::Modify),
        _ => None,
    }
}

/// A terminal answer before its details (a modified action, notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedAnswer {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
    /// Modify (the front asks for the action next).
    Modify,
}

struct Waiting {
    pending: Pending,
    epoch: EpochId,
    reply: Sender<Decided>,
}

/// The checkpoints waiting for a person, shared by a front and its runs
/// (cheap to clone).
#[derive(Clone, Default)]
pub struct Checkpoints {
    waiting: Arc<Mutex<HashMap<String, Waiting>>>,
}

impl std::fmt::Debug for Checkpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoints").field("waiting", &self.map().len()).finish()
    }
}

/// SHA-256 over what a person is shown.
pub(crate) fn digest(
    kind: CheckpointType,
    description: &str,
    proposed_action: &str,
    context: &Value,
) -> String {
    let canonical = json!([kind.as_str(), description, proposed_action, context]).to_string();
    super::sha256_hex(canonical.as_bytes())
}

/// A new random token (ids, nonces).
pub(crate) fn token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Checkpoints {
    /// A new, empty set.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Waiting>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What waits for a decision now, oldest first.
    pub fn pending(&self) -> Vec<Pending> {
        let mut out: Vec<Pending> = self.map().values().map(|w| w.pending.clone()).collect();
        out.sort_by(|a, b| a.asked_at.cmp(&b.asked_at));
        out
    }

    /// Register a checkpoint; its decision arrives on the receiver.
    pub(crate) fn open(&self, vault: &Vault, pending: Pending) -> Receiver<Decided> {
        let (reply, rx) = channel();
        self.map().insert(pending.id.clone(), Waiting { pending, epoch: vault.epoch(), reply });
        rx
    }

    /// Forget a checkpoint without a decision (its run ended or the vault
    /// locked: nothing can be recorded).
    pub(crate) fn forget(&self, id: &str) {
        self.map().remove(id);
    }

    /// Take the waiting entry for `id` if `nonce` matches.
    fn take(&self, vault: &Vault, id: &str, nonce: &str) -> Result<Waiting> {
        let mut map = self.map();
        let matches = map.get(id).is_some_and(|w| w.pending.nonce == nonce && w.epoch == vault.epoch());
        if !matches {
            return Err(Error::new(
                ErrorCode::AutomationCheckpointNotPending,
                "this checkpoint is not waiting for a decision (decided already, expired, or another one)",
            ));
        }
        map.remove(id).ok_or_else(|| Error::internal("a checkpoint vanished while it was taken"))
    }

    fn put_back(&self, waiting: Waiting) {
        self.map().insert(waiting.pending.id.clone(), waiting);
    }

    /// A person's decision: checked against the rules, recorded, then
    /// passed to the waiting run. A refused decision (a missing code, a
    /// reduced sandbox not accepted) leaves the checkpoint waiting.
    pub fn decide(&self, vault: &Vault, decision: Decision) -> Result<Decided> {
        let waiting = self.take(vault, &decision.checkpoint_id, &decision.nonce)?;
        match self.record_decision(vault, &waiting.pending, &decision) {
            Ok(decided) => {
                // The run may have ended meanwhile; the decision stays recorded.
                let _ = waiting.reply.send(decided.clone());
                Ok(decided)
            }
            Err(e) => {
                if e.code() != ErrorCode::VaultLocked {
                    self.put_back(waiting);
                }
                Err(e)
            }
        }
    }

    fn record_decision(&self, vault: &Vault, p: &Pending, d: &Decision) -> Result<Decided> {
        let approving = !matches!(d.answer, Answer::Reject);
        let modified = match &d.answer {
            Answer::Modify { action } => {
                let action = action.trim();
                if action.is_empty() {
                    return Err(refuse("a modified action cannot be empty"));
                }
                if crate::redact::redact(action) != action {
                    return Err(refuse(
                        "the modified action looks like it holds a secret; it would be shown and stored",
                    ));
                }
                Some(action.to_string())
            }
            _ => None,
        };
        if approving && p.kind.always_needs_person() && p.reduced_sandbox && !d.accept_reduced_sandbox {
            return Err(refuse(format!(
                "this run has a reduced sandbox (no bubblewrap), so a {} step is approved only if you accept the reduced sandbox for this run",
                p.kind.as_str()
            )));
        }
        let mut by_totp = false;
        if approving && p.needs_totp {
            let code = d.totp_code.as_deref().filter(|c| !c.trim().is_empty()).ok_or_else(|| {
                Error::new(ErrorCode::TotpRequired, "approving this financial step needs a TOTP code")
            })?;
            crate::totp::check_code(vault, code)?;
            by_totp = true;
        }
        let notes = d
            .notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| crate::redact::redact(n).into_owned());
        let decided = Decided {
            checkpoint_id: p.id.clone(),
            kind: p.kind,
            decision: match (&d.answer, &modified) {
                (Answer::Reject, _) => "rejected",
                (_, Some(_)) => "modified",
                _ => "approved",
            }
            .to_string(),
            approved: approving,
            notes,
            modified_action: modified,
            by_totp,
        };
        store(vault, p, &decided)?;
        Ok(decided)
    }

    /// Reject a checkpoint nobody answered in time (never approve it).
    pub(crate) fn expire(&self, vault: &Vault, id: &str, note: &str) -> Result<Option<Decided>> {
        let Some(waiting) = self.map().remove(id) else {
            return Ok(None);
        };
        let p = &waiting.pending;
        let decided = Decided {
            checkpoint_id: p.id.clone(),
            kind: p.kind,
            decision: "rejected".to_string(),
            approved: false,
            notes: Some(note.to_string()),
            modified_action: None,
            by_totp: false,
        };
        store(vault, p, &decided)?;
        Ok(Some(decided))
    }
}

fn refuse(message: impl AsRef<str>) -> Error {
    Error::new(ErrorCode::AutomationDecisionRefused, message)
}

/// Record a decision and count it on its run, in one transaction.
pub(crate) fn store(vault: &Vault, p: &Pending, d: &Decided) -> Result<()> {
    vault.write(|w| {
        let profile_id = w.profile_id().to_string();
        w.execute(
            "INSERT INTO hitl_checkpoints (id, profile_id, execution_id, script_id, script_version, checkpoint_type,
                 checkpoint_description, proposed_action, context_json, checkpoint_sha256, decision, user_notes,
                 decided_at, decided_by_totp, modified_action)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                p.id,
                profile_id,
                p.execution_id,
                p.script_id,
                Option::<i64>::None,
                p.kind.as_str(),
                p.description,
                p.proposed_action,
                p.context.to_string(),
                p.sha256,
                d.decision,
                d.notes,
                crate::time::now(),
                d.by_totp,
                d.modified_action,
            ],
        )?;
        let column = if d.approved { "checkpoints_approved" } else { "checkpoints_rejected" };
        w.execute(
            &format!("UPDATE automation_executions SET {column} = {column} + 1 WHERE id = ?1"),
            params![p.execution_id],
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_financial_or_irreversible_step_is_approved_only_by_the_whole_word() {
        for kind in [CheckpointType::Financial, CheckpointType::Irreversible] {
            assert_eq!(parse_typed_answer(kind, "a"), None);
            assert_eq!(parse_typed_answer(kind, ""), None);
            assert_eq!(parse_typed_answer(kind, "yes"), None);
            assert_eq!(parse_typed_answer(kind, "approve"), Some(TypedAnswer::Approve));
            assert_eq!(parse_typed_answer(kind, "r"), Some(TypedAnswer::Reject));
        }
        assert_eq!(parse_typed_answer(CheckpointType::Account, "a"), Some(TypedAnswer::Approve));
        assert_eq!(parse_typed_answer(CheckpointType::ApiKey, " M "), Some(TypedAnswer::Modify));
    }

    #[test]
    fn the_digest_covers_everything_shown() {
        let base = digest(CheckpointType::Billing, "d", "a", &json!({"x": 1}));
        assert_ne!(base, digest(CheckpointType::Financial, "d", "a", &json!({"x": 1})));
        assert_ne!(base, digest(CheckpointType::Billing, "d2", "a", &json!({"x": 1})));
        assert_ne!(base, digest(CheckpointType::Billing, "d", "a2", &json!({"x": 1})));
        assert_ne!(base, digest(CheckpointType::Billing, "d", "a", &json!({"x": 2})));
        assert_eq!(base.len(), 64);
    }
}
