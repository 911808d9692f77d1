//! The session's lock state and the auto-lock rule.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::session::Session;
use std::time::{Duration, Instant};

#[test]
fn locked_session_refuses_access() {
    let mut s = Session::new();
    assert!(!s.is_unlocked());
    assert_eq!(s.vault().unwrap_err().code(), ErrorCode::VaultLocked);
    assert_eq!(s.take().unwrap_err().code(), ErrorCode::VaultLocked);
    assert!(!s.lock().expect("lock"), "nothing to lock");
}

#[test]
fn auto_lock_follows_the_profile_timeout_and_activity() {
    let f = Fixture::new();
    let mut s = Session::new();
    s.unlocked(f.unlock()).expect("store");
    let timeout = Duration::from_secs(300);
    let now = Instant::now();
    assert!(!s.lock_if_idle(now + timeout - Duration::from_secs(5)).expect("check"));
    assert!(s.is_unlocked());
    assert!(s.lock_if_idle(now + timeout + Duration::from_secs(1)).expect("check"));
    assert!(!s.is_unlocked());
    assert_eq!(s.vault().unwrap_err().code(), ErrorCode::VaultLocked);

    // Activity restarts the clock.
    s.unlocked(f.unlock()).expect("store");
    std::thread::sleep(Duration::from_millis(20));
    let before = s.idle_for(Instant::now());
    s.touch();
    assert!(s.idle_for(Instant::now()) < before);

    // The lock is audited.
    let v = f.unlock();
    let locks = v.audit_log(10, Some("vault.lock")).expect("audit");
    assert!(!locks.is_empty());
}

#[test]
fn a_staged_dotenv_plan_is_taken_once_for_its_file_and_dropped_by_lock() {
    use keyclave_core::dotenv::{KeySelection, Policy};
    use keyclave_core::secrets::NewSecret;
    let f = Fixture::new();
    let mut v = f.unlock();
    v.add_secret(NewSecret::new("GITHUB_TOKEN", "ghp_zqxstaged")).expect("add");
    let file = f.dir.path().join(".env");
    let plan = || {
        let sel = KeySelection::Keys(vec!["GITHUB_TOKEN".parse().expect("key")]);
        v.plan_dotenv(&file, &sel, &Policy::default()).expect("plan")
    };
    let (p1, p2) = (plan(), plan());
    let mut s = Session::new();
    assert_eq!(s.stage_plan(file.clone(), p1).unwrap_err().code(), ErrorCode::VaultLocked);
    s.unlocked(v).expect("store");

    s.stage_plan(file.clone(), p2).expect("stage");
    let other = f.dir.path().join(".env.other");
    assert_eq!(s.take_staged_plan(&other).unwrap_err().code(), ErrorCode::InputInvalid);
    // A mismatched take drops the staged plan: preview again.
    assert_eq!(s.take_staged_plan(&file).unwrap_err().code(), ErrorCode::InputInvalid);

    let again = s.vault().expect("vault").plan_dotenv(
        &file,
        &KeySelection::Keys(vec!["GITHUB_TOKEN".parse().expect("key")]),
        &Policy::default(),
    );
    s.stage_plan(file.clone(), again.expect("plan")).expect("stage");
    assert!(s.lock().expect("lock"));
    s.unlocked(f.unlock()).expect("store");
    assert_eq!(s.take_staged_plan(&file).unwrap_err().code(), ErrorCode::InputInvalid, "lock dropped it");
}
