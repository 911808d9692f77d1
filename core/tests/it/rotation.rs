//! PVK rotation: re-encrypts everything, and survives a crash at any step.

use crate::common::*;
use keyclave_core::rotation::RotationStep;
use keyclave_core::{Error, ErrorCode};
use keyclave_core::{rotation, secrets};

const N: usize = 12;

fn assert_all_readable(f: &Fixture, expected: &[(String, String, String)]) -> u64 {
    let v = f.unlock();
    assert_eq!(secrets::count(&v), expected.len());
    for (k, val, _) in expected {
        assert_eq!(secrets::reveal(&v, k, None, None).expect("reveal").expose_secret(), val, "{k}");
    }
    let version = v.rotation_version();
    v.close().expect("lock");
    version
}

fn leftovers(f: &Fixture) -> Vec<String> {
    let v = f.unlock();
    let dir = v.db_path().parent().expect("dir").to_path_buf();
    drop(v);
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf8"))
        .filter(|n| n.contains("rotating"))
        .collect()
}

#[test]
fn rotation_changes_the_key_and_keeps_every_secret() {
    let f = Fixture::new();
    let v = f.unlock();
    let added = add_secrets(&v, N);
    let path = v.db_path();
    let before = std::fs::read(&path).expect("read");
    let mut steps = Vec::new();
    let v = rotation::rotate(v, &pass(), &mut |s| {
        steps.push(s);
        Ok(())
    })
    .expect("rotate");
    assert_eq!(v.rotation_version(), 2);
    assert_eq!(steps.first(), Some(&RotationStep::Started));
    assert_eq!(steps.last(), Some(&RotationStep::Committed));
    assert!(steps.contains(&RotationStep::Resealed { done: N, total: N }));
    v.close().expect("lock");
    assert_ne!(&std::fs::read(&path).expect("read")[..64], &before[..64]);
    assert_eq!(assert_all_readable(&f, &added), 2);
    assert!(leftovers(&f).is_empty());
    let v = f.unlock();
    assert_eq!(v.audit_log(100, Some("profile.key_rotation")).expect("audit").len(), 1);
}

#[test]
fn rotation_needs_the_passphrase() {
    let f = Fixture::new();
    let v = f.unlock();
    let e = rotation::rotate(v, &"not the passphrase".into(), &mut |_| Ok(())).unwrap_err();
    assert_eq!(e.code(), ErrorCode::VaultWrongPassphrase);
    assert_eq!(assert_all_readable(&f, &[]), 1);
}

/// Stop the rotation at every step, as a crash would, then unlock and read
/// every secret; then rotate again to completion.
#[test]
fn rotation_survives_a_crash_at_every_step() {
    let steps = [
        RotationStep::Started,
        RotationStep::Exported,
        RotationStep::Resealed { done: 1, total: N },
        RotationStep::Resealed { done: N / 2, total: N },
        RotationStep::Resealed { done: N, total: N },
        RotationStep::Synced,
        RotationStep::Prepared,
        RotationStep::Switched,
        RotationStep::Committed,
    ];
    for crash_at in steps {
        let f = Fixture::new();
        let v = f.unlock();
        let added = add_secrets(&v, N);
        let result = rotation::rotate(v, &pass(), &mut |s| {
            if s == crash_at { Err(Error::internal("simulated crash")) } else { Ok(()) }
        });
        assert!(result.is_err(), "{crash_at:?}: the hook must stop the rotation");
        let version = assert_all_readable(&f, &added);
        // Before the switch the old key stays; from the switch on the new one.
        let switched = matches!(crash_at, RotationStep::Switched | RotationStep::Committed);
        assert_eq!(version, if switched { 2 } else { 1 }, "{crash_at:?}");
        assert!(leftovers(&f).is_empty(), "{crash_at:?}: leftovers {:?}", leftovers(&f));
        let pending: Option<Vec<u8>> = f
            .raw_index()
            .query_row("SELECT pending_wrapped_pvk FROM profile_vault_meta", [], |r| r.get(0))
            .expect("meta");
        assert!(pending.is_none(), "{crash_at:?}: recovery clears the pending key");

        // And the next rotation completes.
        let v = f.unlock();
        let v = rotation::rotate(v, &pass(), &mut |_| Ok(())).expect("rotate after recovery");
        assert_eq!(v.rotation_version(), version + 1);
        v.close().expect("lock");
        assert_all_readable(&f, &added);
    }
}

#[test]
fn a_garbage_rotation_file_is_cleaned_up() {
    let f = Fixture::new();
    let v = f.unlock();
    let added = add_secrets(&v, 3);
    let rotating = v.db_path().with_extension("db.rotating");
    v.close().expect("lock");
    std::fs::write(&rotating, b"half-written garbage").expect("write");
    assert_all_readable(&f, &added);
    assert!(!rotating.exists());
}
