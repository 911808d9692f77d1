//! The reveal policy: when a plaintext value may leave the vault, to a
//! person or to a process.
//!
//! Every path that hands a value out — reveal, copy, a `.env` write or
//! generation, `run` (a child's environment), a bundle export — calls
//! [`authorize`] first, and the functions that decrypt for them take the
//! [`Grant`] it returns, so no such path can skip the rule. The rule:
//! with TOTP enabled, export needs a code when the policy says
//! "required for export" (the default), and every other purpose needs one
//! when it says "required for reveal". Without TOTP nothing is asked.
//!
//! A grant is bound to the unlock it was made under: a grant from before a
//! lock does not open anything after it.

use crate::error::{Error, Result};
use crate::totp::{self, TotpPurpose};
use crate::vault::{EpochId, Vault};

/// Why a value is handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Shown to the user.
    Reveal,
    /// Put on the clipboard.
    Copy,
    /// Written into a `.env` file (patched or generated).
    Dotenv,
    /// Put in a child process's environment (`keyclave run`).
    Run,
    /// Filled into a template's `keyclave://` references (`keyclave inject`).
    Template,
    /// Sealed into a `.kcbundle` for another machine or person.
    Export,
    /// Handed to an approved automation script that declared the key
    /// (`kc.secret`); the script's review is the consent.
    Automation,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: &'static [Purpose] = &[
        Purpose::Reveal,
        Purpose::Copy,
        Purpose::Dotenv,
        Purpose::Run,
        Purpose::Template,
        Purpose::Export,
        Purpose::Automation,
    ];

    /// Which TOTP policy switch covers it.
    pub fn totp_purpose(self) -> TotpPurpose {
        match self {
            Purpose::Export => TotpPurpose::Export,
            Purpose::Reveal
            | Purpose::Copy
            | Purpose::Dotenv
            | Purpose::Run
            | Purpose::Template
            | Purpose::Automation => TotpPurpose::Reveal,
        }
    }

    /// A short name for messages and audit metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Reveal => "reveal",
            Purpose::Copy => "copy",
            Purpose::Dotenv => "dotenv",
            Purpose::Run => "run",
            Purpose::Template => "template",
            Purpose::Export => "export",
            Purpose::Automation => "automation",
        }
    }
}

/// Proof that the policy let values out for one operation. Only this module
/// makes them; the decrypting functions take one.
#[derive(Debug)]
pub struct Grant {
    epoch: EpochId,
    purpose: Option<Purpose>,
}

impl Grant {
    /// The purpose it was granted for (`None`: decrypted for work that
    /// stays inside core, such as comparing a `.env` with the vault).
    pub fn purpose(&self) -> Option<Purpose> {
        self.purpose
    }

    /// For values that never leave core (a plan's masked preview). Writing
    /// such a plan needs its own grant.
    pub(crate) fn internal(vault: &Vault) -> Grant {
        Grant { epoch: vault.epoch(), purpose: None }
    }

    /// `vault.locked` when the grant is from another unlock.
    pub(crate) fn check(&self, vault: &Vault) -> Result<()> {
        if self.epoch == vault.epoch() && vault.is_open() { Ok(()) } else { Err(Error::locked()) }
    }
}

/// Whether `purpose` needs a TOTP code right now (for a front to ask for
/// one up front). Reading the policy never uses up a code.
pub fn needs_code(vault: &Vault, purpose: Purpose) -> Result<bool> {
    totp::is_required(vault, purpose.totp_purpose())
}

/// Apply the policy for `purpose`: when a code is required, `code` must be
/// a current TOTP code or an unused recovery code (`totp.required` when
/// missing, `totp.invalid` when wrong; a code works once).
pub fn authorize(vault: &Vault, purpose: Purpose, code: Option<&str>) -> Result<Grant> {
    totp::require(vault, purpose.totp_purpose(), purpose.as_str(), code)?;
    Ok(Grant { epoch: vault.epoch(), purpose: Some(purpose) })
}
