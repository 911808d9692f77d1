//! Work beside the user: a job that is deliberately slow (a scan held
//! inside its progress callback, after the walk and before its commit)
//! while the user lists, searches, reveals, touches and locks; epochs and
//! cancellation; the keys wiped once in-flight work lets go.
//!
//! Each call made while the job is held must come back while it is still
//! held: with a lock kept across the job (as before the vault handle), it
//! would wait for the job and the hang guard fails the test.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::jobs::{JobKind, JobOutcome};
use keyclave_core::projects;
use keyclave_core::scan::{ScanOptions, ScanProgress};
use keyclave_core::secrets::{self, NewSecret, SecretQuery};
use keyclave_core::session::Session;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Longest any call may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(5);

/// A gate the job waits at, and a signal that it got there.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.cv.wait(open).unwrap();
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

/// A project folder with a README that needs two providers.
fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        std::fs::write(
            dir.path().join(format!("doc{i}.md")),
            "Set `OPENAI_API_KEY` and `GITHUB_TOKEN` before running.\n",
        )
        .unwrap();
    }
    dir
}

/// Start a scan job in `session` on its own thread; it stops at `gate`
/// (in its progress callback) and tells `reached` when it gets there.
/// Returns the thread, which yields the scan's result.
fn held_scan(
    session: &Arc<Session>,
    root: std::path::PathBuf,
    gate: Arc<Gate>,
) -> (std::thread::JoinHandle<keyclave_core::Result<projects::ScanReport>>, mpsc::Receiver<()>) {
    let (reached_tx, reached) = mpsc::channel();
    let session = session.clone();
    let handle = std::thread::spawn(move || {
        let vault = session.vault()?;
        let job = session.jobs().start(&vault, JobKind::Scan, "held");
        let options = ScanOptions { cancel: Some(job.token().clone()), ..ScanOptions::default() };
        let mut once = Some(reached_tx);
        let mut progress = |_: &ScanProgress| {
            if let Some(tx) = once.take() {
                let _ = tx.send(());
                gate.wait();
            }
        };
        let result = projects::scan(&vault, &root, &options, &mut progress);
        job.finish(result)
    });
    (handle, reached)
}

/// Run `f` on another thread; it must answer within [`HANG`]. Returns its
/// result and how long it took.
fn answers<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> (T, Duration) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let out = f();
        let _ = tx.send((out, started.elapsed()));
    });
    rx.recv_timeout(HANG).unwrap_or_else(|_| panic!("{what} did not answer while the job ran"))
}

fn unlocked_session(f: &Fixture) -> Arc<Session> {
    let v = f.unlock();
    secrets::add_many(
        &v,
        vec![
            NewSecret::new("OPENAI_API_KEY", "sk-zqxBGopenai0001"),
            NewSecret::new("STRIPE_SECRET_KEY", "sk_test_zqxBGstripe"),
        ],
    )
    .unwrap();
    let s = Arc::new(Session::new());
    s.unlocked(v);
    s
}

#[test]
fn while_a_job_is_held_list_search_reveal_touch_and_cancel_answer() {
    let f = Fixture::new();
    let session = unlocked_session(&f);
    let dir = project_dir();
    let gate = Arc::new(Gate::default());
    let (scan, reached) = held_scan(&session, dir.path().to_path_buf(), gate.clone());
    reached.recv_timeout(HANG).expect("the scan reached its progress callback");

    let s = session.clone();
    let (page, list_took) =
        answers("list", move || secrets::list(&s.for_user().unwrap(), &SecretQuery::default()));
    assert_eq!(page.total, 2);
    let s = session.clone();
    let q = SecretQuery { search: Some("stripe".into()), ..Default::default() };
    let (found, search_took) = answers("search", move || secrets::list(&s.for_user().unwrap(), &q));
    assert_eq!(found.items[0].key_name, "STRIPE_SECRET_KEY");
    let s = session.clone();
    let (value, reveal_took) =
        answers("reveal", move || secrets::reveal(&s.for_user().unwrap(), "STRIPE_SECRET_KEY", None, None));
    assert_eq!(value.unwrap().expose_secret(), "sk_test_zqxBGstripe");
    let s = session.clone();
    let (_, touch_took) = answers("touch", move || s.touch());
    let s = session.clone();
    let (_, cancel_took) = answers("cancel", move || s.jobs().cancel_kind(JobKind::Scan));
    eprintln!(
        "while held: list {list_took:?}, search {search_took:?}, reveal {reveal_took:?}, touch {touch_took:?}, cancel {cancel_took:?}"
    );
    assert_eq!(session.jobs().list().len(), 1, "the job is still running (held), yet every call answered");

    gate.open();
    let err = scan.join().unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::ScanCancelled);
    assert!(session.jobs().list().is_empty());
    let v = session.vault().unwrap();
    assert!(projects::list(&v).unwrap().is_empty(), "a cancelled first scan registers nothing");
}

#[test]
fn an_auto_lock_fires_during_a_held_job_which_then_writes_nothing_and_lets_the_keys_go() {
    let f = Fixture::new();
    let session = unlocked_session(&f);
    let watch = session.vault().unwrap().watch();
    let dir = project_dir();
    let gate = Arc::new(Gate::default());
    let (scan, reached) = held_scan(&session, dir.path().to_path_buf(), gate.clone());
    reached.recv_timeout(HANG).unwrap();

    let s = session.clone();
    let (locked, took) =
        answers("auto-lock", move || s.lock_if_idle(SystemTime::now() + Duration::from_secs(3600)));
    let locked = locked.expect("idle for an hour: it locks");
    eprintln!("auto-lock during the job: {took:?}");
    assert!(!session.is_unlocked());
    let (closed, _) = answers("record the lock", move || locked.close());
    closed.expect("the lock is recorded although the job holds a handle");
    assert!(!watch.is_wiped(), "the held job still has its handle");

    gate.open();
    let err = scan.join().unwrap().unwrap_err();
    assert!(matches!(err.code(), ErrorCode::VaultLocked | ErrorCode::ScanCancelled), "{err:?}");
    let deadline = Instant::now() + Duration::from_secs(1);
    while !watch.is_wiped() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(watch.is_wiped(), "the keys are wiped within a second of the job letting go");
    let v = f.unlock();
    assert!(projects::list(&v).unwrap().is_empty(), "the job wrote nothing after the lock");
    assert_eq!(v.audit_log(100, Some("project.scan")).unwrap().len(), 0);
    assert_eq!(v.audit_log(100, Some("vault.lock")).unwrap().len(), 1);
}

#[test]
fn a_job_started_before_lock_and_unlock_cannot_write_into_the_new_unlock() {
    let f = Fixture::new();
    let session = unlocked_session(&f);
    let dir = project_dir();
    let gate = Arc::new(Gate::default());
    let (scan, reached) = held_scan(&session, dir.path().to_path_buf(), gate.clone());
    reached.recv_timeout(HANG).unwrap();

    session.lock().expect("locked").close().unwrap();
    session.unlocked(f.unlock());
    let fresh = session.vault().unwrap();
    gate.open();
    let err = scan.join().unwrap().unwrap_err();
    assert!(matches!(err.code(), ErrorCode::VaultLocked | ErrorCode::ScanCancelled), "{err:?}");
    assert!(projects::list(&fresh).unwrap().is_empty(), "nothing landed in the new unlock");
    // The same scan now, under the new unlock, works.
    let report = projects::scan(&fresh, dir.path(), &ScanOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(report.progress.files_parsed, 50);
}

#[test]
fn a_cancelled_job_ends_as_cancelled_in_the_registry() {
    let f = Fixture::new();
    let session = unlocked_session(&f);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    session.jobs().set_listener(move |e| seen.lock().unwrap().push(e));
    let dir = project_dir();
    let gate = Arc::new(Gate::default());
    let (scan, reached) = held_scan(&session, dir.path().to_path_buf(), gate.clone());
    reached.recv_timeout(HANG).unwrap();
    let id = session.jobs().list()[0].id;
    session.jobs().cancel(id).unwrap();
    gate.open();
    assert!(scan.join().unwrap().is_err());
    assert_eq!(session.jobs().cancel(id).unwrap_err().code(), ErrorCode::JobNotFound);
    let events = events.lock().unwrap();
    assert!(
        matches!(events.last(), Some(keyclave_core::jobs::JobEvent::Ended { id: i, outcome: JobOutcome::Cancelled }) if *i == id),
        "{events:?}"
    );
}

#[test]
fn a_scan_that_fails_mid_way_leaves_no_project_behind() {
    let f = Fixture::new();
    let v = f.unlock();
    let dir = project_dir();
    // The store fails on the audit event, after the project row and docs
    // were written in the same transaction.
    f.raw_vault()
        .execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON audit_events WHEN NEW.event_type = 'project.scan'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        .unwrap();
    let err = projects::scan(&v, dir.path(), &ScanOptions::default(), &mut |_| {}).unwrap_err();
    assert_eq!(err.code(), ErrorCode::StorageDatabase);
    assert!(projects::list(&v).unwrap().is_empty(), "no project registered");
    let docs: i64 = f.raw_vault().query_row("SELECT count(*) FROM project_docs", [], |r| r.get(0)).unwrap();
    assert_eq!(docs, 0);
    assert_eq!(v.audit_log(100, Some("project.add")).unwrap().len(), 0);
}
