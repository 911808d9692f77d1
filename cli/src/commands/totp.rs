//! `keyclave totp …`

use keyclave_core::totp::{self, TotpPolicy};
use keyclave_core::{Error, Result};
use serde_json::json;

use super::Context;
use crate::args::TotpCmd;
use crate::output::outln;
use crate::{input, output};

fn on_off(v: Option<String>, current: bool) -> Result<bool> {
    match v.as_deref().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        None => Ok(current),
        Some("on" | "true" | "yes") => Ok(true),
        Some("off" | "false" | "no") => Ok(false),
        Some(other) => Err(Error::invalid(format!("'{other}' is not on or off"))),
    }
}

pub fn run(ctx: Context, cmd: TotpCmd) -> Result<()> {
    match cmd {
        TotpCmd::Enroll { qr_svg } => {
            let vault = ctx.unlock()?;
            let e = totp::begin_enrollment(&vault)?;
            vault.close()?;
            if let Some(path) = &qr_svg {
                keyclave_core::paths::write_private_atomic(path, e.qr_svg.expose_secret().as_bytes(), true)?;
            }
            if ctx.json {
                output::json(&json!({
                    "secret_base32": e.secret_base32.expose_secret(),
                    "otpauth_uri": e.otpauth_uri.expose_secret(),
                    "qr_svg_file": qr_svg,
                }));
            } else {
                outln!("Add this account to your authenticator app (shown once):");
                outln!("  secret: {}", e.secret_base32.expose_secret());
                outln!("  URI:    {}", e.otpauth_uri.expose_secret());
                if let Some(path) = &qr_svg {
                    outln!("  QR code written to {} (delete it once scanned).", path.display());
                }
                outln!("Then confirm with `keyclave totp confirm CODE`.");
            }
            Ok(())
        }
        TotpCmd::Confirm { code } => {
            let vault = ctx.unlock()?;
            let codes = totp::confirm(&vault, &code)?;
            vault.close()?;
            let list: Vec<&str> = codes.codes().iter().map(|c| c.expose_secret()).collect();
            if ctx.json {
                output::json(&json!({ "enabled": true, "recovery_codes": list }));
            } else {
                outln!("TOTP is on. Keep these one-time recovery codes somewhere safe (shown once):");
                for c in list {
                    outln!("  {c}");
                }
            }
            Ok(())
        }
        TotpCmd::Status => {
            let vault = ctx.unlock()?;
            let status = totp::status(&vault)?;
            vault.close()?;
            if ctx.json {
                output::json(&status);
            } else if status.enabled {
                outln!("TOTP is on; {} recovery code(s) left.", status.recovery_codes_remaining);
                outln!(
                    "  required for export: {}; for reveal: {}",
                    if status.policy.required_for_export { "yes" } else { "no" },
                    if status.policy.required_for_reveal { "yes" } else { "no" }
                );
            } else if status.pending_enrollment {
                outln!("TOTP is off; an enrollment waits for `keyclave totp confirm CODE`.");
            } else {
                outln!("TOTP is off. Turn it on with `keyclave totp enroll`.");
            }
            Ok(())
        }
        TotpCmd::Disable { code } => {
            let (vault, pass) = ctx.unlock_keeping_passphrase()?;
            let code = match code {
                Some(c) => keyclave_core::crypto::SecretString::new(c),
                None => input::code("TOTP code (or a recovery code): ")?,
            };
            totp::disable(&vault, &pass, code.expose_secret())?;
            vault.close()?;
            if ctx.json {
                output::json(&json!({ "enabled": false }));
            } else {
                outln!("TOTP is off; the secret and recovery codes were erased.");
            }
            Ok(())
        }
        TotpCmd::Policy { export, reveal, code } => {
            let vault = ctx.unlock()?;
            let status = totp::status(&vault)?;
            let current = status.policy;
            let policy = TotpPolicy {
                required_for_export: on_off(export, current.required_for_export)?,
                required_for_reveal: on_off(reveal, current.required_for_reveal)?,
            };
            totp::set_policy(&vault, policy, code.as_deref())?;
            vault.close()?;
            // While TOTP is off nothing asks for a code: the policy is kept
            // for when it is turned on, and the output says so.
            let in_effect = status.enabled;
            if ctx.json {
                output::json(&json!({
                    "required_for_export": policy.required_for_export,
                    "required_for_reveal": policy.required_for_reveal,
                    "in_effect": in_effect,
                }));
            } else {
                let yes_no = |b: bool| if b { "yes" } else { "no" };
                if in_effect {
                    outln!(
                        "A code is required for export: {}; for reveal: {}.",
                        yes_no(policy.required_for_export),
                        yes_no(policy.required_for_reveal)
                    );
                } else {
                    outln!(
                        "Saved for when TOTP is on (export: {}; reveal: {}). TOTP is off, so nothing needs a code \
                         now; turn it on with `keyclave totp enroll`.",
                        yes_no(policy.required_for_export),
                        yes_no(policy.required_for_reveal)
                    );
                }
            }
            Ok(())
        }
    }
}
