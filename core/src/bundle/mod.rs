//! `.kcbundle` v1: secrets sealed under a password, to move them between
//! profiles or machines (security.md, "`.kcbundle` v1").
//!
//! # Layout
//!
//! All integers are big-endian.
//!
//! ```text
//! offset  size        field
//! 0       4           magic "KCB1"
//! 4       2           u16 format version (1)
//! 6       4           u32 header_len (1 ..= 64 KiB)
//! 10      header_len  header: JSON, UTF-8 (see BundleHeader)
//! 10+h    8           u64 ct_len (16 ..= 64 MiB + 16)
//! 18+h    ct_len      XChaCha20-Poly1305 ciphertext + 16-byte tag
//! ```
//!
//! Nothing may follow the ciphertext. The key is Argon2id(password, salt)
//! with the parameters in the header; the nonce is in the header; the
//! associated data is the whole prefix, magic through header, so no header
//! byte (expiry, count, KDF parameters) can change without the AEAD failing.
//!
//! The plaintext is JSON `{"secrets":[{"provider_id","key_name","secret_value"}]}`
//! and nothing else: no notes, tags, environments or ids leave the vault.
//!
//! # Reading
//!
//! [`inspect`] checks the structure and returns the header without a
//! password. [`open`] also checks the expiry (before the costly KDF), then
//! decrypts. Each way to fail has its own [`ErrorCode`]: not a bundle,
//! unsupported version, malformed (structure or header), expired, wrong
//! password or tampered (AEAD cannot tell the two apart), malformed payload.
//! Every length is bounds-checked before use and the header's KDF cost is
//! capped, so a hostile file cannot make KeyClave allocate without limit.

mod transfer;

pub use transfer::{
    BundleExport, BundlePreview, BundleSelection, ExportSummary, PreviewEntry, export, import, preview_import,
};
// The decision types live in `conflict` (text imports share them); they stay
// reachable here for callers written against bundles.
pub use crate::conflict::{ConflictDecision, ImportCounts, ImportDecisions};

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
/// The format version this module writes and reads.
pub const VERSION: u16 = 1;
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
    /// How the key is derived from the password.
    pub kdf: BundleKdf,
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
    /// The KDF parameters as KeyClave's type.
    pub fn kdf_params(&self) -> KdfParams {
        KdfParams { m_kib: self.kdf.m, t: self.kdf.t, p: self.kdf.p }
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

/// Seal `secrets` under `password` into a v1 bundle.
///
/// `params` are the Argon2id costs (use [`KdfParams::DEFAULT`]; tests pass
/// cheap ones); `expires_at`, when given, must be in the future.
pub fn write_bundle(
    secrets: &[BundleSecret],
    password: &SecretString,
    params: KdfParams,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Vec<u8>> {
    crate::profile::validate_bundle_password(password)?;
    validate_kdf_params(params)?;
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
    seal(&plaintext, count, password, params, now, expires_at)
}

/// Frame and seal an encoded payload (the writer's second half; tests use
/// it to seal payloads the writer would refuse).
fn seal(
    plaintext: &[u8],
    count: u32,
    password: &SecretString,
    params: KdfParams,
    now: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Vec<u8>> {
    let salt: [u8; SALT_LEN] = crypto::random_bytes();
    let nonce: [u8; NONCE_LEN] = crypto::random_bytes();
    let header = BundleHeader {
        bundle_id: uuid::Uuid::new_v4().to_string(),
        created_at: crate::time::format(now),
        expires_at: expires_at.map(crate::time::format),
        kdf: BundleKdf {
            alg: KDF_ALG.into(),
            m: params.m_kib,
            t: params.t,
            p: params.p,
            salt: hex::encode(salt),
        },
        aead: BundleAead { alg: AEAD_ALG.into(), nonce: hex::encode(nonce) },
        payload_type: PAYLOAD_TYPE.into(),
        count,
    };
    let header_json = serde_json::to_vec(&header)
        .map_err(|e| Error::internal(format!("cannot encode the bundle header: {e}")))?;
    let header_len = u32::try_from(header_json.len())
        .ok()
        .filter(|&l| l <= MAX_HEADER_LEN)
        .ok_or_else(|| Error::internal("the bundle header is too large"))?;

    let mut out = Vec::with_capacity(FIXED_PREFIX + header_json.len() + 8 + plaintext.len() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(&header_json);

    let kek = crypto::derive_kek(password.expose_secret().as_bytes(), &salt, params)?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(kek.expose_secret()));
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &out })
        .map_err(|_| Error::internal("bundle encryption failed"))?;
    drop(kek);
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
    salt: Vec<u8>,
    nonce: [u8; NONCE_LEN],
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
    if version != VERSION {
        return Err(Error::new(
            ErrorCode::ImportBundleUnsupportedVersion,
            format!("the bundle is format version {version}; this KeyClave reads version {VERSION}"),
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
    let (salt, nonce) = validate_header(&header)?;

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
    Ok(Parsed { header, aad: &bytes[..header_end], ciphertext, salt, nonce })
}

fn validate_header(h: &BundleHeader) -> Result<(Vec<u8>, [u8; NONCE_LEN])> {
    if h.payload_type != PAYLOAD_TYPE {
        return Err(malformed("unknown payload type"));
    }
    if h.kdf.alg != KDF_ALG {
        return Err(malformed("unknown key derivation algorithm"));
    }
    if h.aead.alg != AEAD_ALG {
        return Err(malformed("unknown encryption algorithm"));
    }
    validate_kdf_params(h.kdf_params()).map_err(|e| malformed(e.message()))?;
    let salt = hex::decode(&h.kdf.salt).map_err(|_| malformed("the salt is not hex"))?;
    if !(SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
        return Err(malformed("the salt has the wrong length"));
    }
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
    Ok((salt, nonce))
}

/// Check a bundle's structure and return its header. Needs no password;
/// says nothing about whether the contents are authentic.
pub fn inspect(bytes: &[u8]) -> Result<BundleHeader> {
    parse(bytes).map(|p| p.header)
}

/// Decrypt a bundle: its secrets, in the order written.
pub fn open(bytes: &[u8], password: &SecretString, now: DateTime<Utc>) -> Result<Vec<BundleSecret>> {
    open_with_header(bytes, password, now).map(|(_, secrets)| secrets)
}

/// Decrypt a bundle: its header (now authenticated) and its secrets.
pub fn open_with_header(
    bytes: &[u8],
    password: &SecretString,
    now: DateTime<Utc>,
) -> Result<(BundleHeader, Vec<BundleSecret>)> {
    let parsed = parse(bytes)?;
    // Before the KDF: an expired bundle costs nothing to refuse.
    if parsed.header.is_expired(now) {
        let when = parsed.header.expires_at.clone().unwrap_or_default();
        return Err(Error::new(ErrorCode::ImportBundleExpired, format!("the bundle expired at {when}")));
    }
    let kek =
        crypto::derive_kek(password.expose_secret().as_bytes(), &parsed.salt, parsed.header.kdf_params())?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(kek.expose_secret()));
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&parsed.nonce), Payload { msg: parsed.ciphertext, aad: parsed.aad })
            .map_err(|_| wrong_password_or_tampered())?,
    );
    drop(kek);
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
        let b = write_bundle(&one(), &pw(), CHEAP, None).unwrap();
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
            let b = seal(payload.as_bytes(), *count, &pw(), CHEAP, now, None).unwrap();
            let e = open(&b, &pw(), now).unwrap_err();
            assert_eq!(e.code(), ErrorCode::ImportBundleMalformedPayload, "{payload}");
            assert!(!e.message().contains("ghp_"), "{}", e.message());
        }
        // And a well-formed one sealed the same way opens.
        let b = seal(format!(r#"{{"secrets":[{v}]}}"#).as_bytes(), 1, &pw(), CHEAP, now, None).unwrap();
        assert_eq!(open(&b, &pw(), now).unwrap()[0].key_name, "GH_TOKEN");
    }

    #[test]
    fn write_checks_input() {
        let short = SecretString::from("short");
        assert_eq!(
            write_bundle(&one(), &short, CHEAP, None).unwrap_err().code(),
            ErrorCode::PassphraseTooShort
        );
        let past = Utc::now() - chrono::Duration::seconds(1);
        assert_eq!(
            write_bundle(&one(), &pw(), CHEAP, Some(past)).unwrap_err().code(),
            ErrorCode::InputInvalid
        );
        let costly = KdfParams { m_kib: MAX_BUNDLE_M_KIB + 1, t: 1, p: 1 };
        assert_eq!(write_bundle(&one(), &pw(), costly, None).unwrap_err().code(), ErrorCode::InputInvalid);
        let mut twice = one();
        twice.extend(one());
        assert_eq!(write_bundle(&twice, &pw(), CHEAP, None).unwrap_err().code(), ErrorCode::InputInvalid);
    }
}
