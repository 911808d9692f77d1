//! TOTP on a real vault: enrollment, confirmation, one-time codes and
//! recovery codes, policy, disable, key rotation, and nothing secret in the
//! audit log.

use crate::bundle::{BUNDLE_KDF, bpass};
use crate::common::*;
use keyclave_core::bundle::{BundleExport, BundleKey, BundleSelection};
use keyclave_core::crypto::SecretString;
use keyclave_core::reveal::{self, Purpose};
use keyclave_core::secrets::NewSecret;
use keyclave_core::totp::{self, TotpPolicy, TotpVerified};
use keyclave_core::{ErrorCode, Vault};
use keyclave_core::{bundle, rotation, secrets};
use zeroize::Zeroizing;

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}

/// Wait until at least `margin` seconds are left in the current 30 s step,
/// so a test's codes are not cut by a step boundary, and return now.
pub fn settled_now(margin: u64) -> u64 {
    loop {
        let now = unix_now();
        if totp::PERIOD - now % totp::PERIOD >= margin {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// Codes of the previous, current and next step (all within the ±1 skew),
/// to use in that order: each accepted code blocks its step and older ones.
pub fn three_codes(secret: &[u8]) -> [String; 3] {
    let now = settled_now(10);
    [totp::code_at(secret, now - 30), totp::code_at(secret, now), totp::code_at(secret, now + 30)]
}

/// Enroll and confirm with the previous step's code. Returns the secret,
/// the recovery codes and the two codes still usable (current, next).
pub fn enable(v: &Vault) -> (Zeroizing<Vec<u8>>, Vec<String>, [String; 2]) {
    let e = totp::begin_enrollment(v).expect("begin");
    let secret = totp::secret_from_base32(e.secret_base32.expose_secret()).expect("base32");
    let [prev, cur, next] = three_codes(&secret);
    let codes = totp::confirm(v, &prev).expect("confirm");
    let codes = codes.codes().iter().map(|c| c.expose_secret().to_owned()).collect();
    (secret, codes, [cur, next])
}

#[test]
fn enrollment_shows_the_secret_once_in_three_forms() {
    let f = Fixture::new();
    let v = f.unlock();
    let e = totp::begin_enrollment(&v).expect("begin");
    let b32 = e.secret_base32.expose_secret();
    assert_eq!(b32.len(), 32, "160-bit secret in base32");
    assert_eq!(totp::secret_from_base32(b32).unwrap().len(), 20);
    assert_eq!(
        e.otpauth_uri.expose_secret(),
        format!(
            "otpauth://totp/KeyClave:Work?secret={b32}&issuer=KeyClave&algorithm=SHA1&digits=6&period=30"
        )
    );
    assert!(e.qr_svg.expose_secret().starts_with("<?xml") || e.qr_svg.expose_secret().starts_with("<svg"));
    assert_eq!(format!("{e:?}"), "Enrollment(***)");
    let s = totp::status(&v).unwrap();
    assert!(!s.enabled && s.pending_enrollment);
    assert!(!v.profile().totp_enabled, "nothing is enforced before confirmation");
    // Nothing enforced yet: export needs no code.
    reveal::authorize(&v, Purpose::Export, None).map(|_| ()).expect("not enabled yet");
}

#[test]
fn confirm_needs_the_right_code_and_issues_eight_recovery_codes() {
    let f = Fixture::new();
    let v = f.unlock();
    assert_eq!(totp::confirm(&v, "123456").unwrap_err().code(), ErrorCode::TotpNoPendingEnrollment);
    let e = totp::begin_enrollment(&v).expect("begin");
    let secret = totp::secret_from_base32(e.secret_base32.expose_secret()).unwrap();
    let now = settled_now(10);
    let wrong = format!("{:06}", (totp::code_at(&secret, now).parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(totp::confirm(&v, &wrong).unwrap_err().code(), ErrorCode::TotpInvalid);
    assert!(!totp::status(&v).unwrap().enabled);
    let codes = totp::confirm(&v, &totp::code_at(&secret, now)).expect("confirm");
    assert_eq!(codes.codes().len(), 8);
    let status = totp::status(&v).unwrap();
    assert!(status.enabled && !status.pending_enrollment);
    assert_eq!(status.recovery_codes_remaining, 8);
    assert_eq!(status.policy, TotpPolicy { required_for_export: true, required_for_reveal: false });
    assert!(v.profile().totp_enabled);
    assert_eq!(totp::begin_enrollment(&v).unwrap_err().code(), ErrorCode::TotpAlreadyEnabled);
    // index.db shows it before unlock.
    assert!(f.reopen().profiles().unwrap()[0].totp_enabled);
}

#[test]
fn a_pending_enrollment_survives_lock_and_unlock() {
    let f = Fixture::new();
    let v = f.unlock();
    let e = totp::begin_enrollment(&v).expect("begin");
    let secret = totp::secret_from_base32(e.secret_base32.expose_secret()).unwrap();
    v.close().unwrap();
    let v = f.unlock();
    totp::confirm(&v, &totp::code_at(&secret, settled_now(5))).expect("confirm in a new session");
}

#[test]
fn a_code_works_once_and_an_older_one_never_after() {
    let f = Fixture::new();
    let v = f.unlock();
    let (_, _, [cur, next]) = enable(&v);
    assert_eq!(totp::check_code(&v, &cur).expect("current code"), TotpVerified::Code);
    assert_eq!(totp::check_code(&v, &cur).unwrap_err().code(), ErrorCode::TotpInvalid, "replay");
    assert_eq!(
        totp::check_code(&v, &format!("{} {}", &next[..3], &next[3..])).expect("spaced"),
        TotpVerified::Code
    );
    assert_eq!(totp::check_code(&v, &cur).unwrap_err().code(), ErrorCode::TotpInvalid, "older step");
    // The last step is persisted: a new session refuses the replay too.
    v.close().unwrap();
    let v = f.unlock();
    assert_eq!(totp::check_code(&v, &next).unwrap_err().code(), ErrorCode::TotpInvalid);
}

#[test]
fn malformed_codes_are_refused() {
    let f = Fixture::new();
    let v = f.unlock();
    enable(&v);
    for bad in ["", "12345", "abcdef", "1234567"] {
        assert_eq!(totp::check_code(&v, bad).unwrap_err().code(), ErrorCode::TotpInvalid, "{bad:?}");
    }
}

#[test]
fn a_recovery_code_works_once() {
    let f = Fixture::new();
    let v = f.unlock();
    let (_, recovery, _) = enable(&v);
    let first = &recovery[0];
    assert_eq!(
        totp::check_code(&v, &first.to_lowercase()).unwrap(),
        TotpVerified::RecoveryCode { remaining: 7 }
    );
    assert_eq!(totp::check_code(&v, first).unwrap_err().code(), ErrorCode::TotpInvalid, "used up");
    assert_eq!(
        totp::check_code(&v, &recovery[1].replace('-', "")).unwrap(),
        TotpVerified::RecoveryCode { remaining: 6 }
    );
    assert_eq!(totp::status(&v).unwrap().recovery_codes_remaining, 6);
    assert_eq!(totp::check_code(&v, "ZZZZ-ZZZZ").unwrap_err().code(), ErrorCode::TotpInvalid);
    assert_eq!(v.audit_log(10, Some("totp.recovery_code_used")).unwrap().len(), 2);
}

fn export<'a>(password: &'a SecretString, totp_code: Option<&'a str>) -> BundleExport<'a> {
    BundleExport {
        selection: BundleSelection::All,
        key: BundleKey::Password { password, kdf: BUNDLE_KDF },
        expires_at: None,
        totp_code,
        overwrite: true,
    }
}

#[test]
fn export_requires_a_code_by_default_and_reveal_only_by_policy() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GH_TOKEN", "ghp_totpGuarded000000000000000")).unwrap();
    let (_, recovery, [cur, next]) = enable(&v);
    let out = f.dir.path().join("x.kcbundle");
    let pass = bpass();
    assert_eq!(bundle::export(&v, &out, export(&pass, None)).unwrap_err().code(), ErrorCode::TotpRequired);
    assert_eq!(
        bundle::export(&v, &out, export(&pass, Some("000000"))).unwrap_err().code(),
        ErrorCode::TotpInvalid
    );
    assert!(!out.exists(), "nothing written without the code");
    // A mistake in the request does not use up the code.
    let taken = f.dir.path().join("taken.kcbundle");
    std::fs::write(&taken, b"x").unwrap();
    let e = bundle::export(&v, &taken, BundleExport { overwrite: false, ..export(&pass, Some(&cur)) })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputInvalid);
    bundle::export(&v, &out, export(&pass, Some(&cur))).expect("export with a code");
    assert!(out.exists());

    reveal::authorize(&v, Purpose::Reveal, None).map(|_| ()).expect("reveal is not guarded by default");
    let policy = TotpPolicy { required_for_export: true, required_for_reveal: true };
    assert_eq!(totp::set_policy(&v, policy, None).unwrap_err().code(), ErrorCode::TotpRequired);
    totp::set_policy(&v, policy, Some(&next)).expect("policy with a code");
    assert_eq!(
        reveal::authorize(&v, Purpose::Reveal, None).map(|_| ()).unwrap_err().code(),
        ErrorCode::TotpRequired
    );
    reveal::authorize(&v, Purpose::Reveal, Some(&recovery[0]))
        .map(|_| ())
        .expect("a recovery code also works");
    assert_eq!(
        v.audit_log(10, Some("totp.verify_failed")).unwrap()[0].metadata["purpose"],
        "export",
        "the failed export attempt was audited"
    );
}

#[test]
fn disable_needs_the_passphrase_and_a_code() {
    let f = Fixture::new();
    let v = f.unlock();
    let (_, recovery, [cur, _]) = enable(&v);
    let wrong_pass = SecretString::from("not the passphrase");
    assert_eq!(totp::disable(&v, &wrong_pass, &cur).unwrap_err().code(), ErrorCode::VaultWrongPassphrase);
    assert_eq!(totp::disable(&v, &pass(), "000000").unwrap_err().code(), ErrorCode::TotpInvalid);
    assert!(totp::status(&v).unwrap().enabled);
    totp::disable(&v, &pass(), &recovery[3]).expect("disable with a recovery code");
    let s = totp::status(&v).unwrap();
    assert!(!s.enabled && !s.pending_enrollment && s.recovery_codes_remaining == 0);
    assert!(!v.profile().totp_enabled);
    assert!(!f.reopen().profiles().unwrap()[0].totp_enabled);
    assert_eq!(totp::check_code(&v, &cur).unwrap_err().code(), ErrorCode::TotpNotEnabled);
    reveal::authorize(&v, Purpose::Export, None).map(|_| ()).expect("no longer enforced");
    let row: (Option<Vec<u8>>, Option<Vec<u8>>) = f
        .raw_vault()
        .query_row("SELECT totp_secret_enc, recovery_codes_enc FROM profile_settings", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(row, (None, None), "erased");
    // It can be enrolled again.
    enable(&v);
}

#[test]
fn totp_still_verifies_after_key_rotation() {
    let f = Fixture::new();
    let v = f.unlock();
    let (secret, recovery, [cur, _]) = enable(&v);
    let v = rotation::rotate(v, &pass(), &mut |_| Ok(())).expect("rotate");
    assert_eq!(v.rotation_version(), 2);
    assert_eq!(totp::check_code(&v, &cur).unwrap(), TotpVerified::Code);
    assert_eq!(totp::check_code(&v, &recovery[0]).unwrap(), TotpVerified::RecoveryCode { remaining: 7 });
    v.close().unwrap();
    let v = f.unlock();
    let next = totp::code_at(&secret, unix_now() + 30);
    assert_eq!(totp::check_code(&v, &next).unwrap(), TotpVerified::Code, "after a reopen with the new key");
}

#[test]
fn a_pending_enrollment_survives_key_rotation() {
    let f = Fixture::new();
    let v = f.unlock();
    let e = totp::begin_enrollment(&v).expect("begin");
    let secret = totp::secret_from_base32(e.secret_base32.expose_secret()).unwrap();
    let v = rotation::rotate(v, &pass(), &mut |_| Ok(())).expect("rotate");
    totp::confirm(&v, &totp::code_at(&secret, settled_now(5))).expect("confirm after rotation");
}

#[test]
fn the_index_flag_is_repaired_from_the_vault_at_unlock() {
    let f = Fixture::new();
    let v = f.unlock();
    enable(&v);
    v.close().unwrap();
    // As if a crash fell between the vault commit and the index.db write.
    f.raw_index().execute("UPDATE app_profiles SET totp_enabled = 0", []).unwrap();
    assert!(!f.reopen().profiles().unwrap()[0].totp_enabled);
    let v = f.unlock();
    assert!(v.profile().totp_enabled);
    assert!(f.reopen().profiles().unwrap()[0].totp_enabled);
}

#[test]
fn no_secret_or_code_reaches_the_audit_log_or_the_files() {
    let f = Fixture::new();
    let v = f.unlock();
    let e = totp::begin_enrollment(&v).expect("begin");
    let b32 = e.secret_base32.expose_secret().to_owned();
    let secret = totp::secret_from_base32(&b32).unwrap();
    let [prev, cur, _] = three_codes(&secret);
    let recovery: Vec<String> =
        totp::confirm(&v, &prev).unwrap().codes().iter().map(|c| c.expose_secret().to_owned()).collect();
    let _ = totp::check_code(&v, "999999");
    totp::check_code(&v, &cur).unwrap();
    totp::check_code(&v, &recovery[0]).unwrap();
    let log = serde_json::to_string(
        &v.audit_log(100, None).unwrap().iter().map(|e| &e.metadata).collect::<Vec<_>>(),
    )
    .unwrap();
    let types: Vec<String> = v.audit_log(100, None).unwrap().into_iter().map(|e| e.event_type).collect();
    for t in ["totp.enroll", "totp.confirm", "totp.verify_failed", "totp.recovery_code_used"] {
        assert!(types.iter().any(|x| x == t), "{t} in {types:?}");
    }
    assert!(!log.contains(&b32) && !log.contains(&prev) && !log.contains(&cur), "{log}");
    for c in &recovery {
        assert!(!log.contains(c) && !log.contains(&c.replace('-', "")), "{log}");
    }
    let db = v.db_path();
    v.close().unwrap();
    let files: Vec<Vec<u8>> = ["", "-wal"]
        .iter()
        .map(|s| std::fs::read(format!("{}{s}", db.display())).unwrap_or_default())
        .chain([std::fs::read(f.dir.path().join("index.db")).unwrap()])
        .collect();
    for file in &files {
        assert!(memchr::memmem::find(file, b32.as_bytes()).is_none());
        assert!(memchr::memmem::find(file, &secret).is_none());
        for c in &recovery {
            assert!(memchr::memmem::find(file, c.as_bytes()).is_none());
        }
    }
}

#[test]
fn refused_codes_are_throttled_like_unlocking() {
    let f = Fixture::new();
    let v = f.unlock();
    let (_, recovery, [cur, _]) = enable(&v);
    for i in 1..=5 {
        let e = totp::check_code(&v, "000000").unwrap_err();
        assert_eq!(e.code(), ErrorCode::TotpInvalid, "attempt {i}");
    }
    // The fifth failure starts a delay: even the right code waits.
    let e = totp::check_code(&v, &cur).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TotpThrottled);
    assert!(e.retry_after_secs().is_some_and(|s| s >= 1));
    // The counter persists across sessions.
    v.close().unwrap();
    let v = f.unlock();
    assert_eq!(totp::check_code(&v, &recovery[0]).unwrap_err().code(), ErrorCode::TotpThrottled);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(totp::check_code(&v, &recovery[0]).unwrap(), TotpVerified::RecoveryCode { remaining: 7 });
    // A success resets the counter: four failures are free again.
    for _ in 0..4 {
        assert_eq!(totp::check_code(&v, "000000").unwrap_err().code(), ErrorCode::TotpInvalid);
    }
    assert_eq!(totp::check_code(&v, &recovery[1]).unwrap(), TotpVerified::RecoveryCode { remaining: 6 });
}

/// The clock set back a day after a code was used: every code it makes is
/// older than the last one accepted, so it is refused (a code never works
/// twice), the error says the clock is behind, and a recovery code still
/// gets the person through.
#[test]
fn a_clock_set_back_refuses_codes_says_why_and_recovery_codes_still_work() {
    let f = Fixture::new();
    let v = f.unlock();
    let (_, recovery, [cur, _]) = enable(&v);
    let ahead = unix_now() / totp::PERIOD + 2880;
    f.raw_vault().execute("UPDATE profile_settings SET totp_last_step = ?1", [ahead as i64]).unwrap();
    let e = totp::check_code(&v, &cur).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TotpInvalid);
    assert!(e.suggestion().contains("clock is behind"), "{}", e.suggestion());
    totp::check_code(&v, &recovery[0]).expect("a recovery code works whatever the clock");
}
