//! Two-factor codes: status, enrollment with a QR code, confirmation
//! (recovery codes shown once), policy, disable.

use keyclave_core::crypto::SecretString;
use keyclave_core::totp::{self, TotpPolicy, TotpStatus};
use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// What the enrollment screen shows once.
#[derive(Serialize, specta::Type)]
pub struct TotpEnrollment {
    /// The secret in base32, for typing.
    pub secret_base32: String,
    /// The otpauth:// URI.
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

/// Whether TOTP is on, pending, and its policy.
#[tauri::command]
#[specta::specta]
pub async fn totp_status(state: State<'_, AppState>) -> CmdResult<TotpStatus> {
    state.user(move |v| totp::status(&v)).await
}

/// Start enrolling an authenticator app.
#[tauri::command]
#[specta::specta]
pub async fn totp_begin(state: State<'_, AppState>) -> CmdResult<TotpEnrollment> {
    let e = state.user(move |v| totp::begin_enrollment(&v)).await?;
    Ok(TotpEnrollment {
        secret_base32: e.secret_base32.expose_secret().to_owned(),
        otpauth_uri: e.otpauth_uri.expose_secret().to_owned(),
        qr_svg: e.qr_svg.expose_secret().to_owned(),
    })
}

/// Confirm with a first code: TOTP is on; the recovery codes, shown once.
#[tauri::command]
#[specta::specta]
pub async fn totp_confirm(state: State<'_, AppState>, code: String) -> CmdResult<Vec<String>> {
    let codes = state.user(move |v| totp::confirm(&v, &code)).await?;
    Ok(codes.codes().iter().map(|c| c.expose_secret().to_owned()).collect())
}

/// Change when a code is required (needs a code while TOTP is on).
#[tauri::command]
#[specta::specta]
pub async fn totp_set_policy(
    state: State<'_, AppState>,
    policy: TotpPolicy,
    code: Option<String>,
) -> CmdResult<()> {
    state.user(move |v| totp::set_policy(&v, policy, code.as_deref())).await
}

/// Turn TOTP off (passphrase and a code or recovery code).
#[tauri::command]
#[specta::specta]
pub async fn totp_disable(state: State<'_, AppState>, passphrase: String, code: String) -> CmdResult<()> {
    let passphrase = SecretString::new(passphrase);
    state.user(move |v| totp::disable(&v, &passphrase, &code)).await
}
