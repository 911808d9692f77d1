//! What the window hears during online work carries no key value: every
//! event of a check, a manual refresh, the background scheduler's catch-up
//! pass and the lock that ends it, serialized as Tauri sends them, is
//! searched for the values (a fake provider on 127.0.0.1 answers).

use keyclave_core::KeyClave;
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::dashboard::schedule::SchedulerStatus;
use keyclave_core::paths::Root;
use keyclave_core::secrets::{self, NewSecret};
use keyclave_desktop::commands::dashboard;
use keyclave_desktop::events::AppEvent;
use keyclave_desktop::state::AppState;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tauri::async_runtime;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASS: &str = "correct horse battery staple";
const GOOD: &str = "ghp_zqxEventsGoodToken0000000000000001";
const BAD: &str = "ghp_zqxEventsRevokedToken00000000000002";

fn serialized(e: &AppEvent) -> String {
    let v = match e {
        AppEvent::Locked(x) => serde_json::to_value(x),
        AppEvent::Rotation(x) => serde_json::to_value(x),
        AppEvent::ClipboardCleared(x) => serde_json::to_value(x),
        AppEvent::Scan(x) => serde_json::to_value(x),
        AppEvent::Jobs(x) => serde_json::to_value(x),
        AppEvent::Scheduler(x) => serde_json::to_value(x),
        AppEvent::Discovery(x) => serde_json::to_value(x),
        AppEvent::Checkpoint(x) => serde_json::to_value(x),
        AppEvent::CheckpointClosed(x) => serde_json::to_value(x),
        AppEvent::Automation(x) => serde_json::to_value(x),
    };
    v.unwrap().to_string()
}

#[test]
fn events_of_checks_refreshes_and_the_scheduler_carry_no_key_value() {
    let server = async_runtime::block_on(async {
        let s = MockServer::start().await;
        Mock::given(path("/user"))
            .and(header("authorization", format!("Bearer {GOOD}").as_str()))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-oauth-scopes", "repo")
                    .set_body_json(serde_json::json!({ "login": "octocat" })),
            )
            .mount(&s)
            .await;
        Mock::given(path("/user")).respond_with(ResponseTemplate::new(401)).mount(&s).await;
        s
    });
    let dir = tempfile::tempdir().unwrap();
    let root = Root::at(dir.path());
    let mut kc = KeyClave::open(root.clone()).unwrap();
    kc.create_profile("Work", &SecretString::from(PASS), KdfParams { m_kib: 256, t: 1, p: 1 }).unwrap();
    let state = Arc::new(AppState::new(root));
    let vault = state.keyclave().unwrap().unlock("Work", &SecretString::from(PASS)).unwrap();
    for (name, value) in [("GITHUB_TOKEN", GOOD), ("GH_OLD_TOKEN", BAD)] {
        let mut n = NewSecret::new(name, value);
        n.provider_id = Some("github".into());
        n.endpoint = Some(server.uri());
        secrets::add(&vault, n).unwrap();
    }
    let mut s = vault.settings();
    for (k, v) in [("online-mode", "on"), ("autonomous-mode", "on"), ("quiet-hours", "off")] {
        s = s.with_named(k, v).unwrap();
    }
    vault.update_settings(s).unwrap();
    let watch = vault.watch();
    state.session().unlocked(vault);
    let events = Arc::new(Mutex::new(Vec::<AppEvent>::new()));
    let seen = events.clone();
    state.set_emitter(move |e| seen.lock().unwrap().push(e));
    state.forward_job_events();

    let outcomes = async_runtime::block_on(dashboard::validate(&state, Vec::new())).unwrap();
    assert_eq!(outcomes.len(), 2);
    let report = async_runtime::block_on(dashboard::refresh(&state, Vec::new())).unwrap();
    assert_eq!(report.refreshed, 2);
    // The scheduler's pass: wait until it has said what it does next.
    state.start_scheduler();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(state.scheduler_status(), SchedulerStatus::Idle { .. }) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        matches!(state.scheduler_status(), SchedulerStatus::Idle { .. }),
        "{:?}",
        state.scheduler_status()
    );
    assert!(state.lock_now("user"));
    // The lock is recorded and the vault closed on threads of their own:
    // the test ends after them (a process exiting mid-close is not a test).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !watch.is_wiped() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(watch.is_wiped(), "every handle let go after the lock");

    let events = events.lock().unwrap();
    let kinds = |f: fn(&AppEvent) -> bool| events.iter().filter(|e| f(e)).count();
    assert!(kinds(|e| matches!(e, AppEvent::Jobs(_))) >= 4, "job start, progress and end of both");
    assert!(kinds(|e| matches!(e, AppEvent::Scheduler(_))) >= 1);
    assert_eq!(kinds(|e| matches!(e, AppEvent::Locked(_))), 1);
    let all: String = events.iter().map(serialized).collect::<Vec<_>>().join("\n");
    assert!(
        all.contains("Refreshing the dashboard") && all.contains("2/2 keys"),
        "the progress reached the window: {all}"
    );
    for value in [GOOD, BAD, &GOOD[4..20], &BAD[4..20]] {
        assert!(!all.contains(value), "a key value reached an event: {all}");
    }
}
