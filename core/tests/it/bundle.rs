//! `.kcbundle` v1: the format's round trip and each distinct refusal, then
//! export from one profile and import into another.

use crate::common::*;
use chrono::{Duration, Utc};
use keyclave_core::bundle::{
    self, BundleExport, BundleKey, BundleOpener, BundleSecret, BundleSelection, ConflictDecision,
    ImportCounts, ImportDecisions,
};
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::secrets;
use keyclave_core::secrets::{NewSecret, SourceType};
use keyclave_core::{ErrorCode, Vault};

/// Cheapest parameters the KDF accepts: the format is under test, not Argon2.
pub const BUNDLE_KDF: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };
pub const BUNDLE_PASS: &str = "bundle pass phrase";

pub fn bpass() -> SecretString {
    SecretString::from(BUNDLE_PASS)
}

pub fn sample() -> Vec<BundleSecret> {
    vec![
        BundleSecret {
            provider_id: "github".into(),
            key_name: "GH_TOKEN".into(),
            secret_value: "ghp_bundleValue0123456789abcdefABCDEF".into(),
        },
        BundleSecret {
            provider_id: "openai".into(),
            key_name: "OPENAI_API_KEY".into(),
            secret_value: "sk-proj-bundle-9876543210zyxw".into(),
        },
        BundleSecret {
            provider_id: "generic".into(),
            key_name: "MULTI_LINE".into(),
            secret_value: "line one\n\"quoted\" \u{e9}\u{1f511}\nline three".into(),
        },
    ]
}

pub fn sample_bundle() -> Vec<u8> {
    bundle::write_bundle(&sample(), BundleKey::Password { password: &bpass(), kdf: BUNDLE_KDF }, None)
        .expect("write bundle")
}

/// Split a bundle into (header JSON, ciphertext).
pub fn split(b: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let h = u32::from_be_bytes(b[6..10].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&b[10..10 + h]).unwrap();
    (header, b[18 + h..].to_vec())
}

/// Re-assemble a bundle from a (possibly edited) header and a ciphertext,
/// with consistent lengths.
pub fn assemble(version: u16, header: &serde_json::Value, ct: &[u8]) -> Vec<u8> {
    let hj = serde_json::to_vec(header).unwrap();
    let mut out = b"KCB1".to_vec();
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(hj.len() as u32).to_be_bytes());
    out.extend_from_slice(&hj);
    out.extend_from_slice(&(ct.len() as u64).to_be_bytes());
    out.extend_from_slice(ct);
    out
}

fn code_of(bytes: &[u8]) -> ErrorCode {
    bundle::open(bytes, BundleOpener::Password(&bpass()), Utc::now()).unwrap_err().code()
}

#[test]
fn round_trip_keeps_every_secret_exactly() {
    let b = sample_bundle();
    let header = bundle::inspect(&b).expect("inspect");
    assert_eq!(header.count, 3);
    assert_eq!(header.payload_type, "secrets_v1");
    let kdf = header.kdf.as_ref().expect("a password bundle has KDF parameters");
    assert_eq!(kdf.alg, "argon2id");
    assert_eq!((kdf.m, kdf.t, kdf.p), (8, 1, 1));
    assert_eq!(kdf.salt.len(), 32, "16-byte salt in hex");
    assert!(header.recipients.is_none());
    assert_eq!(header.aead.alg, "xchacha20poly1305");
    assert_eq!(header.aead.nonce.len(), 48, "24-byte nonce in hex");
    assert_eq!(header.expires_at, None);
    let opened = bundle::open(&b, BundleOpener::Password(&bpass()), Utc::now()).expect("open");
    let expected = sample();
    assert_eq!(opened.len(), expected.len());
    for (a, e) in opened.iter().zip(&expected) {
        assert_eq!((&a.provider_id, &a.key_name), (&e.provider_id, &e.key_name));
        assert_eq!(a.secret_value.expose_secret(), e.secret_value.expose_secret());
    }
    // Two bundles of the same secrets differ (fresh salt, nonce, id).
    assert_ne!(sample_bundle(), b);
}

#[test]
fn the_file_holds_no_value_or_key_name_in_clear() {
    let b = sample_bundle();
    for s in sample() {
        assert!(memchr::memmem::find(&b, s.secret_value.expose_secret().as_bytes()).is_none());
        assert!(memchr::memmem::find(&b, s.key_name.as_bytes()).is_none(), "{}", s.key_name);
    }
}

#[test]
fn wrong_password_is_one_error_that_says_it_may_be_tampering() {
    let b = sample_bundle();
    let e = bundle::open(&b, BundleOpener::Password(&SecretString::from("not the password")), Utc::now())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportBundleWrongPasswordOrTampered);
    assert!(e.message().contains("password") && e.message().contains("modified"), "{}", e.message());
    assert!(e.code().is_user_error());
}

#[test]
fn not_a_bundle_wrong_magic_or_too_short() {
    for bytes in [&b""[..], b"KC", b"KCB", b"PK\x03\x04rest of a zip", b"GH_TOKEN=ghp_x\n"] {
        assert_eq!(bundle::inspect(bytes).unwrap_err().code(), ErrorCode::ImportNotABundle, "{bytes:?}");
    }
    let mut b = sample_bundle();
    b[0] = b'X';
    assert_eq!(code_of(&b), ErrorCode::ImportNotABundle);
}

#[test]
fn a_future_version_is_unsupported_not_damaged() {
    let b = sample_bundle();
    for v in [0u16, 3, u16::MAX] {
        let mut c = b.clone();
        c[4..6].copy_from_slice(&v.to_be_bytes());
        let e = bundle::inspect(&c).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ImportBundleUnsupportedVersion, "version {v}");
        assert!(e.message().contains(&v.to_string()));
        assert_eq!(code_of(&c), ErrorCode::ImportBundleUnsupportedVersion);
    }
}

#[test]
fn truncation_at_every_length_is_refused_as_damage() {
    let b = sample_bundle();
    for len in 0..b.len() {
        let code = bundle::inspect(&b[..len]).unwrap_err().code();
        let expected = if len < 4 { ErrorCode::ImportNotABundle } else { ErrorCode::ImportBundleMalformed };
        assert_eq!(code, expected, "truncated to {len}");
    }
    let mut longer = b.clone();
    longer.push(0);
    assert_eq!(bundle::inspect(&longer).unwrap_err().code(), ErrorCode::ImportBundleMalformed);
}

#[test]
fn a_flipped_ciphertext_bit_is_caught_by_the_aead() {
    let b = sample_bundle();
    let (_, ct) = split(&b);
    let ct_start = b.len() - ct.len();
    for i in [ct_start, ct_start + ct.len() / 2, b.len() - 1] {
        let mut c = b.clone();
        c[i] ^= 0x01;
        assert_eq!(code_of(&c), ErrorCode::ImportBundleWrongPasswordOrTampered, "byte {i}");
    }
}

#[test]
fn a_flipped_header_bit_never_passes() {
    let b = sample_bundle();
    let h = u32::from_be_bytes(b[6..10].try_into().unwrap()) as usize;
    for i in 10..10 + h {
        for bit in [0x01u8, 0x20] {
            let mut c = b.clone();
            c[i] ^= bit;
            let code = code_of(&c);
            assert!(
                matches!(
                    code,
                    ErrorCode::ImportBundleMalformed
                        | ErrorCode::ImportBundleWrongPasswordOrTampered
                        | ErrorCode::ImportBundleExpired
                ),
                "byte {i} bit {bit:#x}: {code}"
            );
        }
    }
}

/// Re-assemble a bundle around header bytes given verbatim.
fn assemble_raw(header: &str, ct: &[u8]) -> Vec<u8> {
    let mut out = b"KCB1\0\x01".to_vec();
    out.extend_from_slice(&(header.len() as u32).to_be_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&(ct.len() as u64).to_be_bytes());
    out.extend_from_slice(ct);
    out
}

#[test]
fn an_edited_header_fails_authentication() {
    let b = sample_bundle();
    let h = u32::from_be_bytes(b[6..10].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&b[10..10 + h]).unwrap().to_owned();
    let (parsed, ct) = split(&b);
    let field = |path: &[&str]| {
        let v = path.iter().fold(&parsed, |v, k| &v[*k]);
        format!("\"{}\":{}", path[path.len() - 1], v)
    };
    let edits = [
        (field(&["count"]), "\"count\":2".to_owned()),
        (field(&["count"]), "\"count\":3 ".to_owned()),
        (field(&["created_at"]), "\"created_at\":\"2020-01-01T00:00:00.000Z\"".to_owned()),
        (
            field(&["created_at"]),
            format!("{},\"expires_at\":\"2999-01-01T00:00:00.000Z\"", field(&["created_at"])),
        ),
        (field(&["bundle_id"]), "\"bundle_id\":\"00000000-0000-4000-8000-000000000000\"".to_owned()),
        (field(&["kdf", "t"]), "\"t\":2".to_owned()),
        (field(&["kdf", "salt"]), format!("\"salt\":\"{}\"", "00".repeat(16))),
        (field(&["aead", "nonce"]), format!("\"nonce\":\"{}\"", "00".repeat(24))),
    ];
    for (from, to) in edits {
        assert!(header.contains(&from), "{from} in {header}");
        let edited = header.replacen(&from, &to, 1);
        assert!(bundle::inspect(&assemble_raw(&edited, &ct)).is_ok(), "{to}: still a valid header");
        assert_eq!(
            code_of(&assemble_raw(&edited, &ct)),
            ErrorCode::ImportBundleWrongPasswordOrTampered,
            "{from} -> {to}"
        );
    }
    // The untouched header re-assembled opens: the edits, not assembly, broke it.
    assert!(bundle::open(&assemble_raw(&header, &ct), BundleOpener::Password(&bpass()), Utc::now()).is_ok());
}

type HeaderEdit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn invalid_header_fields_are_damage_before_any_kdf() {
    let b = sample_bundle();
    let (header, ct) = split(&b);
    let edits: Vec<(&str, HeaderEdit)> = vec![
        ("alg", Box::new(|h| h["kdf"]["alg"] = "scrypt".into())),
        ("aead", Box::new(|h| h["aead"]["alg"] = "aes-gcm".into())),
        ("payload", Box::new(|h| h["payload_type"] = "secrets_v9".into())),
        ("4 GiB", Box::new(|h| h["kdf"]["m"] = (4u64 * 1024 * 1024).into())),
        ("over the bundle cap", Box::new(|h| h["kdf"]["m"] = (2u64 * 1024 * 1024).into())),
        ("t", Box::new(|h| h["kdf"]["t"] = 0.into())),
        ("p", Box::new(|h| h["kdf"]["p"] = 1000.into())),
        ("short salt", Box::new(|h| h["kdf"]["salt"] = "00".into())),
        ("salt not hex", Box::new(|h| h["kdf"]["salt"] = "zz".repeat(16).into())),
        ("nonce length", Box::new(|h| h["aead"]["nonce"] = "00".repeat(12).into())),
        ("count", Box::new(|h| h["count"] = 10_000_000.into())),
        ("negative count", Box::new(|h| h["count"] = (-1).into())),
        ("id", Box::new(|h| h["bundle_id"] = "x".into())),
        ("date", Box::new(|h| h["created_at"] = "yesterday".into())),
        ("expiry", Box::new(|h| h["expires_at"] = "soon".into())),
        ("unknown field", Box::new(|h| h["extra"] = true.into())),
        ("missing field", Box::new(|h| drop(h.as_object_mut().unwrap().remove("kdf")))),
        ("not an object", Box::new(|h| *h = serde_json::json!([1, 2]))),
    ];
    for (what, edit) in edits {
        let mut h = header.clone();
        edit(&mut h);
        let start = std::time::Instant::now();
        assert_eq!(code_of(&assemble(1, &h, &ct)), ErrorCode::ImportBundleMalformed, "{what}");
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "{what}: no costly KDF");
    }
}

#[test]
fn huge_declared_lengths_are_refused_without_allocating() {
    let b = sample_bundle();
    let h = u32::from_be_bytes(b[6..10].try_into().unwrap()) as usize;
    for header_len in [0u32, 64 * 1024 + 1, u32::MAX] {
        let mut c = b.clone();
        c[6..10].copy_from_slice(&header_len.to_be_bytes());
        assert_eq!(bundle::inspect(&c).unwrap_err().code(), ErrorCode::ImportBundleMalformed, "{header_len}");
    }
    for ct_len in [0u64, 15, 64 * 1024 * 1024 + 17, u64::MAX, (b.len() as u64) * 2] {
        let mut c = b.clone();
        c[10 + h..18 + h].copy_from_slice(&ct_len.to_be_bytes());
        assert_eq!(bundle::inspect(&c).unwrap_err().code(), ErrorCode::ImportBundleMalformed, "{ct_len}");
    }
}

#[test]
fn expiry_is_checked_before_the_password() {
    let expires = Utc::now() + Duration::hours(1);
    let b = bundle::write_bundle(
        &sample(),
        BundleKey::Password { password: &bpass(), kdf: BUNDLE_KDF },
        Some(expires),
    )
    .expect("write");
    let header = bundle::inspect(&b).expect("inspect");
    assert!(header.expires_at.is_some());
    assert!(bundle::open(&b, BundleOpener::Password(&bpass()), Utc::now()).is_ok(), "not yet expired");
    let later = expires + Duration::seconds(1);
    assert!(header.is_expired(later));
    let e = bundle::open(&b, BundleOpener::Password(&bpass()), later).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportBundleExpired);
    // Expired wins over a wrong password: no KDF runs for an expired bundle.
    let e =
        bundle::open(&b, BundleOpener::Password(&SecretString::from("wrong password!")), later).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportBundleExpired);
    // Moving the expiry later in the header is tampering, not a way in.
    let hl = u32::from_be_bytes(b[6..10].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&b[10..10 + hl]).unwrap();
    let old = expires_at_field(header);
    let edited = header.replacen(&old, "\"expires_at\":\"2999-01-01T00:00:00.000Z\"", 1);
    let (_, ct) = split(&b);
    assert_eq!(
        bundle::open(&assemble_raw(&edited, &ct), BundleOpener::Password(&bpass()), later)
            .unwrap_err()
            .code(),
        ErrorCode::ImportBundleWrongPasswordOrTampered
    );
}

#[test]
fn errors_never_carry_the_values() {
    let b = sample_bundle();
    let mut c = b.clone();
    let last = c.len() - 1;
    c[last] ^= 1;
    for bytes in [&c[..], &b[..20], b"KCB1\0\x01\0\0\0\x02{}"] {
        let e = bundle::open(bytes, BundleOpener::Password(&bpass()), Utc::now()).unwrap_err();
        let rendered = format!("{e:?} {} {}", e.message(), e.suggestion());
        for s in sample() {
            assert!(!rendered.contains(s.secret_value.expose_secret()), "{rendered}");
        }
        assert!(!rendered.contains(BUNDLE_PASS), "{rendered}");
    }
}

// --- vault integration ----------------------------------------------------------

fn export_req(selection: BundleSelection) -> BundleExport<'static> {
    static PASS: std::sync::LazyLock<SecretString> = std::sync::LazyLock::new(bpass);
    BundleExport {
        selection,
        key: BundleKey::Password { password: &PASS, kdf: BUNDLE_KDF },
        expires_at: None,
        totp_code: None,
        overwrite: false,
    }
}

fn seed(v: &Vault) {
    for s in sample() {
        let mut n = NewSecret::new(s.key_name, s.secret_value);
        n.provider_id = Some(s.provider_id);
        n.notes = Some("a private note".into());
        secrets::add(v, n).expect("add");
    }
}

fn second_profile(f: &mut Fixture) -> Vault {
    f.kc.create_profile("Home", &pass(), CHEAP).expect("second profile");
    f.kc.unlock("Home", &pass()).expect("unlock second")
}

#[test]
fn export_then_import_into_another_profile() {
    let mut f = Fixture::new();
    let work = f.unlock();
    seed(&work);
    let out = f.dir.path().join("share.kcbundle");
    let summary = bundle::export(&work, &out, export_req(BundleSelection::All)).expect("export");
    assert_eq!(summary.count, 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let exports = work.audit_log(10, Some("bundle.export")).expect("audit");
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0].metadata["count"], 3);
    let meta = exports[0].metadata.to_string();
    assert!(!meta.contains("share.kcbundle") && !meta.contains(BUNDLE_PASS), "{meta}");
    assert_eq!(work.audit_log(10, Some("secret.reveal")).expect("audit").len(), 0);
    work.close().expect("lock");

    let bytes = std::fs::read(&out).expect("read bundle");
    let home = second_profile(&mut f);
    let preview = bundle::preview_import(&home, &bytes, Some(&bpass())).expect("preview");
    assert_eq!(preview.header.bundle_id, summary.header.bundle_id);
    assert_eq!(preview.entries.len(), 3);
    assert!(preview.entries.iter().all(|e| !e.conflict));
    let shown = serde_json::to_string(&preview).expect("json");
    for s in sample() {
        assert!(!shown.contains(s.secret_value.expose_secret()), "preview shows no value");
    }
    assert_eq!(secrets::count(&home), 0, "preview writes nothing");

    let counts = bundle::import(&home, &bytes, Some(&bpass()), &ImportDecisions::default()).expect("import");
    assert_eq!(counts, ImportCounts { added: 3, replaced: 0, kept: 0, skipped: 0 });
    for s in sample() {
        let got = secrets::reveal(&home, &s.key_name, Some(&s.provider_id), None).expect("reveal");
        assert_eq!(got.expose_secret(), s.secret_value.expose_secret());
        let summary_row = secrets::find(&home, &s.key_name, Some(&s.provider_id)).expect("find");
        assert_eq!(summary_row.source_type, SourceType::ExportBundleImport);
        assert_eq!(
            summary_row.source_label.as_deref(),
            Some(&*format!("bundle {}", preview.header.bundle_id))
        );
        assert!(summary_row.imported_at.is_some());
        assert_eq!(summary_row.notes, None, "notes are not in a bundle");
    }
    let imports = home.audit_log(10, Some("bundle.import")).expect("audit");
    assert_eq!(imports[0].metadata["added"], 3);
    home.close().expect("lock");
    // The import survives a reopen (it was committed).
    let home = f.kc.unlock("Home", &pass()).expect("unlock");
    assert_eq!(secrets::count(&home), 3);
}

#[test]
fn export_selects_by_key_name_and_refuses_unknown_names_and_overwrites() {
    let f = Fixture::new();
    let v = f.unlock();
    seed(&v);
    let out = f.dir.path().join("one.kcbundle");
    let s =
        bundle::export(&v, &out, export_req(BundleSelection::Keys(vec!["GH_TOKEN".into()]))).expect("export");
    assert_eq!(s.count, 1);
    let opened =
        bundle::open(&std::fs::read(&out).unwrap(), BundleOpener::Password(&bpass()), Utc::now()).unwrap();
    assert_eq!(opened[0].key_name, "GH_TOKEN");

    let e = bundle::export(&v, &out, export_req(BundleSelection::Keys(vec!["GH_TOKEN".into()]))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputInvalid, "no silent overwrite");
    let mut req = export_req(BundleSelection::All);
    req.overwrite = true;
    assert_eq!(bundle::export(&v, &out, req).expect("overwrite").count, 3);

    let other = f.dir.path().join("two.kcbundle");
    let e = bundle::export(&v, &other, export_req(BundleSelection::Keys(vec!["NOPE".into()]))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretNotFound);
    assert!(!other.exists());
    let leftovers: Vec<_> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn conflicts_need_a_decision_and_are_resolved_per_key() {
    let mut f = Fixture::new();
    let work = f.unlock();
    seed(&work);
    let out = f.dir.path().join("all.kcbundle");
    bundle::export(&work, &out, export_req(BundleSelection::All)).expect("export");
    work.close().expect("lock");
    let bytes = std::fs::read(&out).unwrap();

    let home = second_profile(&mut f);
    secrets::add(&home, NewSecret::new("GH_TOKEN", "ghp_homeOwnValue000000000000")).expect("add");
    secrets::add(&home, NewSecret::new("OPENAI_API_KEY", "sk-home-own-value-0000")).expect("add");
    let preview = bundle::preview_import(&home, &bytes, Some(&bpass())).expect("preview");
    let conflicts: Vec<&str> =
        preview.entries.iter().filter(|e| e.conflict).map(|e| e.key_name.as_str()).collect();
    assert_eq!(conflicts, ["GH_TOKEN", "OPENAI_API_KEY"]);

    // No decision: nothing is written, the error names the keys (not values).
    let e = bundle::import(&home, &bytes, Some(&bpass()), &ImportDecisions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportConflict);
    assert!(e.message().contains("GH_TOKEN") && e.message().contains("OPENAI_API_KEY"), "{}", e.message());
    assert_eq!(secrets::count(&home), 2);

    // Replace one, apply "keep" to the rest, skip a non-conflicting one.
    let mut d = ImportDecisions::all(ConflictDecision::Keep);
    d.per_key.insert(("github".into(), "GH_TOKEN".into()), ConflictDecision::Replace);
    d.per_key.insert(("generic".into(), "MULTI_LINE".into()), ConflictDecision::Skip);
    let counts = bundle::import(&home, &bytes, Some(&bpass()), &d).expect("import");
    assert_eq!(counts, ImportCounts { added: 0, replaced: 1, kept: 1, skipped: 1 });
    assert_eq!(
        secrets::reveal(&home, "GH_TOKEN", None, None).unwrap().expose_secret(),
        "ghp_bundleValue0123456789abcdefABCDEF"
    );
    assert_eq!(secrets::find(&home, "GH_TOKEN", None).unwrap().source_type, SourceType::ExportBundleImport);
    assert_eq!(
        secrets::reveal(&home, "OPENAI_API_KEY", None, None).unwrap().expose_secret(),
        "sk-home-own-value-0000"
    );
    assert_eq!(secrets::find(&home, "OPENAI_API_KEY", None).unwrap().source_type, SourceType::Manual);
    assert!(secrets::find(&home, "MULTI_LINE", None).is_err());

    // Skip everything that conflicts, add the rest.
    let counts =
        bundle::import(&home, &bytes, Some(&bpass()), &ImportDecisions::all(ConflictDecision::Skip)).unwrap();
    assert_eq!(counts, ImportCounts { added: 1, replaced: 0, kept: 0, skipped: 2 });
    assert_eq!(secrets::count(&home), 3);

    // A wrong password changes nothing.
    let e = bundle::import(
        &home,
        &bytes,
        Some(&SecretString::from("wrong password")),
        &ImportDecisions::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportBundleWrongPasswordOrTampered);
}

#[test]
fn an_unknown_provider_is_imported_as_generic() {
    let f = Fixture::new();
    let v = f.unlock();
    let secrets = vec![BundleSecret {
        provider_id: "some_future_provider".into(),
        key_name: "FUTURE_KEY".into(),
        secret_value: "future-value-123".into(),
    }];
    let b = bundle::write_bundle(&secrets, BundleKey::Password { password: &bpass(), kdf: BUNDLE_KDF }, None)
        .unwrap();
    let preview = bundle::preview_import(&v, &b, Some(&bpass())).unwrap();
    assert_eq!(preview.entries[0].provider_id, "generic");
    assert_eq!(preview.entries[0].original_provider_id.as_deref(), Some("some_future_provider"));
    bundle::import(&v, &b, Some(&bpass()), &ImportDecisions::default()).unwrap();
    assert_eq!(secrets::find(&v, "FUTURE_KEY", None).unwrap().provider_id, "generic");
}

/// The `"expires_at":"…"` member of a header as written.
fn expires_at_field(header: &str) -> String {
    let key = "\"expires_at\":\"";
    let start = header.find(key).expect("has an expiry");
    let end = start + key.len() + header[start + key.len()..].find('"').expect("closing quote");
    header[start..=end].to_owned()
}
