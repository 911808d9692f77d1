//! Nothing secret is readable in the files on disk.

use crate::common::*;
use keyclave_core::crypto::Pvk;
use keyclave_core::secrets;
use rusqlite::Connection;
use std::path::Path;

fn contains(hay: &[u8], needle: &str) -> bool {
    memchr::memmem::find(hay, needle.as_bytes()).is_some()
}

fn read_or_empty(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

#[test]
fn vault_wal_and_shm_hold_no_values_names_or_notes() {
    let f = Fixture::new();
    let vault = f.unlock();
    let added = add_secrets(&vault, 200);
    let db = vault.db_path();
    let wal = db.with_extension("db-wal");
    let shm = db.with_extension("db-shm");
    // While the vault is open the WAL holds the recent writes.
    assert!(wal.exists(), "expected a WAL file while unlocked");
    let check = |label: &str| {
        let files = [
            read_or_empty(&db),
            read_or_empty(&wal),
            read_or_empty(&shm),
            read_or_empty(&f.dir.path().join("index.db")),
            read_or_empty(&db.with_file_name("index-copy.json")),
        ];
        for (k, v, n) in &added {
            for file in &files {
                assert!(!contains(file, v), "{label}: value {v} found in a file");
                assert!(!contains(file, k), "{label}: key name {k} found in a file");
                assert!(!contains(file, n), "{label}: note found in a file");
            }
        }
        assert!(!files.iter().any(|f| contains(f, PASS)), "{label}: passphrase in a file");
    };
    check("unlocked");
    vault.close().expect("lock");
    check("locked");
    // Nothing else beside the vault (no journal, no temp file) but the
    // empty files other processes lock (keyclave_core::exclusion).
    let profile_dir = db.parent().expect("dir");
    for entry in std::fs::read_dir(profile_dir).expect("read dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().into_string().expect("utf8");
        if name == "vault.lock" || name == "vault.lock.gate" {
            assert_eq!(entry.metadata().expect("metadata").len(), 0, "{name} holds data");
        } else if name == "index-copy.json" {
            // index.db's row, to rebuild it: checked with the others above.
        } else {
            assert!(name.starts_with("vault.db"), "unexpected file {name}");
        }
    }
}

#[test]
fn vault_file_cannot_be_read_without_the_right_key() {
    let f = Fixture::new();
    let vault = f.unlock();
    add_secrets(&vault, 3);
    let path = vault.db_path();
    vault.close().expect("lock");

    let plain = Connection::open(&path).expect("open as plain sqlite");
    let err = plain.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(rusqlite::ffi::ErrorCode::NotADatabase), "{err}");

    let wrong = Connection::open(&path).expect("open");
    let key = Pvk::generate().db_key();
    wrong.execute_batch(&format!("PRAGMA key = \"{}\";", key.pragma_value().as_str())).expect("pragma key");
    let err = wrong.query_row("SELECT count(*) FROM secrets", [], |r| r.get::<_, i64>(0)).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(rusqlite::ffi::ErrorCode::NotADatabase), "{err}");
}

#[test]
fn values_are_sealed_inside_the_database_too() {
    let f = Fixture::new();
    let vault = f.unlock();
    let added = add_secrets(&vault, 5);
    let conn = f.raw_vault();
    let mut stmt = conn.prepare("SELECT key_name, secret_value_enc FROM secrets").expect("prepare");
    let rows: Vec<(String, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(rows.len(), 5);
    for (k, blob) in rows {
        let (_, v, _) = added.iter().find(|(kk, _, _)| *kk == k).expect("known key");
        assert!(!contains(&blob, v), "sealed blob holds the plaintext");
        assert_eq!(blob[0], 1, "sealed blobs are versioned");
    }
}

#[test]
fn swapped_sealed_blobs_do_not_open() {
    let f = Fixture::new();
    let vault = f.unlock();
    add_secrets(&vault, 2);
    let (a, b) = (secret(0).0, secret(1).0);
    // Move A's blob onto B: AAD binds each blob to its row.
    f.raw_vault()
        .execute(
            "UPDATE secrets SET secret_value_enc = (SELECT secret_value_enc FROM secrets WHERE key_name = ?1) WHERE key_name = ?2",
            [&a, &b],
        )
        .expect("swap");
    let err = secrets::reveal(&vault, &b, None, None).unwrap_err();
    assert_eq!(err.code(), keyclave_core::ErrorCode::VaultCorruption);
    assert!(secrets::reveal(&vault, &a, None, None).is_ok());
}

/// Every file and folder under `dir` whose mode lets others in.
#[cfg(unix)]
fn shared_paths(dir: &Path) -> Vec<(std::path::PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let mode = std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            out.push((path.clone(), mode));
        }
        if path.is_dir() {
            out.extend(shared_paths(&path));
        }
    }
    out
}

// Unix only: modes are Unix permissions (ensure_private_db_file is a
// no-op elsewhere, where the profile folder's ACLs protect the files).
#[cfg(unix)]
#[test]
fn every_file_keyclave_creates_is_the_users_alone_and_old_0644_files_are_narrowed() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let vault = f.unlock();
    add_secrets(&vault, 20);
    let db = vault.db_path();
    assert!(db.with_extension("db-wal").exists(), "the WAL is there to check");
    assert_eq!(shared_paths(f.dir.path()), [], "while unlocked");
    vault.close().expect("lock");
    assert_eq!(shared_paths(f.dir.path()), [], "after locking");

    // Files left 0644 by an older version are narrowed when next opened.
    let index = keyclave_core::paths::Root::at(f.dir.path()).index_db();
    for p in [&db, &index] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let kc = f.reopen();
    let vault = kc.unlock(NAME, &pass()).expect("unlock");
    secrets::add(&vault, secrets::NewSecret::new("AFTER_NARROWING", "v")).expect("a write after reopening");
    assert_eq!(shared_paths(f.dir.path()), []);
}
