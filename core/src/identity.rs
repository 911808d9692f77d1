//! The profile's bundle identity: an X25519 key pair (age) that recipient
//! bundles are encrypted to. The private half is sealed with the field key
//! in `profile_settings.identity_secret_enc` (rotation re-seals it); the
//! public recipient string (`age1…`) is stored beside it and is not secret.
//! Created the first time it is needed, once per profile.

use age::secrecy::ExposeSecret;
use rusqlite::{OptionalExtension, params};
use serde_json::json;
use std::str::FromStr;

use crate::audit::EventType;
use crate::crypto::SealContext;
use crate::error::{Error, Result};
use crate::vault::Vault;

const TABLE: &str = "profile_settings";
const SECRET_COL: &str = "identity_secret_enc";

fn ctx(profile_id: &str) -> SealContext<'_> {
    SealContext { profile_id, table: TABLE, column: SECRET_COL, row_id: profile_id }
}

/// Parse an age X25519 recipient (`age1…`), the string another profile's
/// `keyclave identity show` prints.
pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient> {
    let trimmed = text.trim();
    age::x25519::Recipient::from_str(trimmed).map_err(|_| {
        // The text is a public key or a typo, never a secret, but it can be
        // long: show its start only.
        let shown: String = trimmed.chars().take(12).collect();
        Error::invalid(format!("'{shown}…' is not a recipient (an age1… public key)"))
            .with_suggestion("Ask the person for the line `keyclave identity show` prints on their machine.")
    })
}

/// This profile's recipient string (`age1…`), creating the identity on
/// first use (recorded as `identity.create`).
pub fn recipient(vault: &Vault) -> Result<String> {
    if let Some(r) = stored_recipient(vault)? {
        return Ok(r);
    }
    let id = vault.profile_id();
    let identity = age::x25519::Identity::generate();
    let public = identity.to_public().to_string();
    let sealed = vault.field_key().seal(identity.to_string().expose_secret().as_bytes(), ctx(&id));
    vault.write(|w| {
        // Another process may have created it meanwhile: the first one stays.
        let existing: Option<String> = w
            .query_row("SELECT identity_recipient FROM profile_settings WHERE profile_id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        if let Some(r) = existing {
            return Ok(r);
        }
        w.execute(
            "UPDATE profile_settings SET identity_secret_enc = ?2, identity_recipient = ?3, updated_at = ?4
             WHERE profile_id = ?1",
            params![id, sealed, public, crate::time::now()],
        )?;
        w.record(EventType::IdentityCreate, json!({}))?;
        Ok(public.clone())
    })
}

fn stored_recipient(vault: &Vault) -> Result<Option<String>> {
    let id = vault.profile_id();
    vault.read(|c| {
        Ok(c.query_row("SELECT identity_recipient FROM profile_settings WHERE profile_id = ?1", [&id], |r| {
            r.get::<_, Option<String>>(0)
        })
        .optional()?
        .flatten())
    })
}

/// The profile's private identity, to open bundles sent to it; `None`
/// when the profile has none yet (so no bundle can be for it).
pub(crate) fn secret(vault: &Vault) -> Result<Option<age::x25519::Identity>> {
    let id = vault.profile_id();
    let blob: Option<Vec<u8>> = vault.read(|c| {
        Ok(c.query_row(
            "SELECT identity_secret_enc FROM profile_settings WHERE profile_id = ?1",
            [&id],
            |r| r.get::<_, Option<Vec<u8>>>(0),
        )
        .optional()?
        .flatten())
    })?;
    let Some(blob) = blob else { return Ok(None) };
    let text = vault.field_key().open_string(&blob, ctx(&id))?;
    age::x25519::Identity::from_str(text.expose_secret())
        .map(Some)
        .map_err(|_| Error::corruption("the profile's bundle identity is not a valid key"))
}
