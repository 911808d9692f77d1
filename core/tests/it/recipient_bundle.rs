//! `.kcbundle` v2: bundles encrypted to a profile's X25519 identity (age)
//! instead of a password: round trip between profiles, the refusals that
//! tell "not for you" from "modified", and the identity surviving rotation.

use crate::bundle::sample;
use crate::common::*;
use base64::Engine as _;
use chrono::{Duration, Utc};
use keyclave_core::bundle::{
    self, BundleExport, BundleKey, BundleMode, BundleOpener, BundleSelection, ImportDecisions,
};
use keyclave_core::secrets::{self, NewSecret};
use keyclave_core::{ErrorCode, Vault, identity, rotation};

fn second(f: &mut Fixture, name: &str) -> Vault {
    f.kc.create_profile(name, &pass(), CHEAP).expect("profile");
    f.kc.unlock(name, &pass()).expect("unlock")
}

/// A fixture whose first profile (the sender) holds the sample secrets,
/// plus one empty profile per name.
fn sender_and(names: &[&str]) -> (Fixture, Vault, Vec<Vault>) {
    let mut f = Fixture::new();
    let sender = f.unlock();
    seed(&sender);
    let others = names.iter().map(|n| second(&mut f, n)).collect();
    (f, sender, others)
}

fn seed(v: &Vault) {
    for s in sample() {
        let mut n = NewSecret::new(s.key_name, s.secret_value);
        n.provider_id = Some(s.provider_id);
        secrets::add(v, n).expect("add");
    }
}

fn export_to(v: &Vault, out: &std::path::Path, recipients: &[String]) -> keyclave_core::Result<u32> {
    bundle::export(
        v,
        out,
        BundleExport {
            selection: BundleSelection::All,
            key: BundleKey::Recipients(recipients),
            expires_at: None,
            totp_code: None,
            overwrite: true,
        },
    )
    .map(|s| s.count)
}

fn values(v: &Vault) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = secrets::list(v, &Default::default())
        .items
        .iter()
        .map(|s| {
            let value = secrets::reveal(v, &s.key_name, Some(&s.provider_id), None).unwrap();
            (s.key_name.clone(), value.expose_secret().to_owned())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_recipient_is_stable_and_parses() {
    let f = Fixture::new();
    let v = f.unlock();
    let r = identity::recipient(&v).expect("recipient");
    assert!(r.starts_with("age1"), "{r}");
    assert_eq!(identity::recipient(&v).unwrap(), r, "created once, then the same");
    assert_eq!(v.audit_log(10, Some("identity.create")).unwrap().len(), 1);
    identity::parse_recipient(&format!("  {r}\n")).expect("surrounding blanks are fine");
    let e = identity::parse_recipient("age1notakey").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputInvalid);
    // Sealed in the vault: the private key is not stored in clear.
    let raw: Vec<u8> = f
        .raw_vault()
        .query_row("SELECT identity_secret_enc FROM profile_settings", [], |r| r.get(0))
        .unwrap();
    assert!(!raw.windows(17).any(|w| w == b"AGE-SECRET-KEY-1Q"), "sealed, not the bech32 text");
}

#[test]
fn a_bundle_to_a_recipient_opens_in_that_profile_only() {
    let (f, sender, others) = sender_and(&["Alice", "Mallory"]);
    let [alice, mallory] = <[Vault; 2]>::try_from(others).unwrap();
    let alice_r = identity::recipient(&alice).unwrap();
    identity::recipient(&mallory).unwrap();

    let out = f.dir.path().join("to-alice.kcbundle");
    assert_eq!(export_to(&sender, &out, std::slice::from_ref(&alice_r)).unwrap(), 3);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(u16::from_be_bytes([bytes[4], bytes[5]]), bundle::RECIPIENT_VERSION);
    let header = bundle::inspect(&bytes).unwrap();
    assert_eq!(header.mode(), BundleMode::Recipients);
    assert!(header.kdf.is_none());
    assert_eq!(header.recipients.as_ref().unwrap().count, 1);
    for s in sample() {
        assert!(memchr::memmem::find(&bytes, s.secret_value.expose_secret().as_bytes()).is_none());
    }

    // A profile that is not a recipient (with or without an identity of its own).
    let sender_err = bundle::import(&sender, &bytes, None, &ImportDecisions::default()).unwrap_err();
    assert_eq!(sender_err.code(), ErrorCode::ImportBundleNotForThisProfile, "sender has no identity");
    let e = bundle::import(&mallory, &bytes, None, &ImportDecisions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportBundleNotForThisProfile);
    assert!(values(&mallory).is_empty(), "nothing written");

    let preview = bundle::preview_import(&alice, &bytes, None).unwrap();
    assert_eq!(preview.entries.len(), 3);
    let counts = bundle::import(&alice, &bytes, None, &ImportDecisions::default()).unwrap();
    assert_eq!(counts.added, 3);
    assert_eq!(values(&alice), values(&sender));

    // Same conflict rules as a password bundle: undecided is refused whole.
    let again = bundle::import(&alice, &bytes, None, &ImportDecisions::default()).unwrap_err();
    assert_eq!(again.code(), ErrorCode::ImportConflict);
    // A password given to a recipient bundle is not needed and not used.
    let counts = bundle::import(
        &alice,
        &bytes,
        Some(&crate::bundle::bpass()),
        &ImportDecisions::all(bundle::ConflictDecision::Skip),
    )
    .unwrap();
    assert_eq!(counts.skipped, 3);
}

#[test]
fn several_recipients_each_open_it_and_bad_recipients_write_nothing() {
    let (f, sender, others) = sender_and(&["A", "B"]);
    let [a, b] = <[Vault; 2]>::try_from(others).unwrap();
    let rs = vec![
        identity::recipient(&a).unwrap(),
        identity::recipient(&b).unwrap(),
        identity::recipient(&a).unwrap(),
    ];
    let out = f.dir.path().join("both.kcbundle");
    export_to(&sender, &out, &rs).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(bundle::inspect(&bytes).unwrap().recipients.unwrap().count, 2, "duplicates folded");
    for v in [&a, &b] {
        assert_eq!(bundle::import(v, &bytes, None, &ImportDecisions::default()).unwrap().added, 3);
    }

    let bad = f.dir.path().join("bad.kcbundle");
    for list in [vec![], vec!["age1xyz".to_owned()], vec![rs[0].clone(), "ssh-ed25519 AAAA".to_owned()]] {
        let e = export_to(&sender, &bad, &list).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InputInvalid, "{list:?}");
        assert!(!bad.exists());
    }
    assert_eq!(sender.audit_log(10, Some("bundle.export")).unwrap().len(), 1);
}

/// Every single-byte change to a recipient bundle is refused with a
/// distinct error, never opened and never mistaken for a wrong password.
#[test]
fn a_modified_recipient_bundle_is_refused() {
    let (f, sender, mut others) = sender_and(&["Alice"]);
    let alice = others.remove(0);
    let out = f.dir.path().join("t.kcbundle");
    export_to(&sender, &out, &[identity::recipient(&alice).unwrap()]).unwrap();
    let good = std::fs::read(&out).unwrap();
    let (header, ct) = crate::bundle::split(&good);

    let code_of = |b: &[u8]| bundle::import(&alice, b, None, &ImportDecisions::default()).unwrap_err().code();
    // The ciphertext: every byte position.
    for i in 0..ct.len() {
        let mut c = ct.clone();
        c[i] ^= 0x01;
        assert_eq!(
            code_of(&crate::bundle::assemble(2, &header, &c)),
            ErrorCode::ImportBundleTampered,
            "byte {i}"
        );
    }
    // Authenticated header fields.
    for (field, value) in
        [("count", serde_json::json!(4)), ("created_at", serde_json::json!("2020-01-01T00:00:00.000Z"))]
    {
        let mut h = header.clone();
        h[field] = value;
        let code = code_of(&crate::bundle::assemble(2, &h, &ct));
        assert!(
            matches!(code, ErrorCode::ImportBundleTampered | ErrorCode::ImportBundleMalformedPayload),
            "{field}: {code:?}"
        );
        assert_ne!(code, ErrorCode::ImportBundleWrongPasswordOrTampered);
    }
    // The age file holding the key: every byte of it.
    let wrapped = base64::engine::general_purpose::STANDARD
        .decode(header["recipients"]["wrapped_key"].as_str().unwrap())
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..wrapped.len() {
        let mut w = wrapped.clone();
        w[i] ^= 0x01;
        let mut h = header.clone();
        h["recipients"]["wrapped_key"] = base64::engine::general_purpose::STANDARD.encode(&w).into();
        let code = code_of(&crate::bundle::assemble(2, &h, &ct));
        // A changed ephemeral share looks like a bundle for someone else:
        // age cannot tell the two apart. Either way it does not open.
        assert!(
            matches!(
                code,
                ErrorCode::ImportBundleTampered
                    | ErrorCode::ImportBundleNotForThisProfile
                    | ErrorCode::ImportBundleMalformed
            ),
            "byte {i}: {code:?}"
        );
        seen.insert(format!("{code:?}"));
    }
    assert!(seen.contains("ImportBundleTampered"), "{seen:?}");
    // Version 2 with a password header, and version 1 with recipients.
    assert_eq!(code_of(&crate::bundle::assemble(1, &header, &ct)), ErrorCode::ImportBundleMalformed);
    assert!(values(&alice).is_empty(), "nothing was imported by any of them");
    assert_eq!(bundle::import(&alice, &good, None, &ImportDecisions::default()).unwrap().added, 3);
}

#[test]
fn an_expired_recipient_bundle_is_refused_first() {
    let (f, sender, mut others) = sender_and(&["Alice"]);
    let alice = others.remove(0);
    let rs = [identity::recipient(&alice).unwrap()];
    let out = f.dir.path().join("e.kcbundle");
    bundle::export(
        &sender,
        &out,
        BundleExport {
            selection: BundleSelection::All,
            key: BundleKey::Recipients(&rs),
            expires_at: Some(Utc::now() + Duration::hours(1)),
            totp_code: None,
            overwrite: false,
        },
    )
    .unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let later = Utc::now() + Duration::hours(2);
    let e = bundle::open(&bytes, BundleOpener::Identity(None), later).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportBundleExpired);
}

#[test]
fn rotation_keeps_the_identity() {
    let (f, sender, mut others) = sender_and(&["Alice"]);
    let alice = others.remove(0);
    let r = identity::recipient(&alice).unwrap();
    let out = f.dir.path().join("r.kcbundle");
    export_to(&sender, &out, std::slice::from_ref(&r)).unwrap();
    let alice = rotation::rotate(alice, &pass(), &mut |_| Ok(())).expect("rotate");
    assert_eq!(identity::recipient(&alice).unwrap(), r);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(bundle::import(&alice, &bytes, None, &ImportDecisions::default()).unwrap().added, 3);
}
