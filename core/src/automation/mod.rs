//! Automation: scripts that do provider-dashboard chores, run in a sandbox,
//! and stop at human-in-the-loop checkpoints before anything financial,
//! account-related, irreversible, key- or billing-related.
//!
//! - [`script`]: scripts and their versions; approving one is a recorded
//!   `script_review` decision bound to the SHA-256 of that version.
//! - [`check`]: the static checks a version must pass before approval.
//! - [`templates`]: built-in scripts for every task type.
//! - [`protocol`]: the JSON lines between a script and core.
//! - [`checkpoint`]: the rules of a decision, and the pending checkpoints a
//!   front shows to a person.
//! - [`executor`]: one run — the child process, its events, its checkpoints.
//! - [`sandbox`]: how the child is confined (bubblewrap, or reduced).
//!
//! A script's network goes through [`crate::net::proxy`] (Online Mode gate,
//! the script's allowlist), the sandbox's only way out.
//! - [`python`]: which interpreter runs scripts and the checker.
//! - [`setup`]: the automation runtime (a venv with Playwright, Chromium).
//! - [`history`]: runs and their events, and the sweep after a crash.
//! - [`selectors`] and [`scrape`]: where a dashboard scrape finds each
//!   figure, and the snapshots its result becomes.

pub mod check;
pub mod checkpoint;
pub mod executor;
pub mod history;
pub mod protocol;
pub mod python;
pub mod sandbox;
pub mod scrape;
pub mod script;
pub mod selectors;
pub mod setup;
pub mod templates;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a script is for (`automation_scripts.task_type`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskType {
    /// Sign up for an account (the person types the sensitive parts).
    AccountCreation,
    /// Add or change a payment method (the person types the card).
    PaymentConfig,
    /// Set a spending limit.
    BillingRestriction,
    /// Create, rotate or revoke API keys.
    ApiKeyManagement,
    /// Read usage figures from the provider's dashboard.
    DashboardScrape,
    /// Anything else, from a file.
    Custom,
}

impl TaskType {
    /// Every task type.
    pub const ALL: &'static [TaskType] = &[
        TaskType::AccountCreation,
        TaskType::PaymentConfig,
        TaskType::BillingRestriction,
        TaskType::ApiKeyManagement,
        TaskType::DashboardScrape,
        TaskType::Custom,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::AccountCreation => "account_creation",
            TaskType::PaymentConfig => "payment_config",
            TaskType::BillingRestriction => "billing_restriction",
            TaskType::ApiKeyManagement => "api_key_management",
            TaskType::DashboardScrape => "dashboard_scrape",
            TaskType::Custom => "custom",
        }
    }

    /// Parse a stored or typed name (`automation.script_refused` style
    /// error naming the choices when unknown).
    pub fn parse(s: &str) -> Result<TaskType> {
        TaskType::ALL.iter().copied().find(|t| t.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = TaskType::ALL.iter().map(|t| t.as_str()).collect();
            Error::invalid(format!("unknown task type {s:?}"))
                .with_suggestion(format!("Use one of: {}.", names.join(", ")))
        })
    }
}

/// The kind of a checkpoint (`hitl_checkpoints.checkpoint_type`).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointType {
    /// Money moves or a commitment to pay is made.
    Financial,
    /// An account is created, logged into or changed.
    Account,
    /// Something that cannot be undone (a deletion, a revocation).
    Irreversible,
    /// An API key is created, shown or stored.
    ApiKey,
    /// A billing setting changes (a limit, an alert).
    Billing,
    /// A person approves a script version before it may run.
    ScriptReview,
}

impl CheckpointType {
    /// Every type.
    pub const ALL: &'static [CheckpointType] = &[
        CheckpointType::Financial,
        CheckpointType::Account,
        CheckpointType::Irreversible,
        CheckpointType::ApiKey,
        CheckpointType::Billing,
        CheckpointType::ScriptReview,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointType::Financial => "financial",
            CheckpointType::Account => "account",
            CheckpointType::Irreversible => "irreversible",
            CheckpointType::ApiKey => "api_key",
            CheckpointType::Billing => "billing",
            CheckpointType::ScriptReview => "script_review",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<CheckpointType> {
        CheckpointType::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// Decided by a person every time: no setting, repeat approval,
    /// timeout, flag or standard input approves these (security rule 5).
    pub fn always_needs_person(self) -> bool {
        matches!(self, CheckpointType::Financial | CheckpointType::Irreversible)
    }
}

/// SHA-256 of `bytes`, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
