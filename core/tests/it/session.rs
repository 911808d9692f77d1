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
