//! Shared helpers: temp roots and profiles with cheap KDF parameters.

use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::paths::Root;
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

    /// Re-open the root as a new process would.
    pub fn reopen(&self) -> KeyClave {
        KeyClave::open(Root::at(self.dir.path())).expect("reopen root")
    }
}

/// A secret with distinctive name, value and notes.
pub fn secret(i: usize) -> (String, String, String) {
    (format!("ZQXKEY_{i:05}"), format!("zqxvalue-{i:05}-7f3a9c1e5b"), format!("zqxnote {i:05} for testing"))
}

pub fn add_secrets(vault: &mut Vault, n: usize) -> Vec<(String, String, String)> {
    let all: Vec<_> = (0..n).map(secret).collect();
    let news = all
        .iter()
        .map(|(k, v, n)| {
            let mut s = NewSecret::new(k.clone(), v.as_str());
            s.notes = Some(n.clone());
            s
        })
        .collect();
    vault.add_secrets(news).expect("add secrets");
    all
}
