//! `settings`, `validate`, `dashboard` and `--endpoint` against a fake
//! provider on 127.0.0.1 (wiremock, in a runtime the test keeps alive).

use serde_json::Value;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::util::{Home, assert_ok, run_cmd, stdout};

const GOOD: &str = "ghp_zqxCliGoodToken00000000000000000001";
const BAD: &str = "ghp_zqxCliRevokedToken000000000000000002";

struct Fake {
    rt: tokio::runtime::Runtime,
    server: MockServer,
}

impl Fake {
    fn github() -> Fake {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let server = rt.block_on(async {
            let s = MockServer::start().await;
            Mock::given(path("/user"))
                .and(header("authorization", format!("Bearer {GOOD}").as_str()))
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("x-oauth-scopes", "repo, gist")
                        .insert_header("github-authentication-token-expiration", "2030-01-31 00:00:00 UTC")
                        .insert_header("x-ratelimit-limit", "5000")
                        .insert_header("x-ratelimit-remaining", "4000")
                        .set_body_json(serde_json::json!({ "login": "octocat" })),
                )
                .mount(&s)
                .await;
            Mock::given(path("/user")).respond_with(ResponseTemplate::new(401)).mount(&s).await;
            s
        });
        Fake { rt, server }
    }

    fn requests(&self) -> usize {
        self.rt.block_on(self.server.received_requests()).unwrap_or_default().len()
    }
}

fn with_keys(fake: &Fake) -> Home {
    let h = Home::with_profile();
    let uri = fake.server.uri();
    assert_ok(&h.run(&["secret", "add", "GITHUB_TOKEN", "--endpoint", &uri], Some(GOOD)));
    assert_ok(&h.run(&["secret", "add", "GH_OLD", "--provider", "github", "--endpoint", &uri], Some(BAD)));
    h
}

fn everything_printed(outs: &[&std::process::Output]) -> String {
    outs.iter().map(|o| format!("{}{}", stdout(o), String::from_utf8_lossy(&o.stderr))).collect()
}

#[test]
fn settings_list_get_set_and_refuse_nonsense() {
    let h = Home::with_profile();
    let list = h.json(&["settings", "list"]);
    assert_eq!(list["online-mode"], "off");
    assert_eq!(list["autonomous-mode"], "off");
    assert_eq!(list["dashboard-refresh-interval"], "3600");
    assert_eq!(list["quiet-hours"], "off");
    assert_ok(&h.run(&["settings", "set", "quiet-hours", "22-7"], None));
    assert_eq!(h.json(&["settings", "get", "quiet-hours"])["quiet-hours"], "22-7");
    let out = h.run(&["settings", "set", "online-mode", "on"], None);
    assert_ok(&out);
    assert!(stdout(&out).contains("online-mode = on"), "{}", stdout(&out));
    for (name, value) in [
        ("online-mode", "perhaps"),
        ("quiet-hours", "9-9"),
        ("bogus", "1"),
        ("dashboard-refresh-interval", "1"),
    ] {
        let (code, err) = h.fails(&["settings", "set", name, value], None);
        assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")), "{name}={value}");
    }
    let plain = h.run(&["settings", "list"], None);
    assert!(stdout(&plain).contains("autonomous-mode") && stdout(&plain).contains("22-7"));
}

#[test]
fn offline_validate_and_refresh_send_nothing_and_the_dashboard_still_answers() {
    let fake = Fake::github();
    let h = with_keys(&fake);
    let (code, err) = h.fails(&["validate"], None);
    assert_eq!(err["code"], "net.offline");
    assert_eq!(code, 2);
    let (_, err) = h.fails(&["dashboard", "refresh"], None);
    assert_eq!(err["code"], "net.offline");
    assert_eq!(fake.requests(), 0, "the fake provider saw a request while offline");
    let dash = h.json(&["dashboard"]);
    assert_eq!(dash.as_array().unwrap().len(), 2);
    assert_eq!(dash[0]["staleness"], "stale");
}

#[test]
fn validate_and_dashboard_against_a_fake_provider() {
    let fake = Fake::github();
    let h = with_keys(&fake);
    assert_ok(&h.run(&["settings", "set", "online-mode", "on"], None));

    let out = h.run(&["--json", "validate", "--all"], None);
    assert_ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by = |k: &str| v.as_array().unwrap().iter().find(|o| o["key_name"] == k).unwrap().clone();
    let good = by("GITHUB_TOKEN");
    assert_eq!(good["status"], "valid");
    assert_eq!(good["provider_id"], "github");
    assert_eq!(good["account"], "octocat");
    assert_eq!(good["scopes"], serde_json::json!(["repo", "gist"]));
    assert_eq!(good["expires_at"], "2030-01-31T00:00:00.000Z");
    assert_eq!(by("GH_OLD")["status"], "invalid");

    let table = h.run(&["validate", "github/GH_OLD"], None);
    assert_ok(&table);
    assert!(stdout(&table).contains("GH_OLD") && stdout(&table).contains("invalid"), "{}", stdout(&table));
    assert!(!stdout(&table).contains("GITHUB_TOKEN"), "only the key named");

    let refresh = h.run(&["dashboard", "refresh"], None);
    assert_ok(&refresh);
    assert!(stdout(&refresh).contains("Refreshed 2 key(s)"), "{}", stdout(&refresh));
    let dash = h.json(&["dashboard"]);
    let row = dash.as_array().unwrap().iter().find(|r| r["key_name"] == "GITHUB_TOKEN").unwrap().clone();
    assert_eq!(row["health_status"], "valid");
    assert_eq!(row["staleness"], "fresh");
    assert_eq!(row["usage"]["quota_percent"], 20.0);
    assert_eq!(row["restrictions"]["scopes"], serde_json::json!(["repo", "gist"]));
    assert!(row["next_refresh_at"].is_string());
    let due = h.json(&["dashboard", "refresh", "--due"]);
    assert_eq!(due["refreshed"], 0, "nothing is due right after a refresh");
    let hist = h.json(&["dashboard", "history", "GITHUB_TOKEN", "--days", "7"]);
    assert_eq!(hist["days"].as_array().unwrap().len(), 1);
    assert_eq!(hist["days"][0]["successes"], 1);
    let plain = h.run(&["dashboard"], None);
    assert!(stdout(&plain).contains("2 keys · 1 valid · 1 invalid"), "{}", stdout(&plain));

    let printed = everything_printed(&[&out, &table, &refresh, &plain]);
    for value in [GOOD, BAD] {
        assert!(!printed.contains(value), "a value was printed");
        let log = std::fs::read_to_string(h.dir.path().join("data/logs/network.log")).unwrap();
        assert!(!log.contains(value), "a value is in the network log");
    }
}

#[test]
fn an_endpoint_is_checked_before_the_passphrase_is_asked() {
    let h = Home::with_profile();
    // No passphrase file: the passphrase would be read from standard input
    // (and be wrong), so invalid_endpoint proves the check came first.
    let c = h.cmd_without_passphrase(&[
        "--json",
        "secret",
        "add",
        "GITHUB_TOKEN",
        "--endpoint",
        "http://ghe.example.com",
    ]);
    let out = run_cmd(c, Some("ghp_x"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("secret.invalid_endpoint"));
    assert_ok(&h.run(
        &["secret", "add", "GITHUB_TOKEN", "--endpoint", "https://GHE.example.com/api/v3/"],
        Some("ghp_x"),
    ));
    let list = h.json(&["secret", "list"]);
    assert_eq!(list["items"][0]["endpoint"], "https://ghe.example.com/api/v3");
    assert_ok(&h.run(&["secret", "edit", "GITHUB_TOKEN", "--no-endpoint"], None));
    assert!(h.json(&["secret", "list"])["items"][0]["endpoint"].is_null());
}

#[cfg(unix)]
#[test]
fn through_the_agent_validate_needs_no_passphrase() {
    let fake = Fake::github();
    let h = with_keys(&fake);
    assert_ok(&h.run(&["settings", "set", "online-mode", "on"], None));
    assert_ok(&h.run(&["unlock"], None));
    let out = run_cmd(h.cmd_without_passphrase(&["--json", "validate", "GITHUB_TOKEN"]), None);
    let _ = h.run(&["lock", "--all"], None);
    assert_ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["status"], "valid");
}
