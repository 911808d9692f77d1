//! Validation and core::net against fake provider APIs on 127.0.0.1
//! (wiremock), each key's endpoint pointing there.

use keyclave_core::net::NetConfig;
use keyclave_core::secrets::{self, NewSecret};
use keyclave_core::validation::{self, Outcome, Status};
use keyclave_core::{ErrorCode, Vault};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::Fixture;

pub const GH: &str = "ghp_zqxOnlineGithubToken0000000000000001";

/// Short waits, so retries and timeouts take milliseconds.
pub fn quick() -> NetConfig {
    NetConfig {
        request_timeout: Duration::from_millis(1500),
        connect_timeout: Duration::from_millis(500),
        backoff_base: Duration::from_millis(10),
        min_interval: Duration::ZERO,
        ..NetConfig::default()
    }
}

pub fn online(f: &Fixture) -> Vault {
    online_with(f, quick())
}

pub fn online_with(f: &Fixture, config: NetConfig) -> Vault {
    let v = f.unlock();
    let s = v.settings().with_named("online-mode", "on").unwrap();
    v.update_settings(s).unwrap();
    v.configure_net(config).unwrap();
    v
}

pub fn add(v: &Vault, key: &str, value: &str, provider: &str, endpoint: Option<&str>) {
    let mut n = NewSecret::new(key, value);
    n.provider_id = Some(provider.into());
    n.endpoint = endpoint.map(str::to_owned);
    secrets::add(v, n).unwrap();
}

pub async fn check_all(v: &Vault) -> keyclave_core::Result<Vec<Outcome>> {
    let targets = validation::select(v, &[], true)?;
    validation::validate(v, targets, &CancellationToken::new(), &|_, _| {}).await
}

fn one<'a>(out: &'a [Outcome], key: &str) -> &'a Outcome {
    out.iter().find(|o| o.key_name == key).unwrap()
}

/// Everything the run left behind that a value could leak into.
pub fn assert_no_value_anywhere(f: &Fixture, v: &Vault, outputs: &str, values: &[&str]) {
    let log = std::fs::read_to_string(f.dir.path().join("logs/network.log")).unwrap_or_default();
    let audit = serde_json::to_string(&v.audit_log(1000, None).unwrap()).unwrap();
    let raw = f.raw_vault();
    let mut rows = String::new();
    for table in ["validations", "dashboard_snapshots", "dashboard_daily_summaries"] {
        let mut stmt = raw.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            for i in 0..n {
                if let Ok(Some(t)) = r.get::<_, Option<String>>(i) {
                    rows.push_str(&t);
                }
            }
        }
    }
    for value in values {
        for (what, text) in [("output", outputs), ("network log", &log), ("audit", &audit), ("tables", &rows)]
        {
            assert!(!text.contains(value), "a key value leaked into the {what}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_mode_sends_nothing() {
    let f = Fixture::new();
    let server = MockServer::start().await;
    let v = f.unlock();
    add(&v, "GITHUB_TOKEN", GH, "github", Some(&server.uri()));
    let e = check_all(&v).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NetOffline);
    assert!(server.received_requests().await.unwrap().is_empty(), "the fake provider saw a request");
    assert!(!f.dir.path().join("logs/network.log").exists(), "nothing was even attempted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_revoked_limited_and_facts() {
    let f = Fixture::new();
    let gh = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header("authorization", format!("Bearer {GH}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-oauth-scopes", "repo, read:org")
                .insert_header("github-authentication-token-expiration", "2027-01-31 00:00:00 UTC")
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "4990")
                .set_body_json(serde_json::json!({ "login": "octocat", "plan": { "name": "pro" } })),
        )
        .mount(&gh)
        .await;
    Mock::given(method("GET")).and(path("/user")).respond_with(ResponseTemplate::new(401)).mount(&gh).await;
    let stripe = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/balance"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(serde_json::json!({ "error": { "type": "invalid_request_error" } })),
        )
        .mount(&stripe)
        .await;
    let v = online(&f);
    add(&v, "GITHUB_TOKEN", GH, "github", Some(&gh.uri()));
    add(&v, "GH_OLD_TOKEN", "ghp_zqxRevokedToken000000000000000000002", "github", Some(&gh.uri()));
    add(&v, "STRIPE_SECRET_KEY", "rk_live_zqxRestricted00000000000000003", "stripe", Some(&stripe.uri()));
    add(&v, "PERPLEXITY_API_KEY", "pplx-zqxNoCheck000000000000000000004", "perplexity", None);

    let out = check_all(&v).await.unwrap();
    let gh_ok = one(&out, "GITHUB_TOKEN");
    assert_eq!(gh_ok.status, Status::Valid, "{gh_ok:?}");
    assert_eq!(gh_ok.account.as_deref(), Some("octocat"));
    assert_eq!(gh_ok.scopes, ["repo", "read:org"]);
    assert_eq!(gh_ok.expires_at.as_deref(), Some("2027-01-31T00:00:00.000Z"));
    assert_eq!(gh_ok.rate_limit.as_ref().and_then(|r| r.remaining), Some(4990));
    assert_eq!(gh_ok.key_kind.as_deref(), Some("classic personal access token"));
    assert_eq!(one(&out, "GH_OLD_TOKEN").status, Status::Invalid);
    let st = one(&out, "STRIPE_SECRET_KEY");
    assert_eq!((st.status, st.key_kind.as_deref()), (Status::Limited, Some("live restricted key")));
    let px = one(&out, "PERPLEXITY_API_KEY");
    assert_eq!(px.status, Status::Unverifiable);
    assert!(px.reason.as_deref().unwrap().contains("paid"), "{px:?}");

    // Stored: the last result per key, read back the same.
    let s = secrets::find(&v, "STRIPE_SECRET_KEY", None).unwrap();
    let last = validation::last(&v, &s).unwrap().unwrap();
    assert_eq!((last.status, last.http_status), (Status::Limited, Some(403)));
    let audit = v.audit_log(50, Some("key.validate")).unwrap();
    assert_eq!(audit.len(), 4);
    assert!(audit.iter().any(|e| e.metadata["status"] == "limited" && e.metadata["provider_id"] == "stripe"));

    let printed = serde_json::to_string(&out).unwrap();
    assert_no_value_anywhere(
        &f,
        &v,
        &printed,
        &[
            GH,
            "ghp_zqxRevokedToken000000000000000000002",
            "rk_live_zqxRestricted00000000000000003",
            "pplx-zqxNoCheck",
        ],
    );
    let log = std::fs::read_to_string(f.dir.path().join("logs/network.log")).unwrap();
    assert_eq!(log.lines().count(), 3, "one line per request:\n{log}");
    assert!(log.contains("\"path\":\"/user\"") && log.contains("\"status\":403"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_server_errors_timeouts_and_garbage_are_never_invalid() {
    let f = Fixture::new();
    let server = MockServer::start().await;
    // 429 once with Retry-After, then fine: retried after the wait.
    Mock::given(path("/r429/user"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/r429/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({ "login": "late" })))
        .mount(&server)
        .await;
    Mock::given(path("/always429/user"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    Mock::given(path("/e500/user")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    Mock::given(path("/slow/user"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({})).set_delay(Duration::from_secs(4)),
        )
        .mount(&server)
        .await;
    Mock::given(path("/garbage/user"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0xff, 0x00, 0x13, 0x37]))
        .mount(&server)
        .await;
    Mock::given(path("/html/user"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("<!DOCTYPE html><html><body>Sign in</body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/html401/user"))
        .respond_with(ResponseTemplate::new(401).set_body_raw("<html>proxy login</html>", "text/html"))
        .mount(&server)
        .await;
    Mock::given(path("/huge/user"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'a'; 100 * 1024 * 1024]))
        .mount(&server)
        .await;
    let v = online(&f);
    let cases = [
        ("R429", "r429"),
        ("ALWAYS429", "always429"),
        ("E500", "e500"),
        ("SLOW", "slow"),
        ("GARBAGE", "garbage"),
        ("HTML", "html"),
        ("HTML401", "html401"),
        ("HUGE", "huge"),
    ];
    for (i, (key, p)) in cases.iter().enumerate() {
        add(
            &v,
            &format!("GH_{key}"),
            &format!("ghp_zqxCase{i}Token00000000000000000000"),
            "github",
            Some(&format!("{}/{p}", server.uri())),
        );
    }
    let started = Instant::now();
    let out = check_all(&v).await.unwrap();
    let code = |k: &str| {
        let o = one(&out, &format!("GH_{k}"));
        (o.status, o.error_code.clone().unwrap_or_default())
    };
    assert_eq!(code("R429").0, Status::Valid, "retried after Retry-After");
    assert_eq!(code("ALWAYS429"), (Status::Error, "net.rate_limited".into()));
    assert_eq!(code("E500"), (Status::Error, "net.unavailable".into()));
    assert_eq!(code("SLOW"), (Status::Error, "net.timeout".into()));
    assert_eq!(code("GARBAGE"), (Status::Error, "net.bad_response".into()));
    assert_eq!(code("HTML"), (Status::Error, "net.bad_response".into()));
    assert_eq!(
        code("HTML401"),
        (Status::Error, "net.bad_response".into()),
        "an HTML 401 is a proxy page, not the API"
    );
    assert_eq!(code("HUGE"), (Status::Error, "net.bad_response".into()));
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let reqs = server.received_requests().await.unwrap();
    let count = |p: &str| reqs.iter().filter(|r| r.url.path().starts_with(&format!("/{p}/"))).count();
    assert_eq!(count("r429"), 2);
    assert_eq!(count("always429"), 1, "a wait longer than the limit is not waited for");
    assert_eq!(count("e500"), 4, "the first try and automation_max_retries (3) retries");
    assert_eq!(count("garbage"), 1, "a readable answer is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_is_not_followed_and_sends_it_nothing() {
    let f = Fixture::new();
    let other = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(200)).mount(&other).await;
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/steal", other.uri()).as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/same/user"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/moved/user"))
        .mount(&server)
        .await;
    Mock::given(path("/moved/user"))
        .and(header("authorization", "Bearer ghp_zqxSameHostRedirect0000000000000000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({ "login": "moved" })))
        .mount(&server)
        .await;
    let v = online(&f);
    add(&v, "GITHUB_TOKEN", GH, "github", Some(&server.uri()));
    add(
        &v,
        "GH_SAME",
        "ghp_zqxSameHostRedirect0000000000000000",
        "github",
        Some(&format!("{}/same", server.uri())),
    );
    let out = check_all(&v).await.unwrap();
    let o = one(&out, "GITHUB_TOKEN");
    assert_eq!((o.status, o.error_code.as_deref()), (Status::Error, Some("net.domain_not_allowed")), "{o:?}");
    assert!(other.received_requests().await.unwrap().is_empty(), "the other host saw a request");
    let same = one(&out, "GH_SAME");
    assert_eq!(
        (same.status, same.account.as_deref()),
        (Status::Valid, Some("moved")),
        "a same-origin redirect keeps the key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locking_during_a_slow_check_stops_it_and_records_nothing() {
    let f = Fixture::new();
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({})).set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let v = online_with(&f, NetConfig { request_timeout: Duration::from_secs(15), ..quick() });
    add(&v, "GITHUB_TOKEN", GH, "github", Some(&server.uri()));
    let token = v.job_token();
    let targets = validation::select(&v, &[], true).unwrap();
    let v2 = v.clone();
    let run = tokio::spawn(async move { validation::validate(&v2, targets, &token, &|_, _| {}).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let locked_at = Instant::now();
    v.retire();
    let e = run.await.unwrap().unwrap_err();
    assert!(locked_at.elapsed() < Duration::from_secs(1), "the lock stopped the request at once");
    assert!(matches!(e.code(), ErrorCode::JobCancelled | ErrorCode::VaultLocked), "{e:?}");
    let n: i64 = f.raw_vault().query_row("SELECT count(*) FROM validations", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0, "nothing was recorded after the lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn companions_pairs_and_json_verdicts() {
    let f = Fixture::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/auth.test"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "ok": false, "error": "token_revoked" })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef.json"))
        .and(header(
            "authorization",
            "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjp6cXh0d2lsaW90b2tlbjAwMDAwMDAwMDAwMDAwMA==",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({ "friendly_name": "My Twilio", "type": "Trial", "status": "active" }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::609629065308:user/ci</Arn><Account>609629065308</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
            "text/xml",
        ))
        .mount(&server)
        .await;
    let v = online(&f);
    let uri = server.uri();
    add(&v, "SLACK_BOT_TOKEN", "xoxb-zqx-revoked-000000000", "slack", Some(&uri));
    add(&v, "TWILIO_AUTH_TOKEN", "zqxtwiliotoken000000000000000", "twilio", Some(&uri));
    add(&v, "TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef", "twilio", None);
    add(&v, "AWS_SECRET_ACCESS_KEY", "zqxAwsSecret/0000000000000000000000000000", "aws", Some(&uri));
    add(&v, "AWS_ACCESS_KEY_ID", "ASIAY34FZKBOKMUTVV7A", "aws", None);
    add(&v, "AZURE_OPENAI_API_KEY", "zqxazure00000000000000000000000", "azure_openai", None);
    let out = check_all(&v).await.unwrap();
    let slack = one(&out, "SLACK_BOT_TOKEN");
    assert_eq!(slack.status, Status::Invalid);
    assert!(slack.reason.as_deref().unwrap().contains("token_revoked"));
    let tw = one(&out, "TWILIO_AUTH_TOKEN");
    assert_eq!(
        (tw.status, tw.account.as_deref(), tw.tier.as_deref()),
        (Status::Valid, Some("My Twilio"), Some("Trial")),
        "{tw:?}"
    );
    assert_eq!(
        one(&out, "TWILIO_ACCOUNT_SID").status,
        Status::Unverifiable,
        "the SID is checked with the token"
    );
    let aws = one(&out, "AWS_SECRET_ACCESS_KEY");
    assert_eq!((aws.status, aws.account.as_deref()), (Status::Valid, Some("609629065308")), "{aws:?}");
    assert_eq!(aws.key_kind.as_deref(), Some("temporary (STS) access key"));
    let az = one(&out, "AZURE_OPENAI_API_KEY");
    assert_eq!(az.status, Status::Unverifiable);
    assert!(az.reason.as_deref().unwrap().contains("endpoint"));
    let reqs = server.received_requests().await.unwrap();
    let sts = reqs.iter().find(|r| r.method.as_str() == "POST" && r.url.path() == "/").unwrap();
    let auth = sts.headers.get("authorization").unwrap().to_str().unwrap();
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=ASIAY34FZKBOKMUTVV7A/"), "{auth}");
    assert!(auth.contains("/us-east-1/sts/aws4_request"), "{auth}");
    assert_eq!(String::from_utf8_lossy(&sts.body), "Action=GetCallerIdentity&Version=2011-06-15");

    // Without the SID beside it, the token is unverifiable and nothing is sent.
    secrets::delete(&v, "TWILIO_ACCOUNT_SID", None).unwrap();
    let before = server.received_requests().await.unwrap().len();
    let t = validation::select(&v, &["twilio/TWILIO_AUTH_TOKEN".into()], false).unwrap();
    let out = validation::validate(&v, t, &CancellationToken::new(), &|_, _| {}).await.unwrap();
    assert_eq!(out[0].status, Status::Unverifiable);
    assert!(out[0].reason.as_deref().unwrap().contains("TWILIO_ACCOUNT_SID"));
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_pauses_a_failing_provider() {
    let f = Fixture::new();
    let server = MockServer::start().await;
    Mock::given(path("/user")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    // One in flight, so "five in a row" is exact.
    let v = online_with(&f, NetConfig { max_in_flight: 1, ..quick() });
    let s = v.settings().with_named("max-retries", "0").unwrap();
    v.update_settings(s).unwrap();
    for i in 0..7 {
        add(
            &v,
            &format!("GH_{i}"),
            &format!("ghp_zqxBreaker{i}000000000000000000000000"),
            "github",
            Some(&server.uri()),
        );
    }
    let out = check_all(&v).await.unwrap();
    let paused = out.iter().filter(|o| o.error_code.as_deref() == Some("net.provider_paused")).count();
    assert_eq!(paused, 2, "after 5 failures in a row the rest are not sent: {out:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
    assert!(v.net().unwrap().paused_for("github").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_stored_endpoint_makes_only_that_key_unverifiable() {
    const OTHER: &str = "ghp_zqxDamagedEndpointToken00000000002";
    let f = Fixture::new();
    let gh = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({ "login": "octocat" })))
        .mount(&gh)
        .await;
    {
        let v = f.unlock();
        add(&v, "GITHUB_TOKEN", GH, "github", Some(&gh.uri()));
        add(&v, "GH_OTHER_TOKEN", OTHER, "github", Some(&gh.uri()));
    }
    // Every write parses the endpoint; only a damaged vault holds this one.
    f.raw_vault()
        .execute(
            "UPDATE secrets SET endpoint_url = 'ftp://no such host' WHERE key_name = 'GH_OTHER_TOKEN'",
            [],
        )
        .unwrap();
    let v = online(&f);
    let out = check_all(&v).await.unwrap();
    assert_eq!(one(&out, "GITHUB_TOKEN").status, Status::Valid);
    let bad = one(&out, "GH_OTHER_TOKEN");
    assert_eq!(bad.status, Status::Unverifiable);
    assert!(bad.reason.as_deref().unwrap_or("").contains("not a valid URL"), "{:?}", bad.reason);
    assert_eq!(gh.received_requests().await.unwrap().len(), 1, "nothing sent for the damaged key");
    let hosts = validation::hosts_to_contact(&v).unwrap();
    assert_eq!(hosts.len(), 1, "{hosts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_discord_key_is_not_sent_again_until_it_changes() {
    const BOT: &str = "MTEzNzQ.zqxDiscordRefused.0000000000000000000000000001";
    let f = Fixture::new();
    let discord = MockServer::start().await;
    Mock::given(path("/api/v10/users/@me")).respond_with(ResponseTemplate::new(401)).mount(&discord).await;
    let v = online(&f);
    add(&v, "DISCORD_BOT_TOKEN", BOT, "discord", Some(&discord.uri()));
    assert_eq!(one(&check_all(&v).await.unwrap(), "DISCORD_BOT_TOKEN").status, Status::Invalid);
    let again = check_all(&v).await.unwrap();
    let o = one(&again, "DISCORD_BOT_TOKEN");
    assert_eq!(o.status, Status::Invalid);
    assert!(o.reason.as_deref().unwrap_or("").contains("not sent again"), "{:?}", o.reason);
    assert_eq!(discord.received_requests().await.unwrap().len(), 1, "the refused key was sent once");
    // A new value is checked again.
    std::thread::sleep(Duration::from_millis(5));
    let edit = secrets::SecretEdit { value: Some(format!("{BOT}2").into()), ..Default::default() };
    secrets::edit(&v, "DISCORD_BOT_TOKEN", Some("discord"), edit).unwrap();
    check_all(&v).await.unwrap();
    assert_eq!(discord.received_requests().await.unwrap().len(), 2);
}
