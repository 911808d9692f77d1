//! Profile lifecycle: create, list, rename, delete; audit of each.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::crypto::SecretString;

#[test]
fn names_are_unique_case_insensitively() {
    let mut f = Fixture::new();
    let e = f.kc.create_profile("work", &pass(), CHEAP).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ProfileAlreadyExists);
    f.kc.create_profile("Personal", &pass(), CHEAP).expect("second profile");
    let names: Vec<String> = f.kc.profiles().expect("list").into_iter().map(|p| p.display_name).collect();
    assert_eq!(names, ["Personal", "Work"]);
    assert_eq!(f.kc.select_profile(None).unwrap_err().code(), ErrorCode::ProfileNotSelected);
    assert_eq!(f.kc.select_profile(Some("WORK")).expect("case-insensitive").display_name, "Work");
}

#[test]
fn create_validates_before_doing_work() {
    let mut f = Fixture::new();
    assert_eq!(f.kc.create_profile("  ", &pass(), CHEAP).unwrap_err().code(), ErrorCode::ProfileInvalidName);
    assert_eq!(
        f.kc.create_profile("Other", &SecretString::from("short"), CHEAP).unwrap_err().code(),
        ErrorCode::PassphraseTooShort
    );
    let folders = std::fs::read_dir(f.dir.path().join("profiles")).expect("dir").count();
    assert_eq!(folders, 1, "failed creations leave no folder");
}

#[test]
fn rename_is_audited_at_next_unlock() {
    let f = Fixture::new();
    assert_eq!(f.kc.rename_profile("nope", "x").unwrap_err().code(), ErrorCode::ProfileNotFound);
    let rec = f.kc.rename_profile(NAME, "Clients").expect("rename");
    assert_eq!(rec.display_name, "Clients");
    // Changing only the case of one's own name is allowed.
    f.kc.rename_profile("Clients", "clients").expect("case-only rename");
    let v = f.kc.unlock("clients", &pass()).expect("unlock under the new name");
    let renames = v.audit_log(10, Some("profile.rename")).expect("audit");
    assert_eq!(renames.len(), 2);
    assert_eq!(renames[1].metadata["to"], "Clients");
    drop(v);
    // Delivered once, not again at the following unlock.
    let v = f.kc.unlock("clients", &pass()).expect("unlock");
    assert_eq!(v.audit_log(10, Some("profile.rename")).expect("audit").len(), 2);
}

#[test]
fn delete_needs_the_passphrase_and_removes_the_folder() {
    let f = Fixture::new();
    let id = f.kc.select_profile(Some(NAME)).expect("profile").id;
    let dir = f.dir.path().join("profiles").join(&id);
    assert!(dir.exists());
    let e = f.kc.delete_profile(NAME, &SecretString::from("not it at all")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::VaultWrongPassphrase);
    assert!(dir.exists(), "a wrong passphrase deletes nothing");
    f.kc.delete_profile(NAME, &pass()).expect("delete");
    assert!(!dir.exists());
    assert!(f.kc.profiles().expect("list").is_empty());
    assert_eq!(f.kc.unlock(NAME, &pass()).unwrap_err().code(), ErrorCode::ProfileNotFound);
    let deletions: i64 = f
        .raw_index()
        .query_row("SELECT count(*) FROM app_audit_events WHERE event_type = 'profile.delete'", [], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(deletions, 1);
}

#[test]
fn unlock_lock_and_create_are_audited_and_retention_applies() {
    let f = Fixture::new();
    let v = f.unlock();
    let log = v.audit_log(10, None).expect("audit");
    let types: Vec<&str> = log.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["vault.unlock", "profile.create"]);
    let mut s = v.settings().clone();
    s.audit_retention_max_count = 100;
    v.update_settings(s).expect("settings");
    let raw = f.raw_vault();
    for i in 0..150 {
        raw.execute(
            "INSERT INTO audit_events (id, profile_id, event_type, created_at, metadata_json_redacted)
             VALUES (?1, ?2, 'secret.reveal', ?3, '{}')",
            rusqlite::params![format!("filler-{i}"), f.profile_id(), keyclave_core::time::now()],
        )
        .expect("record");
    }
    v.close().expect("lock");
    let v = f.unlock();
    let n: i64 = raw.query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 100, "retention keeps the newest max_count events");
    assert_eq!(v.audit_log(1, None).expect("audit")[0].event_type, "vault.unlock");
    // Age: an event older than max_days goes at the next unlock.
    raw.execute(
        "UPDATE audit_events SET created_at = '2000-01-01T00:00:00.000Z' WHERE event_type = 'secret.reveal'",
        [],
    )
    .expect("age events");
    drop(v);
    let v = f.unlock();
    assert!(v.audit_log(1000, Some("secret.reveal")).expect("audit").is_empty());
}
