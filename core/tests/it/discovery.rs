//! Discovery against fake sources on 127.0.0.1, reached the way a user's
//! own source is (`discovery source add`): a status page, feeds, OSV, a
//! watched page, and every way a source can answer badly.

use keyclave_core::discovery::{
    self, Category, FindingQuery, FindingStatus, RunReport, SourceKind, Trigger, Urgency, sources,
};
use keyclave_core::jobs::Jobs;
use keyclave_core::{ErrorCode, Vault};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::Fixture;
use crate::online::quick;

/// The Discovery network on (Online Mode stays off: the two are independent).
fn discovery_on(f: &Fixture) -> Vault {
    let v = f.unlock();
    v.update_settings(v.settings().with_named("discovery-network", "on").unwrap()).unwrap();
    v.configure_net(quick()).unwrap();
    v
}

/// A user source on the fake server, with the provider's built-in
/// sources switched off (they would reach the internet).
fn source(v: &Vault, provider: &str, url: &str, kind: SourceKind, selector: Option<&str>) -> String {
    for b in sources::builtin(provider) {
        sources::set_enabled(v, &format!("builtin:{}", b.key), false).unwrap();
    }
    sources::add(v, provider, url, kind, selector).unwrap().id
}

async fn run(v: &Vault) -> keyclave_core::Result<RunReport> {
    discovery::run(v, Trigger::OnDemand, None, &CancellationToken::new(), &|_, _| {}).await
}

fn all(v: &Vault) -> Vec<discovery::Finding> {
    discovery::findings::list(v, &FindingQuery::default()).unwrap()
}

/// A scanned project named `name` whose README says `text`.
fn project(v: &Vault, name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(name);
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("README.md"), text).unwrap();
    keyclave_core::projects::add(v, &root).unwrap();
    keyclave_core::projects::scan(v, &root, &Default::default(), &mut |_| {}).unwrap();
    dir
}

fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn in_days(days: i64) -> String {
    (chrono::Local::now().date_naive() + chrono::Duration::days(days)).format("%B %-d, %Y").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statuspage_incident_on_the_api_is_critical_and_one_on_chatgpt_only_is_not() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let server = MockServer::start().await;
    let now = chrono::Utc::now().to_rfc3339();
    Mock::given(path("/api/v2/summary.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "page": { "id": "x", "name": "OpenAI", "url": server.uri() },
            "status": { "indicator": "major", "description": "Partial outage" },
            "components": [{ "name": "API", "status": "major_outage" }, { "name": "ChatGPT", "status": "degraded_performance" }],
            "incidents": [
                {
                    "id": "inc1", "name": "Elevated error rates on Chat Completions", "status": "investigating",
                    "impact": "major", "shortlink": format!("{}/incidents/inc1?utm_source=x", server.uri()),
                    "created_at": now, "updated_at": now,
                    "components": [{ "name": "API" }],
                    "incident_updates": [{ "body": "We are investigating elevated errors on the API." }]
                },
                {
                    "id": "inc2", "name": "Slow conversation history", "status": "monitoring", "impact": "minor",
                    "created_at": now, "components": [{ "name": "ChatGPT" }],
                    "incident_updates": [{ "body": "History loads slowly for some users." }]
                }
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    source(&v, "openai", &format!("{}/api/v2/summary.json", server.uri()), SourceKind::Statuspage, None);
    let r = run(&v).await.unwrap();
    assert_eq!((r.fetches, r.new_findings, r.new_critical), (1, 2, 1), "{r:?}");
    let found = all(&v);
    let api = found.iter().find(|f| f.source_title.contains("Chat Completions")).unwrap();
    assert_eq!((api.category, api.urgency), (Category::ServiceModification, Urgency::Critical));
    assert_eq!(api.source_url, format!("{}/incidents/inc1", server.uri()), "canonical: utm_ dropped");
    assert!(api.impact_summary.contains("ongoing major incident"), "{}", api.impact_summary);
    let chat = found.iter().find(|f| f.source_title.contains("conversation")).unwrap();
    assert_eq!(chat.urgency, Urgency::Informational);
    assert!(chat.relevance_reason.contains("only affects ChatGPT"), "{}", chat.relevance_reason);
    assert!(chat.relevance_score < api.relevance_score);
    // The log row of the run.
    let log = discovery::log::list(&v, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].queries_executed, log[0].results_found, log[0].findings_generated), (1, 2, 2));
    assert_eq!((log[0].status.as_str(), log[0].trigger_type), ("success", Trigger::OnDemand));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_atom_deprecation_dated_next_month_of_a_model_the_project_uses_needs_action() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let value = "sk-zqxDiscoveryNeverLeaks000000000000000";
    keyclave_core::secrets::add(&v, {
        let mut n = keyclave_core::secrets::NewSecret::new("OPENAI_API_KEY", value);
        n.provider_id = Some("openai".into());
        n
    })
    .unwrap();
    let _p = project(&v, "shop", "# Shop\n\nCalls OpenAI's `gpt-4-0613` model for descriptions.\n");
    let server = MockServer::start().await;
    let when = in_days(30);
    let atom = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Changelog</title><id>urn:x</id><updated>2026-12-01T00:00:00Z</updated>
  <entry>
    <title>Deprecation of gpt-4-0613</title>
    <link href="{u}/changelog/gpt-4-0613-deprecation"/>
    <id>{u}/changelog/gpt-4-0613-deprecation</id>
    <updated>{now}</updated>
    <summary type="html">&lt;p&gt;gpt-4-0613 will be shut down on {when}. Move to gpt-4.1.&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Introducing a new realtime voice</title>
    <link href="{u}/changelog/new-voice"/>
    <id>{u}/changelog/new-voice</id>
    <updated>{now}</updated>
    <summary>A new voice launches today.</summary>
  </entry>
</feed>"#,
        u = server.uri(),
        now = chrono::Utc::now().to_rfc3339(),
    );
    Mock::given(path("/changelog.atom"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(atom, "application/atom+xml"))
        .mount(&server)
        .await;
    source(&v, "openai", &format!("{}/changelog.atom", server.uri()), SourceKind::Feed, None);
    let r = run(&v).await.unwrap();
    assert_eq!(r.new_findings, 2, "{r:?}");
    let found = all(&v);
    let dep = &found[0];
    assert_eq!((dep.category, dep.urgency), (Category::Deprecation, Urgency::ActionNeeded), "{dep:?}");
    assert!(
        dep.relevance_reason.contains("gpt-4-0613") && dep.relevance_reason.contains("'shop'"),
        "{}",
        dep.relevance_reason
    );
    assert!(dep.impact_summary.contains("in 30 days"), "{}", dep.impact_summary);
    assert!(
        dep.source_snippet.contains("will be shut down"),
        "the HTML summary is text: {}",
        dep.source_snippet
    );
    let new = &found[1];
    assert_eq!((new.category, new.urgency), (Category::CapabilityChange, Urgency::Informational));
    // Nothing about the key's value anywhere discovery writes.
    let raw = f.raw_vault();
    let dump: String = raw
        .prepare("SELECT coalesce(group_concat(source_title || source_snippet || impact_summary || relevance_reason), '') FROM discovery_findings")
        .unwrap()
        .query_row([], |r| r.get(0))
        .unwrap();
    let log = std::fs::read_to_string(f.dir.path().join("logs/network.log")).unwrap_or_default();
    assert!(!dump.contains(value) && !log.contains(value));
    assert!(log.contains("discovery:feed"), "the request is logged by its template: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pricing_entry_listed_twice_with_different_utm_is_one_finding_updated_in_place() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let server = MockServer::start().await;
    let rss = |desc: &str| {
        format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>{u}</link><description>x</description>
<item><title>New pricing for embeddings</title><link>{u}/blog/embeddings-pricing?utm_source=rss&amp;utm_medium=feed</link><description>{desc}</description></item>
<item><title>New pricing for embeddings</title><link>{u}/blog/embeddings-pricing?utm_campaign=newsletter#top</link><description>{desc}</description></item>
</channel></rss>"#,
            u = server.uri()
        )
    };
    Mock::given(path("/rss"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(rss("$0.02 per 1M tokens"), "application/rss+xml"),
        )
        .mount(&server)
        .await;
    source(&v, "voyage", &format!("{}/rss", server.uri()), SourceKind::Feed, None);
    let r = run(&v).await.unwrap();
    assert_eq!((r.providers[0].entries, r.new_findings), (2, 1), "{r:?}");
    let found = all(&v);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].category, found[0].urgency), (Category::PricingUpdate, Urgency::Advisory));
    assert_eq!(found[0].source_url, format!("{}/blog/embeddings-pricing", server.uri()));
    // The user reads it; then the entry changes: the same finding, updated.
    discovery::findings::mark(&v, &found[0].id, FindingStatus::Reviewed, Some("checked our usage")).unwrap();
    server.reset().await;
    Mock::given(path("/rss"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(rss("$0.03 per 1M tokens"), "application/rss+xml"),
        )
        .mount(&server)
        .await;
    let r = run(&v).await.unwrap();
    assert_eq!((r.new_findings, r.updated_findings), (0, 1), "{r:?}");
    let again = all(&v);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, found[0].id);
    assert!(again[0].source_snippet.contains("$0.03"));
    assert_eq!(again[0].user_status, FindingStatus::Reviewed, "not more urgent: the user's status stays");
    assert_eq!(again[0].user_notes.as_deref(), Some("checked our usage"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_osv_advisory_for_an_sdk_a_scanned_project_installs_is_critical() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let _p = project(&v, "bot", "# Bot\n\nInstall the OpenAI SDK: `pip install openai`.\n");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/query"))
        .and(body_partial_json(json!({ "package": { "name": "openai", "ecosystem": "PyPI" } })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "vulns": [{
            "id": "GHSA-zqx1-2345-6789",
            "summary": "Request smuggling in the HTTP client",
            "details": "Versions before 9.9.9 forward headers to redirected hosts.",
            "aliases": ["CVE-2026-4242"],
            "published": chrono::Utc::now().to_rfc3339(),
            "modified": chrono::Utc::now().to_rfc3339(),
            "affected": [{ "package": { "name": "openai", "ecosystem": "PyPI" } }],
            "database_specific": { "severity": "HIGH" }
        }]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/query"))
        .and(body_partial_json(json!({ "package": { "ecosystem": "npm" } })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    source(&v, "openai", &format!("{}/v1/query", server.uri()), SourceKind::Advisories, None);
    let r = run(&v).await.unwrap();
    assert_eq!((r.fetches, r.new_findings, r.new_critical), (2, 1, 1), "one POST per SDK package: {r:?}");
    let a = &all(&v)[0];
    assert_eq!((a.category, a.urgency), (Category::SecurityAdvisory, Urgency::Critical));
    assert!(
        a.relevance_reason.contains("openai") && a.relevance_reason.contains("'bot'"),
        "{}",
        a.relevance_reason
    );
    assert!(a.impact_summary.contains("CVE-2026-4242"), "{}", a.impact_summary);
    assert_eq!(a.source_url, "https://osv.dev/vulnerability/GHSA-zqx1-2345-6789");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_changes_makes_one_finding_with_the_added_lines() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let server = MockServer::start().await;
    let page = |rows: &str| {
        format!(
            "<html><body><nav>Docs | Blog | Sign in</nav><main><h1>Pricing</h1>{rows}</main><footer>© 2026</footer></body></html>"
        )
    };
    let v1 = page("<p>model-a: $1.00 / 1M input tokens</p><p>model-b: $4.00 / 1M input tokens</p>");
    let v2 = page("<p>model-a: $1.00 / 1M input tokens</p><p>model-c: $0.50 / 1M input tokens</p>");
    Mock::given(path("/pricing"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(v1.clone(), "text/html; charset=utf-8"))
        .mount(&server)
        .await;
    source(&v, "deepseek", &format!("{}/pricing", server.uri()), SourceKind::Page, None);
    let r = run(&v).await.unwrap();
    assert_eq!((r.fetches, r.new_findings), (1, 0), "the first fetch is the baseline: {r:?}");
    server.reset().await;
    Mock::given(path("/pricing"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(v2.clone(), "text/html"))
        .mount(&server)
        .await;
    let r = run(&v).await.unwrap();
    assert_eq!(r.new_findings, 1, "{r:?}");
    let found = all(&v);
    assert_eq!(found.len(), 1);
    let c = &found[0];
    assert!(c.source_snippet.contains("model-c: $0.50"), "the added line: {}", c.source_snippet);
    assert!(!c.source_snippet.contains("model-b"), "not the removed one: {}", c.source_snippet);
    assert!(!c.source_snippet.contains("Sign in"), "only <main> is watched");
    assert_eq!(c.category, Category::PricingUpdate);
    // The same page again: no change, no finding.
    let r = run(&v).await.unwrap();
    assert_eq!((r.new_findings, r.providers[0].unchanged), (0, 1), "{r:?}");
    assert_eq!(all(&v).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_304_is_no_change_and_the_validators_are_sent() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .insert_header("last-modified", "Tue, 01 Dec 2026 10:00:00 GMT")
                .set_body_raw(
                    r#"<rss version="2.0"><channel><title>t</title><item><title>Launch of v9 API</title><link>https://example.com/v9</link></item></channel></rss>"#,
                    "application/rss+xml",
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let id = source(&v, "perplexity", &format!("{}/feed", server.uri()), SourceKind::Feed, None);
    assert_eq!(run(&v).await.unwrap().new_findings, 1);
    let r = run(&v).await.unwrap();
    assert_eq!((r.providers[0].unchanged, r.providers[0].errors.len(), r.new_findings), (1, 0, 0), "{r:?}");
    let listed = sources::list(&v).unwrap();
    let s = listed.iter().find(|s| s.id == id).unwrap();
    assert_eq!(s.last_status.as_deref(), Some("unchanged"));
    assert_eq!(discovery::log::list(&v, 1).unwrap()[0].status, "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_are_logged_errors_never_panics_or_findings_and_utf16_json_reads() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let server = MockServer::start().await;
    let mount = |p: &'static str, t: ResponseTemplate| {
        let server = &server;
        async move { Mock::given(path(p)).respond_with(t).mount(server).await }
    };
    mount("/500", ResponseTemplate::new(500)).await;
    mount(
        "/html-feed",
        ResponseTemplate::new(200)
            .set_body_raw("<!DOCTYPE html><html><body>Sign in</body></html>", "text/xml"),
    )
    .await;
    mount(
        "/bad-xml",
        ResponseTemplate::new(200)
            .set_body_raw("<rss version=\"2.0\"><channel><item><title>x</ite", "application/rss+xml"),
    )
    .await;
    mount(
        "/huge",
        ResponseTemplate::new(200).set_body_raw(vec![b'a'; 20 * 1024 * 1024], "application/rss+xml"),
    )
    .await;
    let mut utf16 = vec![0xFF, 0xFE];
    let events = json!([{
        "service_name": "Amazon Bedrock", "summary": "Increased error rates for InvokeModel",
        "date": chrono::Utc::now().timestamp().to_string(), "status": "1", "arn": "evt-77",
        "event_log": [{ "summary": "x", "message": "We are investigating increased error rates in us-east-1." }]
    }])
    .to_string();
    for u in events.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    mount("/aws", ResponseTemplate::new(200).set_body_raw(utf16, "application/json")).await;
    let cases = [
        ("deepseek", "/500", SourceKind::Feed, "net.unavailable"),
        ("perplexity", "/html-feed", SourceKind::Feed, "discovery.bad_source"),
        ("xai", "/bad-xml", SourceKind::Feed, "discovery.bad_source"),
        ("together", "/huge", SourceKind::Feed, "net.bad_response"),
    ];
    for (p, at, kind, _) in cases {
        source(&v, p, &format!("{}{at}", server.uri()), kind, None);
    }
    source(&v, "aws", &format!("{}/aws", server.uri()), SourceKind::StatusJson, None);
    let r = run(&v).await.unwrap();
    for (p, _, _, code) in cases {
        let pr = r.providers.iter().find(|x| x.provider_id == p).unwrap();
        assert_eq!(pr.errors.len(), 1, "{pr:?}");
        assert!(pr.errors[0].contains(code), "{p}: {:?}", pr.errors);
        assert_eq!(pr.new_findings, 0);
    }
    let aws = r.providers.iter().find(|x| x.provider_id == "aws").unwrap();
    assert_eq!((aws.errors.len(), aws.new_findings), (0, 1), "{aws:?}");
    let found = all(&v);
    assert_eq!(found.len(), 1);
    assert!(found[0].source_title.contains("InvokeModel"));
    assert_eq!((found[0].category, found[0].urgency), (Category::ServiceModification, Urgency::Advisory));
    let log = discovery::log::list(&v, 10).unwrap();
    assert_eq!(log.iter().filter(|l| l.status == "failed").count(), 4, "{log:?}");
    assert!(log.iter().filter(|l| l.status == "failed").all(|l| l.error_message_redacted.is_some()));
    let s = sources::list(&v).unwrap();
    assert!(s.iter().filter(|s| s.last_status.as_deref() == Some("failed")).all(|s| s.last_error.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eleventh_fetch_of_a_provider_in_a_day_is_not_made() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"<rss version="2.0"><channel><title>t</title></channel></rss>"#,
            "application/rss+xml",
        ))
        .expect(10)
        .mount(&server)
        .await;
    for i in 0..12 {
        source(&v, "groq", &format!("{}/feed/{i}", server.uri()), SourceKind::Feed, None);
    }
    let r = run(&v).await.unwrap();
    assert_eq!(r.fetches, 10);
    assert!(r.providers[0].budget_reached, "{r:?}");
    assert_eq!(discovery::log::list(&v, 1).unwrap()[0].status, "partial");
    // The next run the same day fetches nothing and says why.
    let r = run(&v).await.unwrap();
    assert_eq!(r.fetches, 0);
    assert!(r.providers[0].errors.iter().any(|e| e.contains("discovery.budget_reached")), "{r:?}");
    assert_eq!(discovery::log::list(&v, 1).unwrap()[0].status, "failed");
    // wiremock's expect(10) is checked when the server drops.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_switch_off_nothing_is_sent_even_with_online_mode_on() {
    let f = Fixture::new();
    let v = f.unlock();
    v.update_settings(v.settings().with_named("online-mode", "on").unwrap()).unwrap();
    v.configure_net(quick()).unwrap();
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    source(&v, "groq", &format!("{}/feed", server.uri()), SourceKind::Feed, None);
    let e = run(&v).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NetOffline);
    assert!(e.message().contains("Discovery network"));
    assert!(discovery::log::list(&v, 10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_filters_retention_and_bad_input() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    let server = MockServer::start().await;
    let items: String = (0..3)
        .map(|i| {
            format!(
                "<item><title>Deprecating endpoint {i}</title><link>https://example.com/d/{i}</link></item>"
            )
        })
        .collect();
    Mock::given(path("/f"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"<rss version="2.0"><channel><title>t</title>{items}</channel></rss>"#),
            "application/rss+xml",
        ))
        .mount(&server)
        .await;
    source(&v, "mistral", &format!("{}/f", server.uri()), SourceKind::Feed, None);
    run(&v).await.unwrap();
    let found = all(&v);
    assert_eq!(found.len(), 3);
    assert_eq!(discovery::findings::count_new(&v).unwrap(), 3);
    let one =
        discovery::findings::mark(&v, &found[0].id, FindingStatus::Reviewed, Some("  asked the team  "))
            .unwrap();
    assert_eq!(
        (one.user_status, one.user_notes.as_deref()),
        (FindingStatus::Reviewed, Some("asked the team"))
    );
    assert!(one.reviewed_at.is_some());
    discovery::findings::mark(&v, &found[1].id, FindingStatus::Dismissed, None).unwrap();
    let q = |s| FindingQuery { status: Some(s), ..FindingQuery::default() };
    assert_eq!(discovery::findings::list(&v, &q(FindingStatus::New)).unwrap().len(), 1);
    assert_eq!(discovery::findings::list(&v, &q(FindingStatus::Dismissed)).unwrap().len(), 1);
    let by_provider = FindingQuery { provider_id: Some("openai".into()), ..FindingQuery::default() };
    assert!(discovery::findings::list(&v, &by_provider).unwrap().is_empty());
    assert_eq!(discovery::findings::count_new(&v).unwrap(), 1);
    let e = discovery::findings::mark(&v, "nope", FindingStatus::Reviewed, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DiscoveryFindingNotFound);
    assert_eq!(FindingStatus::parse("closed").unwrap_err().code(), ErrorCode::InputInvalid);
    let long = "x".repeat(2001);
    assert!(discovery::findings::mark(&v, &found[2].id, FindingStatus::Actioned, Some(&long)).is_err());
    // The note is the user's: the audit event says only that there is one.
    let events = serde_json::to_string(&v.audit_log(50, Some("discovery.mark")).unwrap()).unwrap();
    assert!(events.contains("noted") && !events.contains("asked the team"), "{events}");
    // Sources: a bad URL, kind and selector are refused; rm and disable work.
    assert!(sources::add(&v, "mistral", "http://example.com/feed", SourceKind::Feed, None).is_err());
    assert!(sources::add(&v, "mistral", "https://example.com/p", SourceKind::Feed, Some("main")).is_err());
    assert!(sources::add(&v, "mistral", "https://example.com/p", SourceKind::Page, Some("[[")).is_err());
    assert!(sources::add(&v, "nosuch", "https://example.com/p", SourceKind::Page, None).is_err());
    assert_eq!(sources::remove(&v, "nope").unwrap_err().code(), ErrorCode::DiscoverySourceNotFound);
    assert!(sources::remove(&v, "builtin:mistral/advisories").is_err());
    // Retention: a finding untouched for longer than the setting goes.
    let old = days_ago(91);
    f.raw_vault()
        .execute(
            "UPDATE discovery_findings SET discovered_at = ?1, updated_at = ?1 WHERE id = ?2",
            [&old, &found[2].id],
        )
        .unwrap();
    f.raw_vault().execute("UPDATE discovery_search_log SET searched_at = ?1", [&days_ago(31)]).unwrap();
    let pruned = discovery::retention::run(&v).unwrap();
    assert_eq!((pruned.findings, pruned.log_rows), (1, 1));
    assert_eq!(all(&v).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_daily_run_is_caught_up_at_unlock_and_the_loop_ends_at_lock() {
    let f = Fixture::new();
    let v = discovery_on(&f);
    v.update_settings(v.settings().with_named("autonomous-mode", "on").unwrap()).unwrap();
    let server = MockServer::start().await;
    Mock::given(path("/f"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"<rss version="2.0"><channel><title>t</title><item><title>Launch</title><link>https://example.com/l</link></item></channel></rss>"#,
            "application/rss+xml",
        ))
        .mount(&server)
        .await;
    source(&v, "cohere", &format!("{}/f", server.uri()), SourceKind::Feed, None);
    // The laptop slept through last night's run.
    f.raw_vault().execute("UPDATE profile_settings SET discovery_next_due_at = ?1", [days_ago(1)]).unwrap();
    let jobs = Jobs::new();
    let states = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = states.clone();
    let loop_ = tokio::spawn(discovery::schedule::run(v.clone(), jobs, CancellationToken::new(), move |s| {
        seen.lock().unwrap().push(s)
    }));
    let start = Instant::now();
    while discovery::log::list(&v, 1).unwrap().is_empty() && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = discovery::log::list(&v, 1).unwrap();
    assert_eq!(log[0].trigger_type, Trigger::LaunchCatchup);
    // After the run, the next one is due tomorrow-ish, not now.
    let start = Instant::now();
    let due = loop {
        let (due, last): (Option<String>, Option<String>) = f
            .raw_vault()
            .query_row("SELECT discovery_next_due_at, discovery_last_run_at FROM profile_settings", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        if last.is_some() || start.elapsed() > Duration::from_secs(10) {
            break keyclave_core::time::parse(&due.unwrap()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(due > chrono::Utc::now(), "{due}");
    v.retire();
    tokio::time::timeout(Duration::from_secs(5), loop_).await.expect("the loop ends at lock").unwrap();
    assert!(
        states
            .lock()
            .unwrap()
            .iter()
            .any(|s| matches!(s, discovery::schedule::DiscoveryStatus::Running { .. }))
    );
}
