//! Key derivation, sealing and the zeroizing key types.
//!
//! ```text
//! passphrase + salt --Argon2id--> Kek
//! Pvk (random)       wrapped by Kek (XChaCha20-Poly1305, aad = profile id + rotation version)
//! DbKey    = HKDF-SHA256(Pvk, "keyclave vault.db v1")   -> SQLCipher raw key
//! FieldKey = HKDF-SHA256(Pvk, "keyclave field seal v1") -> seals secret values
//! ```
//!
//! Key material lives in types that cannot be cloned or serialised, print
//! `***` in Debug, are wiped on drop, and hand out bytes only through an
//! explicit `expose_secret()`.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, ErrorCode, Result};

/// Length of every symmetric key.
pub const KEY_LEN: usize = 32;
/// XChaCha20-Poly1305 nonce length.
pub const NONCE_LEN: usize = 24;
/// Length of a fresh KDF salt.
pub const SALT_LEN: usize = 16;
/// Version byte in front of every sealed blob.
pub const SEAL_VERSION: u8 = 1;
const TAG_LEN: usize = 16;

/// Argon2id cost parameters, stored per profile and upgradable.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Parallelism (lanes).
    pub p: u32,
}

impl KdfParams {
    /// The strong default: 128 MiB, 4 iterations, 1 lane.
    pub const DEFAULT: KdfParams = KdfParams { m_kib: 128 * 1024, t: 4, p: 1 };
    /// Used when the default's memory cannot be allocated: 64 MiB, 6 iterations.
    pub const FALLBACK: KdfParams = KdfParams { m_kib: 64 * 1024, t: 6, p: 1 };
    /// Largest memory cost accepted from a file (4 GiB), so a tampered
    /// profile cannot ask for an absurd allocation.
    pub const MAX_M_KIB: u32 = 4 * 1024 * 1024;

    /// Check the parameters are within what Argon2 and KeyClave accept.
    pub fn validate(&self) -> Result<()> {
        let ok = (1..=16).contains(&self.p)
            && self.t >= 1
            && self.t <= 100
            && self.m_kib >= 8 * self.p
            && self.m_kib <= Self::MAX_M_KIB;
        if ok {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "KDF parameters out of range (m={} KiB, t={}, p={})",
                self.m_kib, self.t, self.p
            ))
            .with_suggestion("Use m between 8 KiB and 4 GiB, t between 1 and 100, p between 1 and 16."))
        }
    }

    /// Whether these are weaker than the default in memory or time.
    pub fn weaker_than_default(&self) -> bool {
        self.m_kib < Self::DEFAULT.m_kib || self.t < Self::DEFAULT.t
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Zeroize, ZeroizeOnDrop)]
        pub struct $name([u8; KEY_LEN]);

        impl $name {
            /// The raw key bytes. Greppable on purpose.
            pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(***)"))
            }
        }
    };
}

key_type!(
    /// Key-encryption key, derived from the passphrase; wraps the PVK.
    Kek
);
key_type!(
    /// Profile vault key: random, the root of every key of a profile.
    Pvk
);
key_type!(
    /// SQLCipher raw key of a profile's `vault.db`.
    DbKey
);
key_type!(
    /// Seals individual fields (secret values, TOTP secret, recovery codes).
    FieldKey
);

impl Kek {
    /// A fresh random KEK for a second wrap of the PVK (the OS keychain's).
    pub(crate) fn generate() -> Self {
        let mut k = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut k);
        Kek(k)
    }

    /// A KEK from its bytes as stored outside the vault (the OS keychain).
    pub(crate) fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Kek(bytes)
    }
}

impl Pvk {
    /// A fresh random PVK from the OS CSPRNG.
    pub fn generate() -> Self {
        let mut k = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut k);
        Pvk(k)
    }

    /// The SQLCipher key for this profile's database.
    pub fn db_key(&self) -> DbKey {
        DbKey(subkey(&self.0, b"keyclave vault.db v1"))
    }

    /// The field-sealing key.
    pub fn field_key(&self) -> FieldKey {
        FieldKey(subkey(&self.0, b"keyclave field seal v1"))
    }
}

impl DbKey {
    /// The `PRAGMA key` value in SQLCipher's raw-key form (`x'…'`), so
    /// SQLCipher does not run its own PBKDF2.
    pub fn pragma_value(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.0)))
    }
}

fn subkey(ikm: &[u8; KEY_LEN], info: &[u8]) -> [u8; KEY_LEN] {
    let hk = Hkdf::<Sha256>::new(None, ikm);
    let mut out = [0u8; KEY_LEN];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit.
    if hk.expand(info, &mut out).is_err() {
        unreachable!("HKDF output length is constant and valid");
    }
    out
}

/// A secret string (a secret value, a passphrase): no Clone, no Serialize,
/// Debug prints `***`, wiped on drop.
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wrap a string.
    pub fn new(s: String) -> Self {
        SecretString(Zeroizing::new(s))
    }

    /// The text. Greppable on purpose.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString::new(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString::new(s.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

/// Random bytes from the OS CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

/// Derive the KEK from a passphrase with exactly these parameters.
pub fn derive_kek(passphrase: &[u8], salt: &[u8], params: KdfParams) -> Result<Kek> {
    params.validate()?;
    let p = Params::new(params.m_kib, params.t, params.p, Some(KEY_LEN))
        .map_err(|e| Error::invalid(format!("invalid KDF parameters: {e}")))?;
    let blocks_needed = p.block_count();
    // Allocate fallibly, so running out of memory is an error we can act on
    // (fall back to 64 MiB) instead of an abort.
    let mut blocks: Vec<Block> = Vec::new();
    blocks.try_reserve_exact(blocks_needed).map_err(|_| {
        Error::new(
            ErrorCode::CryptoKdfFailed,
            format!("cannot allocate {} MiB for the key derivation", params.m_kib / 1024),
        )
    })?;
    blocks.resize(blocks_needed, Block::default());
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    let mut out = Kek([0u8; KEY_LEN]);
    argon
        .hash_password_into_with_memory(passphrase, salt, &mut out.0, &mut blocks)
        .map_err(|e| Error::new(ErrorCode::CryptoKdfFailed, format!("key derivation failed: {e}")))?;
    Ok(out)
}

/// Derive with `preferred`; if its memory cannot be allocated, retry with
/// [`KdfParams::FALLBACK`]. Returns the key and the parameters used, which
/// the caller stores for the profile.
pub fn derive_kek_with_fallback(
    passphrase: &[u8],
    salt: &[u8],
    preferred: KdfParams,
) -> Result<(Kek, KdfParams)> {
    match derive_kek(passphrase, salt, preferred) {
        Ok(k) => Ok((k, preferred)),
        Err(e) if e.code() == ErrorCode::CryptoKdfFailed && preferred != KdfParams::FALLBACK => {
            tracing::warn!("KDF allocation failed; falling back to 64 MiB");
            let k = derive_kek(passphrase, salt, KdfParams::FALLBACK)?;
            Ok((k, KdfParams::FALLBACK))
        }
        Err(e) => Err(e),
    }
}

/// Associated data binding a sealed blob to its place, so blobs cannot be
/// swapped between rows, columns or profiles.
#[derive(Debug, Clone, Copy)]
pub struct SealContext<'a> {
    /// Owning profile.
    pub profile_id: &'a str,
    /// Table of the sealed column.
    pub table: &'a str,
    /// Sealed column.
    pub column: &'a str,
    /// Row id.
    pub row_id: &'a str,
}

impl SealContext<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut aad = b"keyclave seal v1".to_vec();
        for part in [self.profile_id, self.table, self.column, self.row_id] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

fn aead_seal(key: &[u8; KEY_LEN], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
    let nonce = XNonce::from_slice(&nonce_bytes);
    let Ok(ct) = cipher.encrypt(nonce, Payload { msg: plaintext, aad }) else {
        // Encryption only fails for inputs beyond ~256 GiB.
        unreachable!("XChaCha20-Poly1305 encryption of an in-memory value cannot fail");
    };
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(SEAL_VERSION);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&ct);
    out
}

/// Open a `version || nonce || ct+tag` blob; `None` if it does not
/// authenticate or is malformed.
fn aead_open(key: &[u8; KEY_LEN], blob: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if blob.len() < 1 + NONCE_LEN + TAG_LEN || blob[0] != SEAL_VERSION {
        return None;
    }
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    let nonce = XNonce::from_slice(&blob[1..1 + NONCE_LEN]);
    cipher.decrypt(nonce, Payload { msg: &blob[1 + NONCE_LEN..], aad }).ok().map(Zeroizing::new)
}

impl FieldKey {
    /// Seal a value for one place.
    pub fn seal(&self, plaintext: &[u8], ctx: SealContext<'_>) -> Vec<u8> {
        aead_seal(&self.0, plaintext, &ctx.aad())
    }

    /// Open a sealed value; a blob that does not authenticate for this place
    /// is reported as corruption.
    pub fn open(&self, blob: &[u8], ctx: SealContext<'_>) -> Result<Zeroizing<Vec<u8>>> {
        aead_open(&self.0, blob, &ctx.aad()).ok_or_else(|| {
            Error::corruption(format!("a sealed field ({}.{}) does not authenticate", ctx.table, ctx.column))
        })
    }

    /// Open a sealed UTF-8 string.
    pub fn open_string(&self, blob: &[u8], ctx: SealContext<'_>) -> Result<SecretString> {
        let bytes = self.open(blob, ctx)?;
        let s = std::str::from_utf8(&bytes)
            .map_err(|_| Error::corruption("a sealed field is not valid UTF-8"))?;
        Ok(SecretString::new(s.to_owned()))
    }
}

fn wrap_aad(profile_id: &str, rotation_version: u64) -> Vec<u8> {
    let mut aad = b"keyclave pvk wrap v1".to_vec();
    aad.extend_from_slice(&(profile_id.len() as u32).to_be_bytes());
    aad.extend_from_slice(profile_id.as_bytes());
    aad.extend_from_slice(&rotation_version.to_be_bytes());
    aad
}

/// Wrap the PVK under the KEK, bound to the profile and rotation version.
pub fn wrap_pvk(kek: &Kek, pvk: &Pvk, profile_id: &str, rotation_version: u64) -> Vec<u8> {
    aead_seal(&kek.0, &pvk.0, &wrap_aad(profile_id, rotation_version))
}

/// Unwrap the PVK; `None` when the KEK is wrong (wrong passphrase) or the
/// blob was tampered with — AEAD cannot tell the two apart.
pub fn unwrap_pvk(kek: &Kek, wrapped: &[u8], profile_id: &str, rotation_version: u64) -> Option<Pvk> {
    let bytes = aead_open(&kek.0, wrapped, &wrap_aad(profile_id, rotation_version))?;
    let arr: [u8; KEY_LEN] = bytes.as_slice().try_into().ok()?;
    Some(Pvk(arr))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

    #[test]
    fn default_params_are_the_strong_ones() {
        assert_eq!(KdfParams::default(), KdfParams { m_kib: 131072, t: 4, p: 1 });
        assert_eq!(KdfParams::FALLBACK, KdfParams { m_kib: 65536, t: 6, p: 1 });
    }

    #[test]
    fn kdf_is_deterministic_and_salted() {
        let a = derive_kek(b"pass", b"0123456789abcdef", CHEAP).expect("kdf");
        let b = derive_kek(b"pass", b"0123456789abcdef", CHEAP).expect("kdf");
        let c = derive_kek(b"pass", b"fedcba9876543210", CHEAP).expect("kdf");
        assert_eq!(a.expose_secret(), b.expose_secret());
        assert_ne!(a.expose_secret(), c.expose_secret());
    }

    #[test]
    fn out_of_range_params_are_rejected() {
        for bad in [
            KdfParams { m_kib: 4, t: 1, p: 1 },
            KdfParams { m_kib: 64, t: 0, p: 1 },
            KdfParams { m_kib: KdfParams::MAX_M_KIB + 1, t: 1, p: 1 },
        ] {
            assert_eq!(
                derive_kek(b"x", b"0123456789abcdef", bad).unwrap_err().code(),
                ErrorCode::InputInvalid
            );
        }
    }

    #[test]
    fn wrap_binds_profile_and_version() {
        let kek = derive_kek(b"pass", b"0123456789abcdef", CHEAP).expect("kdf");
        let pvk = Pvk::generate();
        let w = wrap_pvk(&kek, &pvk, "p1", 1);
        assert_eq!(unwrap_pvk(&kek, &w, "p1", 1).expect("unwraps").expose_secret(), pvk.expose_secret());
        assert!(unwrap_pvk(&kek, &w, "p2", 1).is_none());
        assert!(unwrap_pvk(&kek, &w, "p1", 2).is_none());
        let other = derive_kek(b"wrong", b"0123456789abcdef", CHEAP).expect("kdf");
        assert!(unwrap_pvk(&other, &w, "p1", 1).is_none());
    }

    #[test]
    fn seal_binds_place_and_detects_tampering() {
        let fk = Pvk::generate().field_key();
        let ctx = SealContext { profile_id: "p", table: "secrets", column: "secret_value_enc", row_id: "r1" };
        let blob = fk.seal(b"value", ctx);
        assert_eq!(&**fk.open(&blob, ctx).expect("opens"), b"value");
        let other_row = SealContext { row_id: "r2", ..ctx };
        assert_eq!(fk.open(&blob, other_row).unwrap_err().code(), ErrorCode::VaultCorruption);
        let mut flipped = blob.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(fk.open(&flipped, ctx).is_err());
        assert!(fk.open(&blob[..10], ctx).is_err());
        // Fresh nonce per seal.
        assert_ne!(fk.seal(b"value", ctx), blob);
    }

    #[test]
    fn subkeys_differ_and_debug_hides_keys() {
        let pvk = Pvk::generate();
        assert_ne!(pvk.db_key().expose_secret(), pvk.field_key().expose_secret());
        assert_eq!(format!("{:?}", pvk), "Pvk(***)");
        assert_eq!(format!("{:?}", SecretString::from("hunter2")), "SecretString(***)");
        let pragma = pvk.db_key().pragma_value();
        assert!(pragma.starts_with("x'") && pragma.len() == 2 + 64 + 1);
    }
}
