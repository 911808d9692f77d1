//! `.kcbundle`: secrets sealed under a password (v1) or to people's
//! public keys (v2), to move them between profiles or machines
//! (security.md, "`.kcbundle` v1").
//!
//! # Layout
//!
//! All integers are big-endian.
//!
//! ```text
//! offset  size        field
//! 0       4           magic "KCB1"
//! 4       2           u16 format version (1: password, 2: recipients)
//! 6       4           u32 header_len (1 ..= 64 KiB)
//! 10      header_len  header: JSON, UTF-8 (see BundleHeader)
//! 10+h    8           u64 ct_len (16 ..= 64 MiB + 16)
//! 18+h    ct_len      XChaCha20-Poly1305 ciphertext + 16-byte tag
//! ```
//!
//! Nothing may follow the ciphertext. The nonce is in the header; the
//! associated data is the whole prefix, magic through header, so no header
//! byte (expiry, count, KDF parameters, recipients) can change without the
//! AEAD failing.
//!
//! The key: in v1, Argon2id(password, salt) with the parameters in the
//! header's `kdf`. In v2, a random 32-byte file key, encrypted with the
//! `age` format to each X25519 recipient (`age1…`, see [`crate::identity`])
//! and stored in the header's `recipients.wrapped_key`; whoever holds one
//! of the identities recovers the file key, nobody needs a password.
//!
//! The plaintext is JSON `{"secrets":[{"provider_id","key_name","secret_value"}]}`
//! and nothing else: no notes, tags, environments or ids leave the vault.
//!
//! # Reading
//!
//! [`inspect`] checks the structure and returns the header without a
//! key. [`open`] also checks the expiry (before the costly KDF), then
//! decrypts. Each way to fail has its own [`ErrorCode`]: not a bundle,
//! unsupported version, malformed (structure or header), expired, wrong
//! password or tampered (AEAD cannot tell the two apart), not for this
//! profile, tampered (v2), malformed payload. Every length is
//! bounds-checked before use and the header's KDF cost is capped, so a
//! hostile file cannot make KeyClave allocate without limit.

mod transfer;

pub use transfer::{
    BundleExport, BundlePreview, BundleSelection, ExportSummary, PreviewEntry, export, import, preview_import,
};
// The decision types live in `conflict` (text imports share them); they stay
// reachable here for callers written against bundles.
pub use crate::conflict::{ConflictDecision, ImportCounts, ImportDecisions};

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

use crate::crypto::{self, KdfParams, NONCE_LEN, SALT_LEN, SecretString};
use crate::error::{Error, ErrorCode, Result};
use crate::secrets::{self, MAX_VALUE_LEN};

/// The four bytes every bundle starts with.
pub const MAGIC: &[u8; 4] = b"KCB1";
/// The format version of password bundles.
pub const VERSION: u16 = 1;
/// The format version of recipient bundles (the key wrapped with age).
pub const RECIPIENT_VERSION: u16 = 2;
/// Most recipients one bundle is encrypted to.
pub const MAX_RECIPIENTS: usize = 64;
/// `recipients.alg` of a v2 bundle.
pub const RECIPIENT_ALG: &str = "age-x25519";
/// Largest header accepted (64 KiB); real headers are a few hundred bytes.
pub const MAX_HEADER_LEN: u32 = 64 * 1024;
/// Largest payload (plaintext JSON) written or accepted: 64 MiB.
pub const MAX_PAYLOAD_LEN: u64 = 64 * 1024 * 1024;
/// Poly1305 tag length.
pub const TAG_LEN: u64 = 16;
/// Largest ciphertext accepted: the payload limit plus the tag.
pub const MAX_CIPHERTEXT_LEN: u64 = MAX_PAYLOAD_LEN + TAG_LEN;
/// Most secrets in one bundle.
pub const MAX_COUNT: u32 = 100_000;
/// Largest Argon2id memory cost a bundle header may ask for (1 GiB), well
/// above the 128 MiB default and far below what a hostile file would want.
pub const MAX_BUNDLE_M_KIB: u32 = 1024 * 1024;
/// Highest Argon2id iteration count a bundle header may ask for.
pub const MAX_BUNDLE_T: u32 = 32;
/// `kdf.alg` of a v1 bundle.
pub const KDF_ALG: &str = "argon2id";
/// `aead.alg` of a v1 bundle.
pub const AEAD_ALG: &str = "xchacha20poly1305";
/// `payload_type` of a v1 bundle.
pub const PAYLOAD_TYPE: &str = "secrets_v1";

/// magic + version + header_len.
const FIXED_PREFIX: usize = 4 + 2 + 4;
const MAX_SALT_LEN: usize = 64;

/// The non-secret header, readable without the password (and
/// authenticated by the AEAD once the password is known).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleHeader {
    /// Random UUID naming this bundle (used as the provenance label on import).
    pub bundle_id: String,
    /// When it was written (UTC, RFC 3339).
    pub created_at: String,
    /// After this instant (UTC, RFC 3339) the bundle is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// How the key is derived from the password (password bundles, v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<BundleKdf>,
    /// Whom the key is encrypted to (recipient bundles, v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<BundleRecipients>,
    /// How the payload is sealed.
    pub aead: BundleAead,
    /// Always `secrets_v1`.
    pub payload_type: String,
    /// Number of secrets inside.
    pub count: u32,
}

/// Argon2id parameters and salt of a bundle.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleKdf {
    /// Always `argon2id`.
    pub alg: String,
    /// Memory in KiB.
    pub m: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// Salt, lower-case hex (16 random bytes when KeyClave writes it).
    pub salt: String,
}

/// The file key of a recipient bundle, encrypted with age.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleRecipients {
    /// Always `age-x25519`.
    pub alg: String,
    /// How many recipients can open it (age does not say who they are).
    pub count: u32,
    /// The age file holding the 32-byte key, base64 (standard, padded).
    pub wrapped_key: String,
}

/// How a bundle is opened: with a password, or with a profile's identity.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BundleMode {
    /// v1: the person types the bundle password.
    Password,
    /// v2: the key is encrypted to recipients; no password.
    Recipients,
}

/// The key material to seal a bundle with.
#[derive(Debug, Clone, Copy)]
pub enum BundleKey<'a> {
    /// A password and the Argon2id costs for it.
    Password {
        /// The bundle password (at least 8 characters).
        password: &'a SecretString,
        /// [`KdfParams::DEFAULT`] unless testing.
        kdf: KdfParams,
    },
    /// Recipient strings (`age1…`), at least one.
    Recipients(&'a [String]),
}

/// What opens a bundle.
#[derive(Clone, Copy)]
pub enum BundleOpener<'a> {
    /// The password of a v1 bundle.
    Password(&'a SecretString),
    /// The identity of the profile importing a v2 bundle (`None`: it has none).
    Identity(Option<&'a age::x25519::Identity>),
}

/// AEAD algorithm and nonce of a bundle.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleAead {
    /// Always `xchacha20poly1305`.
    pub alg: String,
    /// 24-byte nonce, lower-case hex.
    pub nonce: String,
}

impl BundleHeader {
    /// The KDF parameters as KeyClave's type (`None` for a recipient bundle).
    pub fn kdf_params(&self) -> Option<KdfParams> {
        self.kdf.as_ref().map(|k| KdfParams { m_kib: k.m, t: k.t, p: k.p })
    }

    /// Whether a password or the profile's identity opens the bundle.
    pub fn mode(&self) -> BundleMode {
        if self.recipients.is_some() { BundleMode::Recipients } else { BundleMode::Password }
    }

    /// The expiry, parsed (`None` when the bundle never expires).
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        self.expires_at.as_deref().and_then(crate::time::parse)
    }

    /// Whether the bundle has expired at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires().is_some_and(|e| e <= now)
    }

    /// Whether the bundle has expired by the system clock.
    pub fn is_expired_now(&self) -> bool {
        self.is_expired(Utc::now())
    }
}

/// One secret inside a bundle. The value is a [`SecretString`]; Debug
/// masks it.
pub struct BundleSecret {
    /// Provider id (`generic` when unassigned).
    pub provider_id: String,
    /// Env var name.
    pub key_name: String,
    /// The value.
    pub secret_value: SecretString,
}

impl fmt::Debug for BundleSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleSecret")
            .field("provider_id", &self.provider_id)
            .field("key_name", &self.key_name)
            .field("secret_value", &"***")
            .finish()
    }
}

// --- errors -----------------------------------------------------------------

fn not_a_bundle(why: &str) -> Error {
    Error::new(ErrorCode::ImportNotABundle, format!("this file is not a KeyClave bundle ({why})"))
}

fn malformed(why: impl AsRef<str>) -> Error {
    Error::new(ErrorCode::ImportBundleMalformed, format!("the bundle is damaged: {}", why.as_ref()))
}

fn malformed_payload(why: impl AsRef<str>) -> Error {
    Error::new(
        ErrorCode::ImportBundleMalformedPayload,
        format!("the bundle decrypted but its contents are invalid: {}", why.as_ref()),
    )
}

fn not_for_this_profile() -> Error {
    Error::new(
        ErrorCode::ImportBundleNotForThisProfile,
        "the bundle was not encrypted to this profile's recipient",
    )
}

fn tampered() -> Error {
    Error::new(ErrorCode::ImportBundleTampered, "the bundle cannot be decrypted: the file was modified")
}

fn wrong_password_or_tampered() -> Error {
    Error::new(
        ErrorCode::ImportBundleWrongPasswordOrTampered,
        "the bundle cannot be decrypted: either the password is wrong or the file was modified \
         (the encryption cannot tell these two apart)",
    )
}

// --- writing ----------------------------------------------------------------

#[derive(Serialize)]
struct PayloadOut<'a> {
    secrets: Vec<SecretOut<'a>>,
}

#[derive(Serialize)]
struct SecretOut<'a> {
    provider_id: &'a str,
    key_name: &'a str,
    secret_value: &'a str,
}

/// Check the KDF parameters of a bundle (read or written): within
/// [`KdfParams::validate`] and under the bundle caps.
pub fn validate_kdf_params(params: KdfParams) -> Result<()> {
    params.validate()?;
    if params.m_kib > MAX_BUNDLE_M_KIB || params.t > MAX_BUNDLE_T {
        return Err(Error::invalid(format!(
            "bundle KDF parameters are too costly (m={} KiB, t={}); at most {} MiB and t={}",
            params.m_kib,
            params.t,
            MAX_BUNDLE_M_KIB / 1024,
            MAX_BUNDLE_T
        )));
    }
    Ok(())
}

fn check_secret_fields(provider_id: &str, key_name: &str, value: &SecretString) -> Result<(), String> {
    secrets::validate_key_name(key_name).map_err(|_| "a key name is not a valid name".to_owned())?;
    if provider_id.is_empty()
        || provider_id.len() > 64
        || !provider_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b))
    {
        return Err(format!("{key_name}: the provider id is not valid"));
    }
    if value.expose_secret().trim().is_empty() {
        return Err(format!("{key_name}: the value is empty"));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(format!("{key_name}: the value is larger than 1 MiB"));
    }
    Ok(())
}

/// The key checked and ready: recipients parsed, password and costs valid.
enum Sealing<'a> {
    Password { password: &'a SecretString, kdf: KdfParams },
    Recipients(Vec<age::x25519::Recipient>),
}

fn prepare(key: BundleKey<'_>) -> Result<Sealing<'_>> {
    match key {
        BundleKey::Password { password, kdf } => {
            crate::profile::validate_bundle_password(password)?;
            validate_kdf_params(kdf)?;
            Ok(Sealing::Password { password, kdf })
        }
        BundleKey::Recipients(texts) => {
            let mut out: Vec<age::x25519::Recipient> = Vec::with_capacity(texts.len());
            for t in texts {
                let r = crate::identity::parse_recipient(t)?;
                if !out.iter().any(|o| o.to_string() == r.to_string()) {
                    out.push(r);
                }
            }
            if out.is_empty() {
                return Err(Error::invalid("a recipient bundle needs at least one recipient"));
            }
            if out.len() > MAX_RECIPIENTS {
                return Err(Error::invalid(format!("a bundle can have at most {MAX_RECIPIENTS} recipients")));
            }
            Ok(Sealing::Recipients(out))
        }
    }
}

/// Check a bundle key before any secret is decrypted for it (a bad
/// recipient or a short password fails first).
pub fn check_key(key: BundleKey<'_>) -> Result<()> {
    prepare(key).map(|_| ())
}

/// Seal `secrets` into a bundle: v1 under a password, v2 to recipients.
///
/// `expires_at`, when given, must be in the future.
pub fn write_bundle(
    secrets: &[BundleSecret],
    key: BundleKey<'_>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Vec<u8>> {
    let sealing = prepare(key)?;
    let now = Utc::now();
    if expires_at.is_some_and(|e| e <= now) {
        return Err(Error::invalid("the expiry date of the bundle is in the past"));
    }
    let count = u32::try_from(secrets.len())
        .ok()
        .filter(|&c| c <= MAX_COUNT)
        .ok_or_else(|| Error::invalid(format!("a bundle holds at most {MAX_COUNT} secrets")))?;
    let mut seen = std::collections::HashSet::new();
    for s in secrets {
        check_secret_fields(&s.provider_id, &s.key_name, &s.secret_value).map_err(Error::invalid)?;
        if !seen.insert((s.provider_id.as_str(), s.key_name.as_str())) {
            return Err(Error::invalid(format!("{} ({}) is listed twice", s.key_name, s.provider_id)));
        }
    }

    // Plaintext in a zeroizing buffer sized up front (JSON escaping can at
    // most double a typical value), so growth rarely leaves copies behind.
    let estimate: usize =
        secrets.iter().map(|s| 2 * s.secret_value.len() + s.key_name.len() + s.provider_id.len() + 64).sum();
    let mut plaintext = Zeroizing::new(Vec::with_capacity(estimate + 16));
    let out = PayloadOut {
        secrets: secrets
            .iter()
            .map(|s| SecretOut {
                provider_id: &s.provider_id,
                key_name: &s.key_name,
                secret_value: s.secret_value.expose_secret(),
            })
            .collect(),
    };
    serde_json::to_writer(&mut *plaintext, &out)
        .map_err(|e| Error::internal(format!("cannot encode the bundle payload: {e}")))?;
    if plaintext.len() as u64 > MAX_PAYLOAD_LEN {
        return Err(Error::invalid("the selected secrets are too large for one bundle (64 MiB)"));
    }
    seal(&plaintext, count, &sealing, now, expires_at)
}

/// Encrypt a 32-byte file key to recipients as an age file (binary).
fn wrap_file_key(file_key: &[u8; 32], recipients: &[age::x25519::Recipient]) -> Result<Vec<u8>> {
    use std::io::Write as _;
    let failed = |e: &dyn fmt::Display| Error::internal(format!("cannot encrypt the bundle key: {e}"));
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| failed(&e))?;
    let mut wrapped = Vec::with_capacity(256 * recipients.len());
    let mut w = encryptor.wrap_output(&mut wrapped).map_err(|e| failed(&e))?;
    w.write_all(file_key).map_err(|e| failed(&e))?;
    w.finish().map_err(|e| failed(&e))?;
    Ok(wrapped)
}

/// Recover the file key of a recipient bundle with `identity`.
fn unwrap_file_key(wrapped: &[u8], identity: Option<&age::x25519::Identity>) -> Result<Zeroizing<[u8; 32]>> {
    use std::io::Read as _;
    let decryptor = age::Decryptor::new(wrapped).map_err(|_| tampered())?;
    if decryptor.is_scrypt() {
        return Err(malformed("the key is not encrypted to recipients"));
    }
    let Some(identity) = identity else { return Err(not_for_this_profile()) };
    let mut reader =
        decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => not_for_this_profile(),
            _ => tampered(),
        })?;
    let mut key = Zeroizing::new([0u8; 32]);
    reader.read_exact(&mut key[..]).map_err(|_| tampered())?;
    // Exactly 32 bytes: a longer age payload is not a KeyClave bundle key.
    let mut rest = [0u8; 1];
    if reader.read(&mut rest).map_err(|_| tampered())? != 0 {
        return Err(tampered());
    }
    Ok(key)
}

/// Frame and seal an encoded payload (the writer's second half; tests use
/// it to seal payloads the writer would refuse).
fn seal(
    plaintext: &[u8],
    count: u32,
    sealing: &Sealing<'_>,
    now: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = crypto::random_bytes();
    let mut header = BundleHeader {
        bundle_id: uuid::Uuid::new_v4().to_string(),
        created_at: crate::time::format(now),
        expires_at: expires_at.map(crate::time::format),
        kdf: None,
        recipients: None,
        aead: BundleAead { alg: AEAD_ALG.into(), nonce: hex::encode(nonce) },
        payload_type: PAYLOAD_TYPE.into(),
        count,
    };
    let (version, key): (u16, Zeroizing<[u8; 32]>) = match sealing {
        Sealing::Password { password, kdf } => {
            let salt: [u8; SALT_LEN] = crypto::random_bytes();
            header.kdf = Some(BundleKdf {
                alg: KDF_ALG.into(),
                m: kdf.m_kib,
                t: kdf.t,
                p: kdf.p,
                salt: hex::encode(salt),
            });
            let kek = crypto::derive_kek(password.expose_secret().as_bytes(), &salt, *kdf)?;
            (VERSION, Zeroizing::new(*kek.expose_secret()))
        }
        Sealing::Recipients(recipients) => {
            let file_key: Zeroizing<[u8; 32]> = Zeroizing::new(crypto::random_bytes());
            let wrapped = wrap_file_key(&file_key, recipients)?;
            header.recipients = Some(BundleRecipients {
                alg: RECIPIENT_ALG.into(),
                count: recipients.len() as u32,
                wrapped_key: base64::engine::general_purpose::STANDARD.encode(wrapped),
            });
            (RECIPIENT_VERSION, file_key)
        }
    };
    let header_json = serde_json::to_vec(&header)
        .map_err(|e| Error::internal(format!("cannot encode the bundle header: {e}")))?;
    let header_len = u32::try_from(header_json.len())
        .ok()
        .filter(|&l| l <= MAX_HEADER_LEN)
        .ok_or_else(|| Error::internal("the bundle header is too large"))?;

    let mut out = Vec::with_capacity(FIXED_PREFIX + header_json.len() + 8 + plaintext.len() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(&header_json);

    let cipher = XChaCha20Poly1305::new(Key::from_slice(&key[..]));
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &out })
        .map_err(|_| Error::internal("bundle encryption failed"))?;
    drop(key);
    out.extend_from_slice(&(ciphertext.len() as u64).to_be_bytes());
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

// --- reading ----------------------------------------------------------------

/// A parsed, structurally valid bundle: borrowed slices into the file.
struct Parsed<'a> {
    header: BundleHeader,
    /// magic through header: the associated data.
    aad: &'a [u8],
    ciphertext: &'a [u8],
    key: StoredKey,
    nonce: [u8; NONCE_LEN],
}

/// Where the key of a parsed bundle comes from.
enum StoredKey {
    /// v1: the Argon2id salt (the costs are in the header).
    Salt(Vec<u8>),
    /// v2: the age file holding the file key.
    Wrapped(Vec<u8>),
}

fn take<'a>(bytes: &'a [u8], at: usize, n: usize, what: &str) -> Result<&'a [u8]> {
    at.checked_add(n)
        .and_then(|end| bytes.get(at..end))
        .ok_or_else(|| malformed(format!("the file ends inside the {what} (truncated)")))
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(not_a_bundle(if bytes.len() < MAGIC.len() { "too short" } else { "wrong magic bytes" }));
    }
    let version_bytes = take(bytes, 4, 2, "version")?;
    let version = u16::from_be_bytes([version_bytes[0], version_bytes[1]]);
    if version != VERSION && version != RECIPIENT_VERSION {
        return Err(Error::new(
            ErrorCode::ImportBundleUnsupportedVersion,
            format!(
                "the bundle is format version {version}; this KeyClave reads versions {VERSION} and {RECIPIENT_VERSION}"
            ),
        ));
    }
    let len_bytes = take(bytes, 6, 4, "header length")?;
    let header_len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
    if header_len == 0 || header_len > MAX_HEADER_LEN {
        return Err(malformed(format!("the header length {header_len} is out of range")));
    }
    let header_bytes = take(bytes, FIXED_PREFIX, header_len as usize, "header")?;
    let header_end = FIXED_PREFIX + header_len as usize;
    let header: BundleHeader = serde_json::from_slice(header_bytes)
        .map_err(|e| malformed(format!("the header is not valid: {e}")))?;
    let (key, nonce) = validate_header(&header, version)?;

    let ct_len_bytes = take(bytes, header_end, 8, "ciphertext length")?;
    let mut be = [0u8; 8];
    be.copy_from_slice(ct_len_bytes);
    let ct_len = u64::from_be_bytes(be);
    if !(TAG_LEN..=MAX_CIPHERTEXT_LEN).contains(&ct_len) {
        return Err(malformed(format!("the ciphertext length {ct_len} is out of range")));
    }
    let ct_start = header_end + 8;
    let ciphertext = take(bytes, ct_start, ct_len as usize, "ciphertext")?;
    if bytes.len() != ct_start + ct_len as usize {
        return Err(malformed("unexpected bytes after the ciphertext"));
    }
    Ok(Parsed { header, aad: &bytes[..header_end], ciphertext, key, nonce })
}

fn validate_header(h: &BundleHeader, version: u16) -> Result<(StoredKey, [u8; NONCE_LEN])> {
    if h.payload_type != PAYLOAD_TYPE {
        return Err(malformed("unknown payload type"));
    }
    if h.aead.alg != AEAD_ALG {
        return Err(malformed("unknown encryption algorithm"));
    }
    let key = match (version, &h.kdf, &h.recipients) {
        (VERSION, Some(kdf), None) => {
            if kdf.alg != KDF_ALG {
                return Err(malformed("unknown key derivation algorithm"));
            }
            validate_kdf_params(KdfParams { m_kib: kdf.m, t: kdf.t, p: kdf.p })
                .map_err(|e| malformed(e.message()))?;
            let salt = hex::decode(&kdf.salt).map_err(|_| malformed("the salt is not hex"))?;
            if !(SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
                return Err(malformed("the salt has the wrong length"));
            }
            StoredKey::Salt(salt)
        }
        (RECIPIENT_VERSION, None, Some(r)) => {
            if r.alg != RECIPIENT_ALG {
                return Err(malformed("unknown recipient algorithm"));
            }
            if r.count == 0 || r.count as usize > MAX_RECIPIENTS {
                return Err(malformed("the recipient count is out of range"));
            }
            let wrapped = base64::engine::general_purpose::STANDARD
                .decode(&r.wrapped_key)
                .map_err(|_| malformed("the wrapped key is not base64"))?;
            StoredKey::Wrapped(wrapped)
        }
        (VERSION, _, _) => return Err(malformed("a password bundle needs exactly its KDF parameters")),
        _ => return Err(malformed("a recipient bundle needs exactly its recipients")),
    };
    let nonce_vec = hex::decode(&h.aead.nonce).map_err(|_| malformed("the nonce is not hex"))?;
    let nonce: [u8; NONCE_LEN] =
        nonce_vec.as_slice().try_into().map_err(|_| malformed("the nonce has the wrong length"))?;
    if h.count > MAX_COUNT {
        return Err(malformed("the header announces too many secrets"));
    }
    if uuid::Uuid::parse_str(&h.bundle_id).is_err() {
        return Err(malformed("the bundle id is not a UUID"));
    }
    if crate::time::parse(&h.created_at).is_none() {
        return Err(malformed("the creation date is not a date"));
    }
    if h.expires_at.as_deref().is_some_and(|e| crate::time::parse(e).is_none()) {
        return Err(malformed("the expiry date is not a date"));
    }
    Ok((key, nonce))
}

/// Check a bundle's structure and return its header. Needs no password;
/// says nothing about whether the contents are authentic.
pub fn inspect(bytes: &[u8]) -> Result<BundleHeader> {
    parse(bytes).map(|p| p.header)
}

/// Decrypt a bundle: its secrets, in the order written.
pub fn open(bytes: &[u8], opener: BundleOpener<'_>, now: DateTime<Utc>) -> Result<Vec<BundleSecret>> {
    open_with_header(bytes, opener, now).map(|(_, secrets)| secrets)
}

/// Decrypt a bundle: its header (now authenticated) and its secrets.
pub fn open_with_header(
    bytes: &[u8],
    opener: BundleOpener<'_>,
    now: DateTime<Utc>,
) -> Result<(BundleHeader, Vec<BundleSecret>)> {
    let parsed = parse(bytes)?;
    // Before the KDF: an expired bundle costs nothing to refuse.
    if parsed.header.is_expired(now) {
        let when = parsed.header.expires_at.clone().unwrap_or_default();
        return Err(Error::new(ErrorCode::ImportBundleExpired, format!("the bundle expired at {when}")));
    }
    let (key, failed): (Zeroizing<[u8; 32]>, fn() -> Error) = match (&parsed.key, opener) {
        (StoredKey::Salt(salt), BundleOpener::Password(password)) => {
            let params = parsed.header.kdf_params().ok_or_else(|| malformed("no KDF parameters"))?;
            let kek = crypto::derive_kek(password.expose_secret().as_bytes(), salt, params)?;
            (Zeroizing::new(*kek.expose_secret()), wrong_password_or_tampered)
        }
        (StoredKey::Wrapped(wrapped), BundleOpener::Identity(identity)) => {
            (unwrap_file_key(wrapped, identity)?, tampered)
        }
        (StoredKey::Salt(_), BundleOpener::Identity(_)) => {
            return Err(Error::invalid("this bundle is sealed with a password; give the bundle password"));
        }
        (StoredKey::Wrapped(_), BundleOpener::Password(_)) => {
            return Err(Error::invalid("this bundle is encrypted to recipients; it needs no password"));
        }
    };
    let cipher = XChaCha20Poly1305::new(Key::from_slice(&key[..]));
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&parsed.nonce), Payload { msg: parsed.ciphertext, aad: parsed.aad })
            .map_err(|_| failed())?,
    );
    drop(key);
    let secrets = decode_payload(&plaintext, parsed.header.count)?;
    Ok((parsed.header, secrets))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayloadIn {
    secrets: Vec<SecretIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretIn {
    provider_id: String,
    key_name: String,
    secret_value: SecretField,
}

/// Deserialises straight into a [`SecretString`], so a value is wiped on
/// drop even when a later entry fails to parse.
struct SecretField(SecretString);

impl<'de> Deserialize<'de> for SecretField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SecretField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<SecretField, E> {
                Ok(SecretField(SecretString::new(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<SecretField, E> {
                Ok(SecretField(SecretString::new(v)))
            }
        }
        d.deserialize_string(V)
    }
}

fn decode_payload(plaintext: &[u8], count: u32) -> Result<Vec<BundleSecret>> {
    // serde_json's messages can quote input (a value): report only where.
    let payload: PayloadIn = serde_json::from_slice(plaintext).map_err(|e| {
        malformed_payload(format!("not the expected JSON (line {}, column {})", e.line(), e.column()))
    })?;
    if payload.secrets.len() != count as usize {
        return Err(malformed_payload(format!(
            "the header announces {count} secrets but the payload holds {}",
            payload.secrets.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(payload.secrets.len());
    for s in payload.secrets {
        check_secret_fields(&s.provider_id, &s.key_name, &s.secret_value.0).map_err(malformed_payload)?;
        if !seen.insert((s.provider_id.clone(), s.key_name.clone())) {
            return Err(malformed_payload(format!("{} ({}) is listed twice", s.key_name, s.provider_id)));
        }
        out.push(BundleSecret {
            provider_id: s.provider_id,
            key_name: s.key_name,
            secret_value: s.secret_value.0,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

    fn pw() -> SecretString {
        SecretString::from("bundle password 1")
    }

    fn one() -> Vec<BundleSecret> {
        vec![BundleSecret {
            provider_id: "github".into(),
            key_name: "GH_TOKEN".into(),
            secret_value: "ghp_unit0123456789abcdef".into(),
        }]
    }

    #[test]
    fn layout_is_as_documented() {
        let b = write_bundle(&one(), BundleKey::Password { password: &pw(), kdf: CHEAP }, None).unwrap();
        assert_eq!(&b[..4], b"KCB1");
        assert_eq!(u16::from_be_bytes([b[4], b[5]]), 1);
        let h = u32::from_be_bytes([b[6], b[7], b[8], b[9]]) as usize;
        let header: serde_json::Value = serde_json::from_slice(&b[10..10 + h]).unwrap();
        assert_eq!(header["payload_type"], "secrets_v1");
        assert_eq!(header["kdf"]["alg"], "argon2id");
        assert_eq!(header["aead"]["alg"], "xchacha20poly1305");
        assert_eq!(header["count"], 1);
        assert!(header.get("expires_at").is_none());
        let ct_len = u64::from_be_bytes(b[10 + h..18 + h].try_into().unwrap()) as usize;
        assert_eq!(b.len(), 18 + h + ct_len);
    }

    #[test]
    fn debug_masks_values() {
        let s = format!("{:?}", one());
        assert!(!s.contains("ghp_unit"), "{s}");
    }

    #[test]
    fn a_payload_that_decrypts_but_is_wrong_is_malformed_payload() {
        let now = Utc::now();
        let password = pw();
        let sealing = Sealing::Password { password: &password, kdf: CHEAP };
        let v = r#"{"provider_id":"github","key_name":"GH_TOKEN","secret_value":"ghp_x123"}"#;
        let cases: &[(&str, u32)] = &[
            ("not json", 1),
            (r#"{"secrets":[]}"#, 1),
            (&format!(r#"{{"secrets":[{v}]}}"#), 2),
            (&format!(r#"{{"secrets":[{v},{v}]}}"#), 2),
            (r#"{"secrets":[{"provider_id":"github","key_name":"9BAD","secret_value":"x"}]}"#, 1),
            (r#"{"secrets":[{"provider_id":"github","key_name":"OK","secret_value":"  "}]}"#, 1),
            (r#"{"secrets":[{"provider_id":"Not Valid","key_name":"OK","secret_value":"x"}]}"#, 1),
            (r#"{"secrets":[{"provider_id":"github","key_name":"OK","secret_value":5}]}"#, 1),
            (r#"{"secrets":[{"provider_id":"github","key_name":"OK","secret_value":"x","notes":"n"}]}"#, 1),
            (r#"{"secrets":[],"extra":1}"#, 0),
            (r#"{"secrets":"ghp_shouldNotLeak0123456789"}"#, 0),
        ];
        for (payload, count) in cases {
            let b = seal(payload.as_bytes(), *count, &sealing, now, None).unwrap();
            let e = open(&b, BundleOpener::Password(&pw()), now).unwrap_err();
            assert_eq!(e.code(), ErrorCode::ImportBundleMalformedPayload, "{payload}");
            assert!(!e.message().contains("ghp_"), "{}", e.message());
        }
        // And a well-formed one sealed the same way opens.
        let b = seal(format!(r#"{{"secrets":[{v}]}}"#).as_bytes(), 1, &sealing, now, None).unwrap();
        assert_eq!(open(&b, BundleOpener::Password(&pw()), now).unwrap()[0].key_name, "GH_TOKEN");
    }

    #[test]
    fn write_checks_input() {
        let short = SecretString::from("short");
        assert_eq!(
            write_bundle(&one(), BundleKey::Password { password: &short, kdf: CHEAP }, None)
                .unwrap_err()
                .code(),
            ErrorCode::PassphraseTooShort
        );
        let past = Utc::now() - chrono::Duration::seconds(1);
        assert_eq!(
            write_bundle(&one(), BundleKey::Password { password: &pw(), kdf: CHEAP }, Some(past))
                .unwrap_err()
                .code(),
            ErrorCode::InputInvalid
        );
        let costly = KdfParams { m_kib: MAX_BUNDLE_M_KIB + 1, t: 1, p: 1 };
        assert_eq!(
            write_bundle(&one(), BundleKey::Password { password: &pw(), kdf: costly }, None)
                .unwrap_err()
                .code(),
            ErrorCode::InputInvalid
        );
        let mut twice = one();
        twice.extend(one());
        assert_eq!(
            write_bundle(&twice, BundleKey::Password { password: &pw(), kdf: CHEAP }, None)
                .unwrap_err()
                .code(),
            ErrorCode::InputInvalid
        );
    }
}
