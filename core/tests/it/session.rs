//! The session's lock state, the auto-lock rule (wall-clock idle time,
//! explicit activity) and the staged `.env` plan.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::dotenv::Policy;
use keyclave_core::inject::{self, KeySelection};
use keyclave_core::secrets::{self, NewSecret};
use keyclave_core::session::Session;
use std::time::{Duration, SystemTime};

#[test]
fn locked_session_refuses_access() {
    let s = Session::new();
    assert!(!s.is_unlocked());
    assert_eq!(s.vault().unwrap_err().code(), ErrorCode::VaultLocked);
    assert_eq!(s.for_user().unwrap_err().code(), ErrorCode::VaultLocked);
    assert_eq!(s.take().unwrap_err().code(), ErrorCode::VaultLocked);
    assert!(s.lock().is_none(), "nothing to lock");
}

/// Clock set back a day while unlocked: the auto-lock counts from when the
/// change is first seen, not from a last activity that is now "tomorrow".
#[test]
fn a_clock_set_back_a_day_does_not_keep_the_vault_open_a_day() {
    let f = Fixture::new();
    let s = Session::new();
    assert!(s.unlocked(f.unlock()).is_none());
    let t0 = SystemTime::now();
    s.touch_at(t0);
    let back = t0 - Duration::from_secs(86_400);
    assert!(s.lock_if_idle(back).is_none(), "no time has passed yet");
    assert!(s.lock_if_idle(back + Duration::from_secs(290)).is_none());
    let locked =
        s.lock_if_idle(back + Duration::from_secs(301)).expect("locked after the timeout, not a day later");
    locked.close().expect("record the lock");
}

#[test]
fn auto_lock_counts_wall_clock_time_from_the_last_user_activity() {
    let f = Fixture::new();
    let s = Session::new();
    assert!(s.unlocked(f.unlock()).is_none());
    let t0 = SystemTime::now();
    s.touch_at(t0);
    let timeout = Duration::from_secs(300);
    assert!(s.lock_if_idle(t0 + timeout - Duration::from_secs(5)).is_none());
    assert!(s.is_unlocked());
    // Time asleep is wall-clock time too: an hour later (as after a
    // suspend) the vault locks at the first tick.
    let locked = s.lock_if_idle(t0 + Duration::from_secs(3600)).expect("idle long enough");
    assert!(!s.is_unlocked());
    locked.close().expect("record the lock");
    assert_eq!(s.vault().unwrap_err().code(), ErrorCode::VaultLocked);
    let v = f.unlock();
    assert!(!v.audit_log(10, Some("vault.lock")).expect("audit").is_empty(), "the lock is audited");
}

#[test]
fn only_user_commands_count_as_activity() {
    let f = Fixture::new();
    let s = Session::new();
    s.unlocked(f.unlock());
    let t0 = SystemTime::now() - Duration::from_secs(200);
    s.touch_at(t0);
    // A background job's access does not move the timer.
    let _ = s.vault().expect("vault");
    assert!(s.idle_for(SystemTime::now()) >= Duration::from_secs(199));
    // A user command's does.
    let _ = s.for_user().expect("vault");
    assert!(s.idle_for(SystemTime::now()) < Duration::from_secs(5));
    // A clock set backwards is no idle time, not a panic.
    s.touch_at(SystemTime::now() + Duration::from_secs(60));
    assert_eq!(s.idle_for(SystemTime::now()), Duration::ZERO);
}

#[test]
fn lock_retires_every_handle_at_once_and_the_keys_go_with_the_last_one() {
    let f = Fixture::new();
    let s = Session::new();
    s.unlocked(f.unlock());
    let job_handle = s.vault().expect("vault");
    let token = job_handle.job_token();
    let watch = job_handle.watch();
    let locked = s.lock().expect("was unlocked");
    assert!(token.is_cancelled(), "a job's token fires on lock");
    assert!(!job_handle.is_open());
    assert_eq!(
        secrets::add(&job_handle, NewSecret::new("LATE_KEY", "zqx-late")).unwrap_err().code(),
        ErrorCode::VaultLocked
    );
    assert_eq!(job_handle.audit_log(1, None).unwrap_err().code(), ErrorCode::VaultLocked, "reads too");
    locked.close().expect("close");
    assert!(!watch.is_wiped(), "the job still holds its handle");
    drop(job_handle);
    assert!(watch.is_wiped(), "the last handle gone, the keys are wiped");
    let v = f.unlock();
    assert!(secrets::find(&v, "LATE_KEY", None).is_err(), "nothing was written after the lock");
}

#[test]
fn unlocking_again_retires_the_previous_unlock() {
    let f = Fixture::new();
    let s = Session::new();
    s.unlocked(f.unlock());
    let old = s.vault().expect("vault");
    let previous = s.unlocked(f.unlock()).expect("the old unlock is handed back");
    assert!(!old.is_open());
    previous.close().expect("close");
    let new = s.vault().expect("vault");
    assert!(new.is_open() && !new.same_as(&old) && new.epoch() != old.epoch());
}

#[test]
fn a_staged_dotenv_plan_is_taken_once_for_its_file_and_dropped_by_lock() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GITHUB_TOKEN", "ghp_zqxstaged")).expect("add");
    let file = f.dir.path().join(".env");
    let sel = || KeySelection::Keys(vec!["GITHUB_TOKEN".parse().expect("key")]);
    let plan =
        |v: &keyclave_core::Vault| inject::plan_dotenv(v, &file, &sel(), &Policy::default()).expect("plan");
    let s = Session::new();
    assert_eq!(s.stage_plan(file.clone(), plan(&v)).unwrap_err().code(), ErrorCode::VaultLocked);
    s.unlocked(v);

    let v = s.vault().expect("vault");
    s.stage_plan(file.clone(), plan(&v)).expect("stage");
    let other = f.dir.path().join(".env.other");
    assert_eq!(s.take_staged_plan(&other).unwrap_err().code(), ErrorCode::InputInvalid);
    // A mismatched take drops the staged plan: preview again.
    assert_eq!(s.take_staged_plan(&file).unwrap_err().code(), ErrorCode::InputInvalid);

    s.stage_plan(file.clone(), plan(&v)).expect("stage");
    s.lock().expect("locked").close().expect("close");
    s.unlocked(f.unlock());
    assert_eq!(s.take_staged_plan(&file).unwrap_err().code(), ErrorCode::InputInvalid, "lock dropped it");
}
