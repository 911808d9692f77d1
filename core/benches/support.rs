//! Shared by the benches: a second connection to a profile's vault file,
//! keyed from the passphrase (for the SQL baselines the benches compare
//! against, which the vault handle does not expose).

use keyclave_core::crypto;
use keyclave_core::index::Index;
use keyclave_core::paths::Root;

/// A raw SQLCipher connection to `profile_id`'s vault under `root`.
pub fn raw_vault(root: &Root, profile_id: &str, passphrase: &str) -> rusqlite::Connection {
    let meta = Index::open(&root.index_db()).expect("index").vault_meta(profile_id).expect("meta");
    let kek = crypto::derive_kek(passphrase.as_bytes(), &meta.kdf_salt, meta.kdf_params).expect("kdf");
    let pvk = crypto::unwrap_pvk(&kek, &meta.wrapped_pvk, profile_id, meta.rotation_version).expect("pvk");
    let conn = rusqlite::Connection::open(root.vault_db(profile_id)).expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", pvk.db_key().pragma_value().as_str())).expect("key");
    conn.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    conn
}
