//! Shared helpers: temp roots and profiles with cheap KDF parameters.

use keyclave_core::crypto::{self, KdfParams, SecretString};
use keyclave_core::index::Index;
use keyclave_core::paths::Root;
use keyclave_core::secrets;
use keyclave_core::secrets::NewSecret;
use keyclave_core::{KeyClave, Vault};
use tempfile::TempDir;

/// Cheap KDF parameters: tests exercise the logic, benches the cost.
pub const CHEAP: KdfParams = KdfParams { m_kib: 256, t: 1, p: 1 };
pub const PASS: &str = "correct horse battery staple";
pub const NAME: &str = "Work";

pub fn pass() -> SecretString {
    SecretString::from(PASS)
}

/// A fresh data root with one profile.
pub struct Fixture {
    pub dir: TempDir,
    pub kc: KeyClave,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut kc = KeyClave::open(Root::at(dir.path())).expect("open root");
        kc.create_profile(NAME, &pass(), CHEAP).expect("create profile");
        Fixture { dir, kc }
    }

    pub fn unlock(&self) -> Vault {
        self.kc.unlock(NAME, &pass()).expect("unlock")
    }

    /// The profile's id.
    pub fn profile_id(&self) -> String {
        self.kc.profiles().expect("profiles")[0].id.clone()
    }

    /// A second connection to the vault file, keyed from the passphrase as
    /// anyone who knows it could: to look at or tamper with what is on
    /// disk, beside the vault's own connections (WAL lets both in).
    pub fn raw_vault(&self) -> rusqlite::Connection {
        let id = self.profile_id();
        let root = Root::at(self.dir.path());
        let meta = Index::open(&root.index_db()).expect("index").vault_meta(&id).expect("meta");
        let kek = crypto::derive_kek(PASS.as_bytes(), &meta.kdf_salt, meta.kdf_params).expect("kdf");
        let pvk = crypto::unwrap_pvk(&kek, &meta.wrapped_pvk, &id, meta.rotation_version).expect("pvk");
        let conn = rusqlite::Connection::open(root.vault_db(&id)).expect("open");
        conn.execute_batch(&format!("PRAGMA key = \"{}\";", pvk.db_key().pragma_value().as_str()))
            .expect("key");
        conn.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
        conn
    }

    /// A connection to index.db (not encrypted).
    pub fn raw_index(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(Root::at(self.dir.path()).index_db()).expect("open index");
        conn.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
        conn
    }

    /// Re-open the root as a new process would.
    pub fn reopen(&self) -> KeyClave {
        KeyClave::open(Root::at(self.dir.path())).expect("reopen root")
    }
}

/// A secret with distinctive name, value and notes.
pub fn secret(i: usize) -> (String, String, String) {
    (format!("ZQXKEY_{i:05}"), format!("zqxvalue-{i:05}-7f3a9c1e5b"), format!("zqxnote {i:05} for testing"))
}

pub fn add_secrets(vault: &Vault, n: usize) -> Vec<(String, String, String)> {
    let all: Vec<_> = (0..n).map(secret).collect();
    let news = all
        .iter()
        .map(|(k, v, n)| {
            let mut s = NewSecret::new(k.clone(), v.as_str());
            s.notes = Some(n.clone());
            s
        })
        .collect();
    secrets::add_many(vault, news).expect("add secrets");
    all
}
