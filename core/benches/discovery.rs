//! Discovery at scale.
//!
//! 1. Classify and dedup 10,000 feed entries (half of them the same
//!    announcement again with other `utm_` parameters): canonical URL,
//!    category, relevance against a user's docs, urgency and templates.
//!    Target ≤ 100 ms.
//! 2. A run over 30 providers, three sources each (a feed, a status page
//!    and a watched page) on fake servers on 127.0.0.1 answering in
//!    100 ms, with the politeness limits in force (`core::net`'s defaults:
//!    2 requests in flight and 50 ms between starts per provider; 8
//!    providers at once; the daily budget checked). Target ≤ 5 s.
//!
//! `cargo bench -p keyclave-core --bench discovery` (`make bench-discovery`).

mod support;

use criterion::Criterion;
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::discovery::parse::Entry;
use keyclave_core::discovery::relevance::Usage;
use keyclave_core::discovery::sources::{self, Source, SourceKind};
use keyclave_core::discovery::{self, Trigger};
use keyclave_core::paths::Root;
use keyclave_core::{KeyClave, Vault};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const PASS: &str = "correct horse battery staple";
const ENTRIES: usize = 10_000;
const PROVIDERS: usize = 30;

fn entries() -> Vec<Entry> {
    let kinds = [
        ("Deprecating gpt-4-0613 on 2027-01-15", "The model will be shut down; move to gpt-4.1."),
        ("New pricing for embeddings", "$0.02 per 1M tokens from next month."),
        ("Elevated error rates on the API", "We are investigating."),
        ("Introducing a realtime voice", "A new feature launches today in beta."),
        ("Security fix for CVE-2026-1234", "Upgrade the SDK to 9.9.9."),
    ];
    (0..ENTRIES)
        .map(|i| {
            let (title, body) = kinds[i % kinds.len()];
            // Every second entry repeats the one before with another utm_.
            let n = i / 2;
            Entry {
                url: format!("https://example.com/changelog/{n}?utm_source=feed{}#x", i % 2),
                title: format!("{title} ({n})"),
                body: body.to_owned(),
                published: Some(chrono::Utc::now()),
                ..Entry::default()
            }
        })
        .collect()
}

fn usage() -> Usage {
    let mut u = Usage::default();
    for t in ["gpt-4-0613", "text-embedding-3-small", "2023-06-01"] {
        u.terms.entry(t.into()).or_default().insert("shop".into());
    }
    u.packages.entry("openai".into()).or_default().insert("shop".into());
    u.env_vars.entry("OPENAI_API_KEY".into()).or_default().insert("shop".into());
    u
}

fn feed_source() -> Source {
    Source {
        id: "bench".into(),
        row_id: None,
        provider_id: "openai".into(),
        kind: SourceKind::Feed,
        urls: vec!["https://example.com/feed".into()],
        selector: None,
        title: "Bench feed".into(),
        builtin: false,
        enabled: true,
        state: Default::default(),
    }
}

/// What a fake source host answers, by path.
fn answer(request_line: &str) -> (String, String) {
    let (ct, body) = if request_line.contains("/feed") {
        (
            "application/rss+xml",
            r#"<rss version="2.0"><channel><title>c</title><item><title>Deprecating v1 on 2031-01-01</title><link>https://example.com/d1</link></item><item><title>New pricing</title><link>https://example.com/p1?utm_source=x</link></item></channel></rss>"#,
        )
    } else if request_line.contains("/summary.json") {
        (
            "application/json",
            r#"{"page":{"url":"https://status.example.com"},"incidents":[{"id":"i1","name":"Elevated errors","status":"resolved","impact":"minor","components":[{"name":"API"}]}]}"#,
        )
    } else {
        ("text/html", "<html><body><main><h1>Pricing</h1><p>model-a: $1 / 1M tokens</p></main></body></html>")
    };
    (format!("content-type: {ct}\r\n"), body.to_owned())
}

fn setup() -> (tempfile::TempDir, Root, String, Vault) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Root::at(dir.path());
    let mut kc = KeyClave::open(root.clone()).expect("root");
    kc.create_profile("Bench", &SecretString::from(PASS), KdfParams { m_kib: 8, t: 1, p: 1 })
        .expect("create");
    let vault = kc.unlock("Bench", &SecretString::from(PASS)).expect("unlock");
    let s = vault.settings().with_named("discovery-network", "on").expect("setting");
    vault.update_settings(s).expect("settings");
    let ids: Vec<&str> = keyclave_core::providers::all()
        .iter()
        .map(|p| p.id)
        .filter(|id| *id != "generic")
        .take(PROVIDERS)
        .collect();
    assert_eq!(ids.len(), PROVIDERS);
    for id in ids {
        // Built-in sources would reach the internet: off.
        for b in sources::builtin(id) {
            sources::set_enabled(&vault, &format!("builtin:{}", b.key), false).expect("disable");
        }
        let host = support::fake_server(Duration::from_millis(100), answer);
        for (path, kind) in [
            ("/feed", SourceKind::Feed),
            ("/summary.json", SourceKind::Statuspage),
            ("/pricing", SourceKind::Page),
        ] {
            sources::add(&vault, id, &format!("{host}{path}"), kind, None).expect("add");
        }
    }
    let profile = vault.profile_id();
    (dir, root, profile, vault)
}

fn main() {
    let mut c =
        Criterion::default().configure_from_args().sample_size(20).warm_up_time(Duration::from_secs(1));
    let all = entries();
    let (src, u) = (feed_source(), usage());
    c.bench_function("classify + dedup 10,000 feed entries", |b| {
        b.iter(|| {
            let f = discovery::run::findings_for("OpenAI", "openai", &src, &all, &u);
            assert_eq!(f.len(), ENTRIES / 2);
            f
        })
    });

    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (_dir, root, profile, vault) = setup();
    let raw = support::raw_vault(&root, &profile, PASS);
    c.bench_function("discovery run, 30 providers x 3 sources at 100 ms", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // A fresh daily budget for each run (not timed).
                raw.execute("DELETE FROM discovery_search_log", []).expect("clear log");
                vault.sync_external_changes().expect("sync");
                let t0 = Instant::now();
                let r = rt
                    .block_on(discovery::run(
                        &vault,
                        Trigger::OnDemand,
                        None,
                        &CancellationToken::new(),
                        &|_, _| {},
                    ))
                    .expect("run");
                total += t0.elapsed();
                assert_eq!(r.fetches as usize, PROVIDERS * 3, "{r:?}");
            }
            total
        })
    });
    c.final_summary();
}
