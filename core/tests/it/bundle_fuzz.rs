//! Fuzzing the bundle reader with proptest: arbitrary bytes and mutations
//! of a valid bundle never panic and always come back as one of the
//! structured bundle errors (or, for an unchanged bundle, its secrets).

use crate::bundle::{BUNDLE_KDF, assemble, bpass, sample, split};
use chrono::Utc;
use keyclave_core::ErrorCode;
use keyclave_core::bundle::{self, BundleKey, BundleOpener};
use proptest::prelude::*;
use std::sync::LazyLock;

static VALID: LazyLock<Vec<u8>> = LazyLock::new(|| {
    bundle::write_bundle(&sample(), BundleKey::Password { password: &bpass(), kdf: BUNDLE_KDF }, None)
        .expect("write")
});

/// The codes a bundle reader may answer with.
fn is_bundle_error(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::ImportNotABundle
            | ErrorCode::ImportBundleUnsupportedVersion
            | ErrorCode::ImportBundleExpired
            | ErrorCode::ImportBundleWrongPasswordOrTampered
            | ErrorCode::ImportBundleMalformed
            | ErrorCode::ImportBundleMalformedPayload
    )
}

/// Run both readers; every failure must be a structured bundle error.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Err(e) = bundle::inspect(bytes) {
        prop_assert!(is_bundle_error(e.code()), "inspect: unexpected {}", e.code());
        prop_assert!(!e.message().is_empty() && !e.suggestion().is_empty());
    }
    match bundle::open(bytes, BundleOpener::Password(&bpass()), Utc::now()) {
        Ok(secrets) => {
            prop_assert_eq!(bytes, &VALID[..], "only the untouched bundle opens ({} secrets)", secrets.len())
        }
        Err(e) => prop_assert!(is_bundle_error(e.code()), "open: unexpected {}", e.code()),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_behind_the_magic(version in any::<u16>(), rest in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = b"KCB1".to_vec();
        bytes.extend_from_slice(&version.to_be_bytes());
        bytes.extend_from_slice(&rest);
        check(&bytes)?;
    }

    #[test]
    fn bit_flips(flips in proptest::collection::vec((any::<proptest::sample::Index>(), 0u8..8), 1..4)) {
        let mut bytes = VALID.clone();
        for (i, bit) in &flips {
            let at = i.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        check(&bytes)?;
    }

    #[test]
    fn byte_overwrites_and_splices(
        at in any::<proptest::sample::Index>(),
        junk in proptest::collection::vec(any::<u8>(), 0..64),
        cut in any::<proptest::sample::Index>(),
    ) {
        let mut bytes = VALID.clone();
        let at = at.index(bytes.len());
        let cut = cut.index(bytes.len() - at + 1);
        bytes.splice(at..at + cut, junk);
        check(&bytes)?;
    }

    #[test]
    fn header_field_edits(
        count in prop_oneof![0u32..5, any::<u32>()],
        // Cheap when in range (the KDF runs), or beyond the caps (refused before it).
        m in prop_oneof![0u32..64, (bundle::MAX_BUNDLE_M_KIB + 1)..=u32::MAX],
        t in prop_oneof![0u32..3, (bundle::MAX_BUNDLE_T + 1)..=u32::MAX],
        p in 0u32..20,
        expires in proptest::option::of("[0-9T:.Z-]{0,30}"),
        keep_id in any::<bool>(),
        id in "[0-9a-f-]{0,40}",
    ) {
        let (mut header, ct) = split(&VALID);
        header["count"] = count.into();
        header["kdf"]["m"] = m.into();
        header["kdf"]["t"] = t.into();
        header["kdf"]["p"] = p.into();
        if !keep_id {
            header["bundle_id"] = id.into();
        }
        match expires {
            Some(e) => header["expires_at"] = e.into(),
            None => drop(header.as_object_mut().map(|o| o.remove("expires_at"))),
        }
        let bytes = assemble(1, &header, &ct);
        check(&bytes)?;
    }
}

#[test]
fn every_truncation_of_a_valid_bundle() {
    for len in 0..VALID.len() {
        let r = bundle::open(&VALID[..len], BundleOpener::Password(&bpass()), Utc::now());
        let code = r.expect_err("a truncated bundle never opens").code();
        assert!(is_bundle_error(code), "{len}: {code}");
    }
}
