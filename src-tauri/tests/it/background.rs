//! The desktop's state under background work, driven as the window drives
//! it: commands' work goes through `AppState` on Tauri's async runtime (two
//! workers on this machine) while a scan job is deliberately held — the
//! event emitter blocks on the scan's first progress report, on the scan's
//! own thread. Each call must answer while the scan is held; if a command
//! waited for the scan (one session mutex held for a whole command, as
//! before), the hang guard fails the test.

use keyclave_core::crypto::{self, KdfParams, SecretString};
use keyclave_core::index::Index;
use keyclave_core::jobs::JobKind;
use keyclave_core::paths::Root;
use keyclave_core::secrets::{self, NewSecret, SecretQuery};
use keyclave_core::{ErrorCode, KeyClave, projects as core_projects};
use keyclave_desktop::autolock;
use keyclave_desktop::commands::projects;
use keyclave_desktop::events::AppEvent;
use keyclave_desktop::state::AppState;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tauri::async_runtime;

const PASS: &str = "correct horse battery staple";
const CHEAP: KdfParams = KdfParams { m_kib: 256, t: 1, p: 1 };
/// Longest any call may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(5);

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

/// An app state over a fresh root with one unlocked profile holding two
/// secrets, whose emitter records every event and holds the first scan
/// progress report at `gate` (telling `reached` first).
struct App {
    _dir: tempfile::TempDir,
    root: Root,
    state: Arc<AppState>,
    events: Arc<Mutex<Vec<AppEvent>>>,
    gate: Arc<Gate>,
    reached: mpsc::Receiver<()>,
    project: tempfile::TempDir,
}

impl App {
    fn new() -> App {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::at(dir.path());
        let mut kc = KeyClave::open(root.clone()).unwrap();
        kc.create_profile("Work", &SecretString::from(PASS), CHEAP).unwrap();
        let state = Arc::new(AppState::new(root.clone()));
        let vault = state.keyclave().unwrap().unlock("Work", &SecretString::from(PASS)).unwrap();
        secrets::add_many(
            &vault,
            vec![
                NewSecret::new("OPENAI_API_KEY", "sk-zqxDESKopenai01"),
                NewSecret::new("STRIPE_SECRET_KEY", "sk_test_zqxDESK"),
            ],
        )
        .unwrap();
        state.session().unlocked(vault);
        let events = Arc::new(Mutex::new(Vec::new()));
        let gate = Arc::new(Gate::default());
        let (tx, reached) = mpsc::channel();
        let tx = Mutex::new(Some(tx));
        let (seen, held) = (events.clone(), gate.clone());
        state.set_emitter(move |e| {
            let first_scan = matches!(e, AppEvent::Scan(_)) && tx.lock().unwrap().is_some();
            seen.lock().unwrap().push(e);
            if first_scan {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                held.wait();
            }
        });
        let project = tempfile::tempdir().unwrap();
        for i in 0..30 {
            std::fs::write(project.path().join(format!("doc{i}.md")), "Set `OPENAI_API_KEY` first.\n")
                .unwrap();
        }
        App { _dir: dir, root, state, events, gate, reached, project }
    }

    /// Start a scan as the window does; returns its task once it is held.
    fn start_scan(
        &self,
    ) -> async_runtime::JoinHandle<
        Result<keyclave_core::projects::ScanReport, keyclave_desktop::error::UiError>,
    > {
        let state = self.state.clone();
        let dir = self.project.path().to_string_lossy().into_owned();
        let task = async_runtime::spawn(async move { projects::scan(&state, dir).await });
        self.reached.recv_timeout(HANG).expect("the scan reported progress");
        task
    }

    fn locked_events(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                AppEvent::Locked(l) => Some(l.reason.clone()),
                _ => None,
            })
            .collect()
    }

    /// A raw connection to the profile's vault (keyed from the passphrase).
    fn raw_vault(&self) -> rusqlite::Connection {
        let id = KeyClave::open(self.root.clone()).unwrap().profiles().unwrap()[0].id.clone();
        let meta = Index::open(&self.root.index_db()).unwrap().vault_meta(&id).unwrap();
        let kek = crypto::derive_kek(PASS.as_bytes(), &meta.kdf_salt, meta.kdf_params).unwrap();
        let pvk = crypto::unwrap_pvk(&kek, &meta.wrapped_pvk, &id, meta.rotation_version).unwrap();
        let conn = rusqlite::Connection::open(self.root.vault_db(&id)).unwrap();
        conn.execute_batch(&format!("PRAGMA key = \"{}\";", pvk.db_key().pragma_value().as_str())).unwrap();
        conn
    }
}

/// Await `f` on the runtime from another thread; it must answer within
/// [`HANG`]. Returns the result and how long it took.
fn answers<T: Send + 'static>(
    what: &str,
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> (T, Duration) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let out = async_runtime::block_on(f);
        let _ = tx.send((out, started.elapsed()));
    });
    rx.recv_timeout(HANG).unwrap_or_else(|_| panic!("{what} did not answer while the scan ran"))
}

#[test]
fn while_a_scan_runs_list_touch_and_cancel_answer_and_the_scan_stores_nothing() {
    let app = App::new();
    let scan = app.start_scan();

    let s = app.state.clone();
    let q = SecretQuery { search: Some("stripe".into()), ..Default::default() };
    let (page, list_took) =
        answers("list_secrets", async move { s.user(move |v| Ok(secrets::list(&v, &q))).await });
    assert_eq!(page.unwrap().items[0].key_name, "STRIPE_SECRET_KEY");
    let s = app.state.clone();
    let (_, touch_took) = answers("touch", async move { s.session().touch() });
    let s = app.state.clone();
    let (jobs, jobs_took) = answers("list_jobs", async move { s.session().jobs().list() });
    assert_eq!(jobs.len(), 1, "the scan is listed while it runs");
    assert_eq!(jobs[0].kind, JobKind::Scan);
    let s = app.state.clone();
    let (_, cancel_took) =
        answers("cancel_scan", async move { s.session().jobs().cancel_kind(JobKind::Scan) });
    eprintln!(
        "during a scan: list {list_took:?}, touch {touch_took:?}, list_jobs {jobs_took:?}, cancel {cancel_took:?}"
    );

    app.gate.open();
    let err = async_runtime::block_on(scan).unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::ScanCancelled);
    let v = app.state.session().vault().unwrap();
    assert!(core_projects::list(&v).unwrap().is_empty(), "a cancelled first scan leaves no project");
    assert!(app.state.session().jobs().list().is_empty());
}

#[test]
fn lock_during_a_scan_answers_at_once_tells_the_window_and_the_scan_writes_nothing() {
    let app = App::new();
    let watch = app.state.session().vault().unwrap().watch();
    let scan = app.start_scan();
    let s = app.state.clone();
    let (locked, took) = answers("lock", async move { s.lock_now("user") });
    assert!(locked);
    eprintln!("lock during a scan: {took:?}");
    assert_eq!(app.locked_events(), ["user"]);
    assert!(!app.state.session().is_unlocked());

    app.gate.open();
    let err = async_runtime::block_on(scan).unwrap().unwrap_err();
    assert!(matches!(err.code, ErrorCode::VaultLocked | ErrorCode::ScanCancelled), "{err:?}");
    let deadline = Instant::now() + Duration::from_secs(1);
    while !watch.is_wiped() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(watch.is_wiped(), "keys wiped within a second of the scan letting go");
    let v = app.state.keyclave().unwrap().unlock("Work", &SecretString::from(PASS)).unwrap();
    assert!(core_projects::list(&v).unwrap().is_empty());
    assert_eq!(v.audit_log(100, Some("project.scan")).unwrap().len(), 0);
}

#[test]
fn the_auto_lock_fires_during_a_scan() {
    let app = App::new();
    let scan = app.start_scan();
    let s = app.state.clone();
    let (fired, took) = answers("auto-lock tick", async move {
        autolock::tick(&s, SystemTime::now() + Duration::from_secs(3600))
    });
    assert!(fired);
    eprintln!("auto-lock during a scan: {took:?}");
    assert_eq!(app.locked_events(), ["idle"]);
    app.gate.open();
    assert!(async_runtime::block_on(scan).unwrap().is_err());
    let v = app.state.keyclave().unwrap().unlock("Work", &SecretString::from(PASS)).unwrap();
    assert!(core_projects::list(&v).unwrap().is_empty(), "the scan stopped without writing");
}

#[test]
fn a_failed_lock_audit_still_tells_the_window() {
    let app = App::new();
    app.gate.open();
    // Recording the lock fails (as on a full disk or a damaged file).
    app.raw_vault()
        .execute_batch(
            "CREATE TRIGGER no_lock BEFORE INSERT ON audit_events WHEN NEW.event_type = 'vault.lock'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        .unwrap();
    assert!(app.state.lock_now("user"));
    assert_eq!(app.locked_events(), ["user"]);
    assert!(!app.state.session().is_unlocked());
    // The auto-lock path too.
    let v = app.state.keyclave().unwrap().unlock("Work", &SecretString::from(PASS)).unwrap();
    app.state.session().unlocked(v);
    assert!(autolock::tick(&app.state, SystemTime::now() + Duration::from_secs(3600)));
    assert_eq!(app.locked_events(), ["user", "idle"]);
    // And indeed nothing was recorded.
    std::thread::sleep(Duration::from_millis(200));
    let locks: i64 = app
        .raw_vault()
        .query_row("SELECT count(*) FROM audit_events WHERE event_type = 'vault.lock'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(locks, 0);
}
