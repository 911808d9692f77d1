//! TOTP second factor (RFC 6238: HMAC-SHA-1, 30 s steps, 6 digits, ±1
//! step of clock skew) with 8 one-time recovery codes.
//!
//! The pure functions ([`code_at`], [`verify`]) take the time as an
//! argument. The functions over a [`Vault`] keep the state in the `profile_settings`
//! row: the secret (`totp_secret_enc`), the remaining recovery codes
//! (`recovery_codes_enc`, SHA-256 hashes, sealed) and an enrollment waiting
//! for its first code (`totp_pending_secret_enc`), each sealed with the
//! field key and bound to its column; and `totp_last_step`, the last
//! accepted time step, so a code is never accepted twice (nor an older
//! one). Refused codes are counted (`totp_failed_count`): from the sixth
//! attempt on each one waits a doubling delay, as unlocking does, so the
//! 10⁶ codes cannot be tried quickly. `app_profiles.totp_enabled` in
//! index.db mirrors whether TOTP is on.
//!
//! Neither the secret nor a code ever reaches an error, log or audit row.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fmt;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use crate::audit::EventType;
use crate::crypto::{self, SealContext, SecretString};
use crate::error::{Error, ErrorCode, Result, to_json};
use crate::vault::Vault;

/// Digits of a code.
pub const DIGITS: usize = 6;
/// Seconds per time step.
pub const PERIOD: u64 = 30;
/// Steps accepted either side of the current one.
pub const SKEW: u64 = 1;
/// Length of a new secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;
/// Recovery codes issued at enrollment.
pub const RECOVERY_CODE_COUNT: usize = 8;
/// Alphabet of recovery codes: no 0/O, 1/I, so nothing is ambiguous.
pub const RECOVERY_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Issuer in the otpauth URI.
pub const ISSUER: &str = "KeyClave";

const TABLE: &str = "profile_settings";
const SECRET_COL: &str = "totp_secret_enc";
const CODES_COL: &str = "recovery_codes_enc";
const PENDING_COL: &str = "totp_pending_secret_enc";

// --- pure RFC 6238 ------------------------------------------------------------

fn totp(secret: &[u8], digits: usize) -> TOTP {
    // `new_unchecked`: the secret length is ours to choose (RFC vectors use
    // 20 bytes, as KeyClave does); digits are 6 (or 8 for the RFC vectors).
    TOTP::new_unchecked(Algorithm::SHA1, digits, SKEW as u8, PERIOD, secret.to_vec())
}

/// The RFC 6238 time step of a Unix time.
pub fn time_step(unix_time: u64) -> u64 {
    unix_time / PERIOD
}

/// The 6-digit code for `secret` at `unix_time`.
pub fn code_at(secret: &[u8], unix_time: u64) -> String {
    code_with_digits(secret, unix_time, DIGITS)
}

/// The code with `digits` digits (6 to 8; the RFC's vectors have 8).
pub fn code_with_digits(secret: &[u8], unix_time: u64, digits: usize) -> String {
    totp(secret, digits).generate(unix_time)
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Check a 6-digit `code` at `unix_time` with ±1 step of skew. Only steps
/// after `last_step` count, so a code already accepted (or an older one) is
/// refused. Returns the matching step, to be stored as the new last step.
pub fn verify(secret: &[u8], code: &str, unix_time: u64, last_step: Option<u64>) -> Option<u64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, DIGITS);
    let now = time_step(unix_time);
    let mut found = None;
    for step in now.saturating_sub(SKEW)..=now.saturating_add(SKEW) {
        if last_step.is_some_and(|last| step <= last) {
            continue;
        }
        let candidate = t.generate(step.saturating_mul(PERIOD));
        if ct_eq(candidate.as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Decode a base32 secret (as shown at enrollment; case, spaces and
/// padding are ignored).
pub fn secret_from_base32(s: &str) -> Result<Zeroizing<Vec<u8>>> {
    let cleaned: Zeroizing<String> = Zeroizing::new(
        s.chars().filter(|c| !c.is_whitespace() && *c != '=').map(|c| c.to_ascii_uppercase()).collect(),
    );
    totp_rs::Secret::Encoded(cleaned.to_string())
        .to_bytes()
        .map(Zeroizing::new)
        .map_err(|_| Error::invalid("the TOTP secret is not valid base32"))
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `otpauth://totp/KeyClave:<profile>?secret=…&issuer=KeyClave&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(profile_name: &str, secret_base32: &str) -> String {
    format!(
        "otpauth://totp/{ISSUER}:{}?secret={secret_base32}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        percent_encode(profile_name)
    )
}

/// A QR code of `data` as a standalone SVG document.
pub fn qr_svg(data: &str) -> Result<String> {
    let code = qrcode::QrCode::new(data.as_bytes())
        .map_err(|e| Error::internal(format!("cannot build the QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// Normalise a recovery code as typed: upper case, without spaces and
/// dashes; `None` unless it is 8 characters of [`RECOVERY_ALPHABET`].
fn normalize_recovery(code: &str) -> Option<Zeroizing<String>> {
    let s: Zeroizing<String> = Zeroizing::new(
        code.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect(),
    );
    (s.len() == 8 && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(s)
}

fn recovery_hash(normalized: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"keyclave recovery code v1\0");
    h.update(normalized.as_bytes());
    hex::encode(h.finalize())
}

/// Fresh recovery codes `XXXX-XXXX` from the OS CSPRNG.
pub fn generate_recovery_codes() -> Vec<SecretString> {
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let bytes: Zeroizing<[u8; 8]> = Zeroizing::new(crypto::random_bytes());
            let mut s = String::with_capacity(9);
            for (i, b) in bytes.iter().enumerate() {
                if i == 4 {
                    s.push('-');
                }
                // 256 is a multiple of 32: taking the low 5 bits is uniform.
                s.push(RECOVERY_ALPHABET[usize::from(b & 31)] as char);
            }
            SecretString::new(s)
        })
        .collect()
}

// --- types ----------------------------------------------------------------------

/// What a TOTP code is asked for.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotpPurpose {
    /// Exporting secrets (required by default when TOTP is on).
    Export,
    /// Revealing or copying a value (only when the policy says so).
    Reveal,
}

/// A started enrollment: show these once, then confirm a first code.
/// Everything here encodes the secret, so all three are [`SecretString`]s.
pub struct Enrollment {
    /// The secret in base32, for typing into an authenticator.
    pub secret_base32: SecretString,
    /// `otpauth://totp/KeyClave:<profile>?…` (holds the secret).
    pub otpauth_uri: SecretString,
    /// The URI as a QR code, an SVG document (holds the secret).
    pub qr_svg: SecretString,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Enrollment(***)")
    }
}

/// The one-time recovery codes issued when TOTP is confirmed. Shown once.
pub struct RecoveryCodes {
    codes: Vec<SecretString>,
}

impl RecoveryCodes {
    /// The codes, `XXXX-XXXX`.
    pub fn codes(&self) -> &[SecretString] {
        &self.codes
    }
}

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes({} × ***)", self.codes.len())
    }
}

/// When a code is required while TOTP is enabled.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpPolicy {
    /// To export secrets (default on).
    pub required_for_export: bool,
    /// To reveal or copy a value (default off).
    pub required_for_reveal: bool,
}

impl Default for TotpPolicy {
    fn default() -> Self {
        TotpPolicy { required_for_export: true, required_for_reveal: false }
    }
}

/// TOTP state of the profile (nothing secret).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotpStatus {
    /// TOTP is on.
    pub enabled: bool,
    /// An enrollment waits for its first code.
    pub pending_enrollment: bool,
    /// Unused recovery codes.
    pub recovery_codes_remaining: u32,
    /// When a code is required.
    pub policy: TotpPolicy,
}

/// How a verification succeeded.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TotpVerified {
    /// A current authenticator code.
    Code,
    /// A recovery code, now used up.
    RecoveryCode {
        /// Recovery codes left.
        remaining: u32,
    },
}

// --- storage --------------------------------------------------------------------

struct Row {
    secret: Option<Vec<u8>>,
    codes: Option<Vec<u8>>,
    pending: Option<Vec<u8>>,
    last_step: Option<u64>,
    failed_count: u32,
    last_failed_at: Option<String>,
    policy: TotpPolicy,
}

fn load(conn: &Connection, profile_id: &str) -> Result<Row> {
    let row = conn
        .prepare_cached(
            "SELECT totp_secret_enc, recovery_codes_enc, totp_pending_secret_enc, totp_last_step,
                    totp_required_for_export, totp_required_for_reveal, totp_failed_count,
                    totp_last_failed_at
             FROM profile_settings WHERE profile_id = ?1",
        )?
        .query_row([profile_id], |r| {
            Ok(Row {
                secret: r.get(0)?,
                codes: r.get(1)?,
                pending: r.get(2)?,
                last_step: r.get::<_, Option<i64>>(3)?.and_then(|s| u64::try_from(s).ok()),
                policy: TotpPolicy { required_for_export: r.get(4)?, required_for_reveal: r.get(5)? },
                failed_count: u32::try_from(r.get::<_, i64>(6)?).unwrap_or(u32::MAX),
                last_failed_at: r.get(7)?,
            })
        })
        .optional()?;
    row.ok_or_else(|| Error::corruption("the profile's settings row is missing"))
}

fn ctx<'a>(profile_id: &'a str, column: &'a str) -> SealContext<'a> {
    SealContext { profile_id, table: TABLE, column, row_id: profile_id }
}

#[derive(Serialize, Deserialize)]
struct StoredCodes {
    v: u8,
    sha256: Vec<String>,
}

fn now_unix() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

fn invalid() -> Error {
    Error::new(ErrorCode::TotpInvalid, "the code is not valid (wrong, expired or already used)")
}

fn not_enabled() -> Error {
    Error::new(ErrorCode::TotpNotEnabled, "TOTP is not enabled for this profile")
}

/// Keep only digits of a typed 6-digit code ("123 456" → "123456").
fn normalize_code(code: &str) -> Zeroizing<String> {
    Zeroizing::new(code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect())
}

fn row(vault: &Vault) -> Result<Row> {
    let id = vault.profile_id();
    vault.read(|conn| load(conn, &id))
}

/// Whether TOTP is on, as the vault records it.
pub(crate) fn enabled_in(conn: &Connection, profile_id: &str) -> Result<bool> {
    Ok(load(conn, profile_id)?.secret.is_some())
}

/// Index.db mirrors whether TOTP is on (so it can be shown before unlock);
/// the vault is the source of truth. Repair the mirror if a crash fell
/// between the two writes. Called right after unlock with what the vault
/// says ([`enabled_in`]).
pub(crate) fn sync_flag(vault: &Vault, enabled: bool) -> Result<()> {
    if enabled != vault.profile().totp_enabled {
        vault.set_totp_flag(enabled)?;
    }
    Ok(())
}

fn already_enabled() -> Error {
    Error::new(ErrorCode::TotpAlreadyEnabled, "TOTP is already enabled for this profile")
}

/// Start enrolling an authenticator: a new random secret, kept sealed as
/// pending (so a later process can confirm it) and returned once as
/// base32, otpauth URI and QR code. Starting again replaces the pending
/// secret. Nothing changes for unlocking until [`confirm`].
pub fn begin_enrollment(vault: &Vault) -> Result<Enrollment> {
    let profile = vault.profile();
    let secret: Zeroizing<[u8; SECRET_LEN]> = Zeroizing::new(crypto::random_bytes());
    let sealed = vault.field_key().seal(secret.as_slice(), ctx(&profile.id, PENDING_COL));
    vault.write(|w| {
        if load(w, &profile.id)?.secret.is_some() {
            return Err(already_enabled());
        }
        w.execute(
            "UPDATE profile_settings SET totp_pending_secret_enc = ?2, updated_at = ?3 WHERE profile_id = ?1",
            params![profile.id, sealed, crate::time::now()],
        )?;
        w.record(EventType::TotpEnroll, json!({}))
    })?;
    let b32 = SecretString::new(totp(secret.as_slice(), DIGITS).get_secret_base32());
    let uri = SecretString::new(otpauth_uri(&profile.display_name, b32.expose_secret()));
    let svg = SecretString::new(qr_svg(uri.expose_secret())?);
    Ok(Enrollment { secret_base32: b32, otpauth_uri: uri, qr_svg: svg })
}

/// Confirm the pending enrollment with a first code from the
/// authenticator: TOTP becomes enabled and 8 one-time recovery codes are
/// issued (returned once; stored only as hashes, sealed).
pub fn confirm(vault: &Vault, code: &str) -> Result<RecoveryCodes> {
    let profile_id = vault.profile_id();
    let codes = generate_recovery_codes();
    let stored = StoredCodes {
        v: 1,
        sha256: codes
            .iter()
            .filter_map(|c| normalize_recovery(c.expose_secret()))
            .map(|n| recovery_hash(&n))
            .collect(),
    };
    if stored.sha256.len() != RECOVERY_CODE_COUNT {
        return Err(Error::internal("a generated recovery code does not normalise"));
    }
    let sealed_codes = vault.field_key().seal(to_json(&stored)?.as_bytes(), ctx(&profile_id, CODES_COL));
    let confirmed = vault.write(|w| {
        let row = load(w, &profile_id)?;
        if row.secret.is_some() {
            return Err(already_enabled());
        }
        let Some(pending) = row.pending else {
            return Err(Error::new(
                ErrorCode::TotpNoPendingEnrollment,
                "no TOTP enrollment is waiting for a code",
            ));
        };
        let secret = vault.field_key().open(&pending, ctx(&profile_id, PENDING_COL))?;
        let Some(step) = verify(&secret, &normalize_code(code), now_unix(), None) else {
            w.record(EventType::TotpVerifyFailed, json!({ "purpose": "enroll" }))?;
            return Ok(false);
        };
        let sealed_secret = vault.field_key().seal(&secret, ctx(&profile_id, SECRET_COL));
        w.execute(
            "UPDATE profile_settings SET totp_secret_enc = ?2, recovery_codes_enc = ?3,
               totp_pending_secret_enc = NULL, totp_last_step = ?4, updated_at = ?5 WHERE profile_id = ?1",
            params![profile_id, sealed_secret, sealed_codes, step as i64, crate::time::now()],
        )?;
        w.record(EventType::TotpConfirm, json!({ "recovery_codes": RECOVERY_CODE_COUNT }))?;
        Ok(true)
    })?;
    if !confirmed {
        return Err(invalid());
    }
    vault.set_totp_flag(true)?;
    Ok(RecoveryCodes { codes })
}

/// Whether TOTP is on, pending, how many recovery codes are left, and
/// when a code is required.
pub fn status(vault: &Vault) -> Result<TotpStatus> {
    let row = row(vault)?;
    let remaining = match &row.codes {
        Some(blob) if row.secret.is_some() => open_codes(vault, blob)?.sha256.len() as u32,
        _ => 0,
    };
    Ok(TotpStatus {
        enabled: row.secret.is_some(),
        pending_enrollment: row.pending.is_some(),
        recovery_codes_remaining: remaining,
        policy: row.policy,
    })
}

fn open_codes(vault: &Vault, blob: &[u8]) -> Result<StoredCodes> {
    let plain = vault.field_key().open(blob, ctx(&vault.profile_id(), CODES_COL))?;
    serde_json::from_slice(&plain).map_err(|_| Error::corruption("the stored recovery codes are unreadable"))
}

/// Check a current code or a recovery code (which is then used up).
/// A code is accepted once: the same code, or one of an earlier step,
/// is refused afterwards. Failures are audited (never the code).
pub fn check_code(vault: &Vault, code: &str) -> Result<TotpVerified> {
    check(vault, code, "verify")
}

/// What one verification did, committed before it is reported.
enum Checked {
    Passed(TotpVerified),
    Refused { failed: u32, clock_behind: bool },
}

fn check(vault: &Vault, code: &str, purpose: &str) -> Result<TotpVerified> {
    if vault.read_only() {
        // A code's use must be stored for it to work once; there it cannot be.
        return Err(Error::new(
            ErrorCode::StorageReadOnly,
            "a TOTP code cannot be accepted on a read-only data folder: its use must be recorded so that it works only once",
        )
        .with_suggestion(
            "Copy the KeyClave data folder to a writable disk and point KEYCLAVE_HOME at the copy, or remount the disk read-write.",
        ));
    }
    let profile_id = vault.profile_id();
    let code6 = normalize_code(code);
    let recovery = normalize_recovery(code);
    // One write transaction: the row is read, the code checked and the
    // outcome stored without another verifier in between (a code, or a
    // recovery code, can only be used once).
    let checked = vault.write(|w| {
        let row = load(w, &profile_id)?;
        let Some(secret_blob) = row.secret else {
            return Err(not_enabled());
        };
        crate::backoff::check(
            row.failed_count,
            row.last_failed_at.as_deref(),
            Utc::now(),
            ErrorCode::TotpThrottled,
            "refused codes",
        )?;
        let outcome = if code6.len() == DIGITS && code6.bytes().all(|b| b.is_ascii_digit()) {
            let secret = vault.field_key().open(&secret_blob, ctx(&profile_id, SECRET_COL))?;
            match verify(&secret, &code6, now_unix(), row.last_step) {
                Some(step) => {
                    w.execute(
                        "UPDATE profile_settings SET totp_last_step = ?2 WHERE profile_id = ?1",
                        params![profile_id, step as i64],
                    )?;
                    Some(TotpVerified::Code)
                }
                None => None,
            }
        } else if let (Some(normalized), Some(blob)) = (recovery.as_ref(), row.codes.as_deref()) {
            let mut stored = open_codes(vault, blob)?;
            let hash = recovery_hash(normalized);
            match stored.sha256.iter().position(|h| ct_eq(h.as_bytes(), hash.as_bytes())) {
                Some(i) => {
                    stored.sha256.remove(i);
                    let remaining = stored.sha256.len() as u32;
                    let sealed =
                        vault.field_key().seal(to_json(&stored)?.as_bytes(), ctx(&profile_id, CODES_COL));
                    w.execute(
                        "UPDATE profile_settings SET recovery_codes_enc = ?2 WHERE profile_id = ?1",
                        params![profile_id, sealed],
                    )?;
                    w.record(
                        EventType::TotpRecoveryCodeUsed,
                        json!({ "purpose": purpose, "remaining": remaining }),
                    )?;
                    Some(TotpVerified::RecoveryCode { remaining })
                }
                None => None,
            }
        } else {
            None
        };
        match outcome {
            Some(v) => {
                if row.failed_count > 0 {
                    w.execute(
                        "UPDATE profile_settings SET totp_failed_count = 0, totp_last_failed_at = NULL
                         WHERE profile_id = ?1",
                        [&profile_id],
                    )?;
                }
                Ok(Checked::Passed(v))
            }
            None => {
                let failed = row.failed_count.saturating_add(1);
                w.execute(
                    "UPDATE profile_settings SET totp_failed_count = ?2, totp_last_failed_at = ?3
                     WHERE profile_id = ?1",
                    params![profile_id, failed, crate::time::now()],
                )?;
                w.record(
                    EventType::TotpVerifyFailed,
                    json!({ "purpose": purpose, "failed_attempts": failed }),
                )?;
                // A code was accepted at a later step than the clock now
                // reads: the clock was set back, and every code it makes
                // is "already used" until it catches up.
                let clock_behind = row.last_step.is_some_and(|last| now_unix() / PERIOD + 1 < last);
                Ok(Checked::Refused { failed, clock_behind })
            }
        }
    })?;
    match checked {
        Checked::Passed(v) => Ok(v),
        Checked::Refused { failed, clock_behind } => {
            let next = crate::backoff::delay_after(failed);
            let mut err = invalid();
            if clock_behind {
                err = err.with_suggestion(
                    "This computer's clock is behind the time of the last code accepted: set the clock right \
                     (or use a recovery code).",
                );
            }
            if !next.is_zero() {
                err = err.with_retry_after(next.as_secs());
            }
            Err(err)
        }
    }
}

/// Whether the policy asks for a code for `purpose` now (TOTP on and the
/// switch for it set).
pub fn is_required(vault: &Vault, purpose: TotpPurpose) -> Result<bool> {
    let row = row(vault)?;
    Ok(row.secret.is_some()
        && match purpose {
            TotpPurpose::Export => row.policy.required_for_export,
            TotpPurpose::Reveal => row.policy.required_for_reveal,
        })
}

/// The policy check before a guarded operation (see [`crate::reveal`]):
/// when TOTP is enabled and the policy requires it for `purpose`, `code`
/// must be a valid current code or an unused recovery code
/// (`totp.required` when missing, `totp.invalid` when wrong). Without TOTP
/// it always passes. `label` names the operation in messages and audit.
pub(crate) fn require(vault: &Vault, purpose: TotpPurpose, label: &str, code: Option<&str>) -> Result<()> {
    if !is_required(vault, purpose)? {
        return Ok(());
    }
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Err(Error::new(
            ErrorCode::TotpRequired,
            format!("TOTP is enabled for this profile: {label} needs a code"),
        )),
        Some(c) => check(vault, c, label).map(|_| ()),
    }
}

/// Change when a code is required. While TOTP is enabled the change
/// itself needs a valid code.
pub fn set_policy(vault: &Vault, policy: TotpPolicy, code: Option<&str>) -> Result<()> {
    if row(vault)?.secret.is_some() {
        let code = code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::new(ErrorCode::TotpRequired, "changing the TOTP policy needs a code"))?;
        check(vault, code, "policy")?;
    }
    let profile_id = vault.profile_id();
    vault.write(|w| {
        w.execute(
            "UPDATE profile_settings SET totp_required_for_export = ?2, totp_required_for_reveal = ?3,
               updated_at = ?4 WHERE profile_id = ?1",
            params![profile_id, policy.required_for_export, policy.required_for_reveal, crate::time::now()],
        )?;
        w.record(
            EventType::TotpPolicyUpdate,
            json!({
                "required_for_export": policy.required_for_export,
                "required_for_reveal": policy.required_for_reveal,
            }),
        )
    })
}

/// Turn TOTP off: needs the profile passphrase and a valid code (or a
/// recovery code, for a lost authenticator). The secret, recovery codes
/// and any pending enrollment are erased. The passphrase check (a KDF) runs
/// with no lock held.
pub fn disable(vault: &Vault, passphrase: &SecretString, code: &str) -> Result<()> {
    if row(vault)?.secret.is_none() {
        return Err(not_enabled());
    }
    crate::passphrase::check(vault, passphrase)?;
    check(vault, code, "disable")?;
    let profile_id = vault.profile_id();
    vault.write(|w| {
        w.execute(
            "UPDATE profile_settings SET totp_secret_enc = NULL, recovery_codes_enc = NULL,
               totp_pending_secret_enc = NULL, totp_last_step = NULL, totp_failed_count = 0,
               totp_last_failed_at = NULL, updated_at = ?2 WHERE profile_id = ?1",
            params![profile_id, crate::time::now()],
        )?;
        w.record(EventType::TotpDisable, json!({}))
    })?;
    vault.set_totp_flag(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 seed.
    const RFC_SECRET: &[u8] = b"12345678901234567890";
    /// (time, 8-digit code) from RFC 6238 appendix B, SHA-1 rows.
    const RFC_VECTORS: &[(u64, &str)] = &[
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_sha1_vectors_eight_digits() {
        for &(t, code) in RFC_VECTORS {
            assert_eq!(code_with_digits(RFC_SECRET, t, 8), code, "T={t}");
        }
    }

    #[test]
    fn rfc6238_sha1_vectors_six_digits_are_the_same_truncation() {
        // Both are the same 31-bit value mod 10^d, so the 6-digit code is
        // the last six digits of the 8-digit one.
        for &(t, code8) in RFC_VECTORS {
            assert_eq!(code_at(RFC_SECRET, t), code8[2..], "T={t}");
            assert_eq!(verify(RFC_SECRET, &code8[2..], t, None), Some(t / 30), "T={t}");
        }
    }

    #[test]
    fn skew_is_one_step_either_side() {
        let t = 1_234_567_890;
        let code = code_at(RFC_SECRET, t);
        let step = t / 30;
        assert_eq!(verify(RFC_SECRET, &code, t + 30, None), Some(step));
        assert_eq!(verify(RFC_SECRET, &code, t - 30, None), Some(step));
        assert_eq!(verify(RFC_SECRET, &code, t + 60, None), None);
        assert_eq!(verify(RFC_SECRET, &code, t - 60, None), None);
        // Near zero the window is clipped, not underflowed.
        assert_eq!(verify(RFC_SECRET, &code_at(RFC_SECRET, 0), 0, None), Some(0));
    }

    #[test]
    fn a_code_is_not_accepted_twice_nor_an_older_one() {
        let t = 1_234_567_890;
        let code = code_at(RFC_SECRET, t);
        let step = verify(RFC_SECRET, &code, t, None).unwrap();
        assert_eq!(verify(RFC_SECRET, &code, t, Some(step)), None, "replay");
        assert_eq!(verify(RFC_SECRET, &code, t + 10, Some(step)), None, "replay later in the window");
        let older = code_at(RFC_SECRET, t - 30);
        assert_eq!(verify(RFC_SECRET, &older, t, Some(step)), None, "older step");
        let next = code_at(RFC_SECRET, t + 30);
        assert_eq!(verify(RFC_SECRET, &next, t, Some(step)), Some(step + 1), "next step is fine");
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in ["", "12345", "1234567", "abcdef", "12345a", "١٢٣٤٥٦"] {
            assert_eq!(verify(RFC_SECRET, bad, 59, None), None, "{bad}");
        }
    }

    #[test]
    fn base32_round_trip_and_uri() {
        let b32 = totp(RFC_SECRET, 6).get_secret_base32();
        assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(secret_from_base32(&b32.to_lowercase()).unwrap().as_slice(), RFC_SECRET);
        assert!(secret_from_base32("not base32!").is_err());
        assert_eq!(
            otpauth_uri("My Work", &b32),
            "otpauth://totp/KeyClave:My%20Work?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=KeyClave&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&otpauth_uri("Work", &b32)).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{}", &svg[..80.min(svg.len())]);
    }

    #[test]
    fn recovery_codes_have_the_format_and_normalise() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), 8);
        for c in &codes {
            let s = c.expose_secret();
            assert_eq!(s.len(), 9);
            assert_eq!(&s[4..5], "-");
            assert!(s.bytes().filter(|&b| b != b'-').all(|b| RECOVERY_ALPHABET.contains(&b)), "{s}");
            let lower = s.to_lowercase().replace('-', " ");
            assert_eq!(
                normalize_recovery(&lower).as_deref().map(String::as_str),
                Some(s.replace('-', "").as_str())
            );
        }
        let unique: std::collections::HashSet<_> =
            codes.iter().map(|c| c.expose_secret().to_owned()).collect();
        assert_eq!(unique.len(), 8);
        assert!(normalize_recovery("ABCD-EFG0").is_none(), "0 is not in the alphabet");
        assert!(normalize_recovery("ABCD-EFG").is_none());
    }
}
