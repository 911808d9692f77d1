//! The dashboard against fake providers on 127.0.0.1: refresh, snapshots,
//! warnings, retention, history, a lock mid-refresh, the schedule.

use keyclave_core::dashboard::{self, Staleness};
use keyclave_core::jobs::Jobs;
use keyclave_core::secrets;
use keyclave_core::validation;
use keyclave_core::{ErrorCode, Vault};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::Fixture;
use crate::online::{GH, add, assert_no_value_anywhere, online, online_with, quick};

async fn github_server(expires_in_days: i64, remaining: u32) -> MockServer {
    let server = MockServer::start().await;
    let exp = (chrono::Utc::now() + chrono::Duration::days(expires_in_days))
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-oauth-scopes", "repo")
                .insert_header("github-authentication-token-expiration", exp.as_str())
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", remaining.to_string().as_str())
                .set_body_json(serde_json::json!({ "login": "octocat" })),
        )
        .mount(&server)
        .await;
    server
}

async fn refresh_all(v: &Vault) -> keyclave_core::Result<dashboard::RefreshReport> {
    let t = validation::select(v, &[], true)?;
    dashboard::refresh(v, t, &CancellationToken::new(), &|_, _| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_writes_snapshots_with_warnings_and_the_overview_shows_them() {
    let f = Fixture::new();
    let gh = github_server(5, 500).await;
    let bad = MockServer::start().await;
    Mock::given(path("/v1/models")).respond_with(ResponseTemplate::new(401)).mount(&bad).await;
    let v = online(&f);
    add(&v, "GITHUB_TOKEN", GH, "github", Some(&gh.uri()));
    add(&v, "OPENAI_API_KEY", "sk-zqxRevokedOpenAi000000000000000000", "openai", Some(&bad.uri()));
    add(&v, "PERPLEXITY_API_KEY", "pplx-zqxNoCheck000000000000000000004", "perplexity", None);
    // A scanned project whose docs ask for the `workflow` scope.
    let proj = tempfile::tempdir().unwrap();
    std::fs::write(
        proj.path().join("README.md"),
        "# Deploy\n\nSet `GITHUB_TOKEN` to a GitHub token with the `repo` and `workflow` scopes.\n",
    )
    .unwrap();
    keyclave_core::projects::add(&v, proj.path()).unwrap();
    keyclave_core::projects::scan(&v, proj.path(), &Default::default(), &mut |_| {}).unwrap();

    let report = refresh_all(&v).await.unwrap();
    assert_eq!((report.refreshed, report.skipped, report.failed), (2, 1, 0), "{report:?}");
    let o = dashboard::overview(&v).unwrap();
    assert_eq!(
        (o.cards.total, o.cards.valid, o.cards.invalid, o.cards.expiring),
        (3, 1, 1, 1),
        "{:?}",
        o.cards
    );
    let gh_row = o.keys.iter().find(|k| k.secret.key_name == "GITHUB_TOKEN").unwrap();
    let snap = gh_row.latest.as_ref().unwrap();
    assert_eq!(snap.health_status, "valid");
    assert_eq!(gh_row.staleness, Staleness::Fresh);
    assert_eq!(snap.restrictions.scopes, ["repo"]);
    assert_eq!(snap.usage.quota_percent, Some(90.0));
    let codes: Vec<&str> = snap.warnings.iter().map(|w| w.code.as_str()).collect();
    assert!(codes.contains(&"expiring") && codes.contains(&"quota"), "{codes:?}");
    let missing =
        snap.warnings.iter().find(|w| w.code == "missing_scope").expect("the workflow scope is missing");
    assert!(
        missing.message.contains("`workflow`") && !missing.message.contains("`repo`"),
        "{}",
        missing.message
    );
    let oa = o.keys.iter().find(|k| k.secret.key_name == "OPENAI_API_KEY").unwrap();
    assert_eq!(oa.latest.as_ref().unwrap().health_status, "invalid");
    assert!(oa.latest.as_ref().unwrap().warnings.iter().any(|w| w.code == "needs_admin_key"));
    assert_eq!(o.keys[0].secret.key_name, "OPENAI_API_KEY", "invalid keys first");
    let px = o.keys.iter().find(|k| k.secret.key_name == "PERPLEXITY_API_KEY").unwrap();
    assert!(px.latest.is_none() && px.not_collectable.is_some() && px.next_refresh_at.is_none());

    let hist = dashboard::history(&v, &gh_row.secret, 30).unwrap();
    assert_eq!(hist.len(), 1, "today, from the live snapshots");
    assert_eq!((hist[0].avg_usage_percent, hist[0].successes), (Some(90.0), 1));
    assert_eq!(v.audit_log(10, Some("dashboard.refresh")).unwrap().len(), 1);
    let printed = serde_json::to_string(&o).unwrap() + &serde_json::to_string(&report).unwrap();
    assert_no_value_anywhere(&f, &v, &printed, &[GH, "sk-zqxRevokedOpenAi", "pplx-zqxNoCheck"]);

    // Offline: refresh sends nothing, the cached dashboard still shows.
    let s = v.settings().with_named("online-mode", "off").unwrap();
    v.update_settings(s).unwrap();
    let before = gh.received_requests().await.unwrap().len();
    assert_eq!(refresh_all(&v).await.unwrap_err().code(), ErrorCode::NetOffline);
    assert_eq!(gh.received_requests().await.unwrap().len(), before);
    assert_eq!(dashboard::overview(&v).unwrap().cards.valid, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_keeps_24_per_key_and_folds_the_rest_into_daily_summaries() {
    let f = Fixture::new();
    let gh = github_server(60, 4000).await;
    let v = online(&f);
    add(&v, "GITHUB_TOKEN", GH, "github", Some(&gh.uri()));
    for _ in 0..30 {
        refresh_all(&v).await.unwrap();
    }
    let raw = f.raw_vault();
    let snaps: i64 = raw.query_row("SELECT count(*) FROM dashboard_snapshots", [], |r| r.get(0)).unwrap();
    assert_eq!(snaps, 24);
    let (n, ok, avg): (i64, i64, f64) = raw
        .query_row(
            "SELECT count(*), sum(collection_success_count), max(avg_usage_percent) FROM dashboard_daily_summaries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((n, ok), (1, 6), "6 folded snapshots, one day");
    assert!((avg - 20.0).abs() < 1e-9, "{avg}");
    let s = secrets::find(&v, "GITHUB_TOKEN", None).unwrap();
    let hist = dashboard::history(&v, &s, 7).unwrap();
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].successes, 30, "summary and live snapshots of one day add up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_mid_refresh_leaves_each_key_whole_or_untouched() {
    let f = Fixture::new();
    let fast = github_server(60, 4000).await;
    let slow = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({})).set_delay(Duration::from_secs(5)),
        )
        .mount(&slow)
        .await;
    let v = online_with(
        &f,
        // All four in flight at once: with the default two per provider,
        // the fast key could queue behind two slow ones.
        keyclave_core::net::NetConfig {
            request_timeout: Duration::from_secs(15),
            max_in_flight: 4,
            ..quick()
        },
    );
    add(&v, "GITHUB_TOKEN", GH, "github", Some(&fast.uri()));
    for i in 0..3 {
        add(
            &v,
            &format!("GH_SLOW_{i}"),
            &format!("ghp_zqxSlow{i}000000000000000000000000000"),
            "github",
            Some(&slow.uri()),
        );
    }
    let token = v.job_token();
    let t = validation::select(&v, &[], true).unwrap();
    let v2 = v.clone();
    let run = tokio::spawn(async move { dashboard::refresh(&v2, t, &token, &|_, _| {}).await });
    // Once the fast key's answer is stored (polled: a loaded machine can
    // take a while), the slow requests are still out (5 s).
    let raw = f.raw_vault();
    let deadline = Instant::now() + Duration::from_secs(4);
    while raw.query_row("SELECT count(*) FROM dashboard_snapshots", [], |r| r.get::<_, i64>(0)).unwrap() == 0
    {
        assert!(Instant::now() < deadline, "the fast key's answer was never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // While the slow requests are out, the vault answers at once.
    let started = Instant::now();
    assert_eq!(secrets::list(&v, &Default::default()).total, 4);
    let q = keyclave_core::catalog::SecretQuery { search: Some("slow".into()), ..Default::default() };
    assert_eq!(secrets::list(&v, &q).total, 3);
    assert!(started.elapsed() < Duration::from_millis(300), "listing waited {:?}", started.elapsed());
    v.retire();
    let e = run.await.unwrap().unwrap_err();
    assert!(matches!(e.code(), ErrorCode::JobCancelled | ErrorCode::VaultLocked), "{e:?}");
    let rows: Vec<(String, String)> = raw
        .prepare("SELECT s.key_name, d.health_status FROM dashboard_snapshots d JOIN secrets s ON s.id = d.secret_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [("GITHUB_TOKEN".to_owned(), "valid".to_owned())],
        "only the key whose answer came is written"
    );
    let v_rows: i64 = raw.query_row("SELECT count(*) FROM validations", [], |r| r.get(0)).unwrap();
    assert_eq!(v_rows, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_refreshes_only_with_autonomous_mode_and_stops_at_lock() {
    let f = Fixture::new();
    let gh = github_server(60, 4000).await;
    let v = online(&f);
    add(&v, "GITHUB_TOKEN", GH, "github", Some(&gh.uri()));
    let jobs = Jobs::new();
    let states = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = states.clone();
    let loop_task =
        tokio::spawn(dashboard::schedule::run(v.clone(), jobs.clone(), CancellationToken::new(), move |s| {
            seen.lock().unwrap().push(s);
        }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        gh.received_requests().await.unwrap().is_empty(),
        "Online Mode alone refreshes nothing in the background"
    );
    assert!(matches!(states.lock().unwrap().last(), Some(dashboard::schedule::SchedulerStatus::Off { .. })));
    let s = v.settings().with_named("autonomous-mode", "on").unwrap();
    v.update_settings(s).unwrap();
    // The loop looks at the settings every 30 s; restart it to pick them up now.
    loop_task.abort();
    let seen = states.clone();
    let loop_task =
        tokio::spawn(dashboard::schedule::run(v.clone(), jobs.clone(), CancellationToken::new(), move |s| {
            seen.lock().unwrap().push(s);
        }));
    let deadline = Instant::now() + Duration::from_secs(10);
    while gh.received_requests().await.unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        gh.received_requests().await.unwrap().len(),
        1,
        "the catch-up refreshed the never-collected key once"
    );
    let last = states.lock().unwrap().last().cloned();
    assert!(
        matches!(last, Some(dashboard::schedule::SchedulerStatus::Idle { next_at: Some(_) })),
        "{last:?}"
    );
    v.retire();
    tokio::time::timeout(Duration::from_secs(2), loop_task).await.expect("the loop ends at lock").unwrap();
    assert!(jobs.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_balance_and_spend_come_from_the_check_or_one_more_read() {
    use wiremock::matchers::{header, method};
    const OR: &str = "sk-or-v1-zqxCreditsOpenRouter0000000000000000000001";
    const SG: &str = "SG.zqxCreditsSendGrid00000.zqxCreditsSendGridSecret000000000001";
    const TW: &str = "zqxcreditstwiliotoken00000000001";
    const SID: &str = "AC00000000000000000000000000000001";
    let f = Fixture::new();
    let or = MockServer::start().await;
    Mock::given(path("/api/v1/key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({ "data": {
            "label": "ci", "usage": 8.5, "limit": 10, "limit_remaining": 1.5,
            "usage_monthly": 2.25, "is_free_tier": false
        }})))
        .mount(&or)
        .await;
    let sg = MockServer::start().await;
    Mock::given(path("/v3/scopes"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "scopes": ["mail.send"] })),
        )
        .mount(&sg)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/user/credits"))
        .and(header("authorization", format!("Bearer {SG}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "remain": 150, "total": 200, "overage": 0, "used": 50, "reset_frequency": "monthly"
        })))
        .mount(&sg)
        .await;
    let tw = MockServer::start().await;
    Mock::given(path(format!("/2010-04-01/Accounts/{SID}.json")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "friendly_name": "Main", "type": "Full" })),
        )
        .mount(&tw)
        .await;
    let balance = || {
        Mock::given(path(format!("/2010-04-01/Accounts/{SID}/Balance.json"))).respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "account_sid": SID, "balance": "12.50", "currency": "EUR"
            })),
        )
    };
    balance().mount(&tw).await;
    let v = online(&f);
    add(&v, "OPENROUTER_API_KEY", OR, "openrouter", Some(&or.uri()));
    add(&v, "SENDGRID_API_KEY", SG, "sendgrid", Some(&sg.uri()));
    add(&v, "TWILIO_AUTH_TOKEN", TW, "twilio", Some(&tw.uri()));
    add(&v, "TWILIO_ACCOUNT_SID", SID, "twilio", None);

    // Validation asks only whether the key works: no credits request.
    crate::online::check_all(&v).await.unwrap();
    let credit_calls =
        |reqs: Vec<wiremock::Request>| reqs.iter().filter(|r| r.url.path().contains("redits")).count();
    assert_eq!(credit_calls(sg.received_requests().await.unwrap()), 0);

    let report = refresh_all(&v).await.unwrap();
    assert_eq!((report.refreshed, report.failed), (3, 0), "{report:?}");
    let o = dashboard::overview(&v).unwrap();
    let snap =
        |key: &str| o.keys.iter().find(|k| k.secret.key_name == key).and_then(|k| k.latest.clone()).unwrap();
    // OpenRouter: the check's own answer; 8.5 of a 10 USD limit.
    let u = snap("OPENROUTER_API_KEY").usage;
    assert_eq!((u.credits_used, u.credits_limit, u.credits_remaining), (Some(8.5), Some(10.0), Some(1.5)));
    assert_eq!((u.quota_percent, u.cost, u.currency.as_deref()), (Some(85.0), Some(2.25), Some("USD")));
    assert_eq!(u.period.as_deref(), Some("month"));
    let w = snap("OPENROUTER_API_KEY").warnings;
    assert!(w.iter().any(|w| w.code == "quota" && w.message.contains("credit limit")), "{w:?}");
    assert_eq!(credit_calls(or.received_requests().await.unwrap()), 0, "no second request");
    // SendGrid: one more read for email credits.
    let u = snap("SENDGRID_API_KEY").usage;
    assert_eq!((u.credits_used, u.credits_limit, u.quota_percent), (Some(50.0), Some(200.0), Some(25.0)));
    assert_eq!(
        (u.credits_unit.as_deref(), u.currency, u.period.as_deref()),
        (Some("emails"), None, Some("monthly"))
    );
    assert_eq!(credit_calls(sg.received_requests().await.unwrap()), 1);
    // Twilio: the balance of the account the companion SID names.
    let s = snap("TWILIO_AUTH_TOKEN");
    assert_eq!((s.usage.credits_remaining, s.usage.credits_unit.as_deref()), (Some(12.5), Some("EUR")));
    assert_eq!((s.collection_status.as_str(), s.config.tier.as_deref()), ("success", Some("Full")));

    // A credits read that fails leaves the key valid, the snapshot partial.
    tw.reset().await;
    Mock::given(path(format!("/2010-04-01/Accounts/{SID}.json")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "friendly_name": "Main" })),
        )
        .mount(&tw)
        .await;
    Mock::given(path(format!("/2010-04-01/Accounts/{SID}/Balance.json")))
        .respond_with(ResponseTemplate::new(403))
        .mount(&tw)
        .await;
    refresh_all(&v).await.unwrap();
    let o = dashboard::overview(&v).unwrap();
    let s = o
        .keys
        .iter()
        .find(|k| k.secret.key_name == "TWILIO_AUTH_TOKEN")
        .and_then(|k| k.latest.clone())
        .unwrap();
    assert_eq!((s.health_status.as_str(), s.collection_status.as_str()), ("valid", "partial"));
    assert_eq!(s.usage.credits_remaining, None);
    assert!(
        s.warnings.iter().any(|w| w.code == "credits_unavailable" && w.message.contains("403")),
        "{:?}",
        s.warnings
    );
    assert_no_value_anywhere(&f, &v, &serde_json::to_string(&o).unwrap(), &[OR, SG, TW]);
}
