//! `integrity::check`: a sound profile passes; a damaged page of the vault
//! never goes unnoticed (the unlock refuses it or the check reports it).

use crate::common::*;
use keyclave_core::integrity;
use keyclave_core::paths::Root;

#[test]
fn a_sound_profile_passes_both_checks() {
    let fx = Fixture::new();
    let v = fx.unlock();
    add_secrets(&v, 300);
    let report = integrity::check(&v).expect("check");
    assert!(report.ok(), "{report:?}");
    assert!(report.vault.integrity_problems.is_empty() && report.vault.cipher_problems.is_empty());
}

#[test]
fn every_damaged_page_of_the_vault_is_noticed() {
    let fx = Fixture::new();
    let v = fx.unlock();
    add_secrets(&v, 300);
    v.close().expect("close");
    let path = Root::at(fx.dir.path()).vault_db(&fx.profile_id());
    let sound = std::fs::read(&path).expect("read vault");
    let pages = sound.len() / 4096;
    assert!(pages > 20, "the vault spans many pages ({pages})");
    let mut reported = 0;
    for page in 0..pages {
        let mut damaged = sound.clone();
        // A byte inside the page's ciphertext, past SQLCipher's header on page 1.
        damaged[page * 4096 + 200] ^= 0x5a;
        std::fs::write(&path, &damaged).expect("write damaged vault");
        match fx.reopen().unlock(NAME, &pass()) {
            Err(e) => assert!(
                matches!(e.code().as_str(), "vault.corruption" | "storage.database"),
                "page {page}: {e:?}"
            ),
            Ok(v) => {
                let report = integrity::check(&v).expect("check runs");
                assert!(!report.vault.ok, "page {page} damaged, yet the check passed");
                assert!(report.index.ok);
                reported += 1;
                drop(v);
            }
        }
    }
    std::fs::write(&path, &sound).expect("restore");
    assert!(integrity::check(&fx.unlock()).expect("check").ok());
    eprintln!("{pages} pages damaged one at a time: {reported} caught by the check, the rest by the unlock");
}
