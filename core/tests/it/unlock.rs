//! Unlock, wrong passphrases, back-off, passphrase change, KDF upgrade.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::{passphrase, secrets};

fn meta_row(f: &Fixture) -> (Vec<u8>, Vec<u8>, String, i64) {
    f.raw_index()
        .query_row(
            "SELECT wrapped_pvk, kdf_salt, kdf_params_json, rotation_version FROM profile_vault_meta",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("meta row")
}

fn failed_count(f: &Fixture) -> i64 {
    f.raw_index()
        .query_row("SELECT failed_unlock_count FROM profile_vault_meta", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn wrong_passphrase_is_reported_and_changes_nothing() {
    let f = Fixture::new();
    let v = f.unlock();
    add_secrets(&v, 3);
    let path = v.db_path();
    v.close().expect("lock");
    let before_db = std::fs::read(&path).expect("read vault");
    let before_meta = meta_row(&f);

    let err = f.kc.unlock(NAME, &SecretString::from("not the passphrase")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::VaultWrongPassphrase);
    assert!(err.is_recoverable());

    assert_eq!(std::fs::read(&path).expect("read vault"), before_db, "vault.db changed");
    assert_eq!(meta_row(&f), before_meta, "key metadata changed");
    assert_eq!(failed_count(&f), 1);
    // Still opens with the right passphrase, with every secret.
    let v = f.unlock();
    assert_eq!(secrets::count(&v), 3);
    assert_eq!(failed_count(&f), 0, "success resets the counter");
}

#[test]
fn no_passphrase_is_its_own_error_and_never_counts_as_a_failure() {
    let f = Fixture::new();
    for _ in 0..8 {
        let err = f.kc.unlock(NAME, &SecretString::from("")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::VaultPassphraseMissing);
        assert!(err.code().is_user_error() && err.is_recoverable());
    }
    assert_eq!(failed_count(&f), 0);
    // Asked again for an operation (a passphrase change): the same.
    let v = f.unlock();
    let err = passphrase::change(&v, &SecretString::from(""), &SecretString::from("a new passphrase 1"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::VaultPassphraseMissing);
    assert_eq!(failed_count(&f), 0);
}

#[test]
fn sixth_attempt_waits_and_failures_reach_the_audit_log() {
    let f = Fixture::new();
    let bad = SecretString::from("wrong wrong wrong");
    for i in 0..5 {
        let e = f.kc.unlock(NAME, &bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::VaultWrongPassphrase, "attempt {i}");
        // The fifth failure already tells when the next attempt is allowed.
        assert_eq!(e.retry_after_secs(), (i == 4).then_some(1), "attempt {i}");
    }
    // From the sixth attempt a delay applies, even with the right passphrase.
    let e = f.kc.unlock(NAME, &pass()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::VaultThrottled);
    assert!(e.retry_after_secs().is_some_and(|s| (1..=2).contains(&s)), "{:?}", e.retry_after_secs());

    // The counter survives a restart of the app.
    let kc2 = f.reopen();
    assert_eq!(kc2.unlock(NAME, &pass()).unwrap_err().code(), ErrorCode::VaultThrottled);

    // Once the delay has passed, the right passphrase works.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let v = f.unlock();
    let failed = v.audit_log(10, Some("vault.unlock_failed")).expect("audit");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].metadata["failed_attempts"], 5);
    assert_eq!(failed_count(&f), 0);
}

#[test]
fn passphrase_change_rewraps_only() {
    let f = Fixture::new();
    let v = f.unlock();
    add_secrets(&v, 2);
    let (wrapped_before, salt_before, _, version_before) = meta_row(&f);
    let new = SecretString::from("a brand new passphrase");
    assert_eq!(
        passphrase::change(&v, &SecretString::from("wrong one!"), &new).unwrap_err().code(),
        ErrorCode::VaultWrongPassphrase
    );
    assert_eq!(
        passphrase::change(&v, &pass(), &SecretString::from("short")).unwrap_err().code(),
        ErrorCode::PassphraseTooShort
    );
    passphrase::change(&v, &pass(), &new).expect("change");
    v.close().expect("lock");
    let (wrapped_after, salt_after, _, version_after) = meta_row(&f);
    assert_ne!(wrapped_after, wrapped_before);
    assert_ne!(salt_after, salt_before, "a new salt comes with a new passphrase");
    assert_eq!(version_after, version_before, "re-wrap only: same PVK version");

    assert_eq!(f.kc.unlock(NAME, &pass()).unwrap_err().code(), ErrorCode::VaultWrongPassphrase);
    let v = f.kc.unlock(NAME, &new).expect("unlock with the new passphrase");
    assert_eq!(secrets::reveal(&v, &secret(1).0, None, None).expect("reveal").expose_secret(), secret(1).1);
    assert_eq!(v.audit_log(50, Some("profile.passphrase_change")).expect("audit").len(), 1);
}

#[test]
fn kdf_parameters_can_be_upgraded() {
    let f = Fixture::new();
    let v = f.unlock();
    assert_eq!(passphrase::kdf_params(&v).expect("params"), CHEAP);
    let stronger = KdfParams { m_kib: 1024, t: 2, p: 1 };
    assert_eq!(passphrase::upgrade_kdf(&v, &pass(), stronger).expect("upgrade"), stronger);
    let bad = KdfParams { m_kib: 1, t: 1, p: 1 };
    assert_eq!(passphrase::upgrade_kdf(&v, &pass(), bad).unwrap_err().code(), ErrorCode::InputInvalid);
    v.close().expect("lock");
    let (_, _, params_json, _) = meta_row(&f);
    let stored: KdfParams = serde_json::from_str(&params_json).expect("json");
    assert_eq!(stored, stronger);
    let v = f.unlock();
    assert_eq!(v.audit_log(50, Some("profile.kdf_upgrade")).expect("audit").len(), 1);
}

#[test]
fn tampered_kdf_parameters_are_corruption_not_a_panic() {
    let f = Fixture::new();
    for bad in [r#"{"m_kib":0,"t":0,"p":0}"#, "not json", r#"{"m_kib":4294967295,"t":1,"p":1}"#] {
        f.raw_index().execute("UPDATE profile_vault_meta SET kdf_params_json = ?1", [bad]).expect("tamper");
        assert_eq!(f.kc.unlock(NAME, &pass()).unwrap_err().code(), ErrorCode::VaultCorruption, "{bad}");
    }
}

#[test]
fn corrupted_or_missing_vault_file_is_corruption() {
    let f = Fixture::new();
    let v = f.unlock();
    let path = v.db_path();
    v.close().expect("lock");
    std::fs::write(&path, vec![0x42u8; 8192]).expect("overwrite");
    let e = f.kc.unlock(NAME, &pass()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::VaultCorruption, "{e:?}");
    std::fs::remove_file(&path).expect("remove");
    assert_eq!(f.kc.unlock(NAME, &pass()).unwrap_err().code(), ErrorCode::VaultCorruption);
}

#[test]
fn tampered_wrapped_key_reads_as_wrong_passphrase() {
    let f = Fixture::new();
    let (mut wrapped, ..) = meta_row(&f);
    let last = wrapped.len() - 1;
    wrapped[last] ^= 0x01;
    f.raw_index().execute("UPDATE profile_vault_meta SET wrapped_pvk = ?1", [wrapped]).expect("tamper");
    // AEAD cannot tell a wrong key from a tampered blob.
    assert_eq!(f.kc.unlock(NAME, &pass()).unwrap_err().code(), ErrorCode::VaultWrongPassphrase);
}
