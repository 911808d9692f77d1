//! Property tests for the parsers of user and network input not covered
//! beside their own tests (dotenv, import and bundles have theirs): the
//! Markdown rules of a project scan, the automation protocol lines a
//! script prints, and discovery's feeds and status JSON. Each gets bytes
//! that are random and bytes built from pieces of the real grammar; none
//! may panic, and what each returns keeps its documented shape.
//!
//! Cases per property: `KEYCLAVE_FUZZ_CASES` (default 256, the CI budget;
//! the note quotes a longer run).

use keyclave_core::automation::protocol::{self, Violation};
use keyclave_core::discovery::SourceKind;
use keyclave_core::discovery::parse as discovery;
use keyclave_core::scan::rules;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn runner() -> TestRunner {
    let cases = std::env::var("KEYCLAVE_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256);
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// Random bytes, or a concatenation of grammar pieces.
fn input(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..max),
        proptest::collection::vec(proptest::sample::select(pieces), 0..max / 8)
            .prop_map(|p| p.concat().into_bytes()),
    ]
}

const MARKDOWN: &[&str] = &[
    "# Setup\n",
    "```bash\n",
    "```\n",
    "    export OPENAI_API_KEY=sk-xxx\n",
    "`STRIPE_SECRET_KEY`",
    "Set OPENAI_API_KEY ",
    "requires a Stripe account. ",
    "optionally use Anthropic ",
    "https://api.openai.com/v1 ",
    "[docs](https://docs.stripe.com)",
    "<!-- GITHUB_TOKEN -->",
    "\n",
    "\r\n",
    "> ",
    "- ",
    "| key | value |\n",
    "é鍵🔑",
    "\u{0}",
    "AWS_ACCESS_KEY_ID=AKIA0123456789ABCDEF\n",
    "~~~\n",
];

#[test]
fn markdown_rules_never_panic_and_cite_real_lines() {
    runner()
        .run(&input(MARKDOWN, 600), |text| {
            let lines = text.split(|&b| b == b'\n').count() as u32;
            for ev in rules::infer(&text).into_iter().chain(rules::infer_env_template(&text)) {
                prop_assert!(ev.line_start >= 1 && ev.line_start <= ev.line_end, "{ev:?}");
                prop_assert!(ev.line_end <= lines.max(1), "{ev:?} beyond {lines} lines");
                prop_assert!(!ev.subject.is_empty());
                prop_assert!(
                    ev.excerpt.chars().count() <= 400,
                    "excerpt not shortened: {}",
                    ev.excerpt.len()
                );
                // A planted key value is redacted out of every excerpt.
                prop_assert!(!ev.excerpt.contains("AKIA0123456789ABCDEF"), "{}", ev.excerpt);
            }
            Ok(())
        })
        .unwrap();
}

const PROTOCOL: &[&str] = &[
    "{",
    "}",
    "\"type\":",
    "\"checkpoint\"",
    "\"progress\"",
    "\"result\"",
    "\"decision\"",
    "\"stored\"",
    "\"log\"",
    "\"kind\":\"financial\"",
    "\"message\":\"x\"",
    ",",
    "null",
    "[1,2]",
    "\"\\u0000\"",
    "1e999",
    " ",
];

#[test]
fn protocol_lines_never_panic_and_forged_types_are_refused() {
    runner()
        .run(&input(PROTOCOL, 400), |line| {
            let _ = protocol::parse(&line);
            Ok(())
        })
        .unwrap();
    // Whatever else it holds, a line typed as one of KeyClave's own
    // messages is a forgery.
    let forged = (proptest::sample::select(&["decision", "stored", "refused"][..]), "[a-z ]{0,20}");
    runner()
        .run(&forged, |(kind, filler)| {
            let line = serde_json::json!({ "type": kind, "message": filler, "approved": true }).to_string();
            prop_assert!(matches!(protocol::parse(line.as_bytes()), Err(Violation::Forged(_))));
            Ok(())
        })
        .unwrap();
}

const FEED: &[&str] = &[
    "<?xml version=\"1.0\"?>",
    "<rss version=\"2.0\"><channel>",
    "</channel></rss>",
    "<item><title>Deprecation</title><link>https://example.com/a</link>",
    "<pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate>",
    "</item>",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    "<entry><title>v2</title><link href=\"/rel\"/><updated>2025-06-10T00:00:00Z</updated></entry>",
    "</feed>",
    "<![CDATA[<b>x</b>]]>",
    "&amp;&#x0;&bogus;",
    "{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[",
    "{\"id\":\"1\",\"url\":\"javascript:alert(1)\",\"title\":\"t\"}",
    "]}",
    "\u{feff}",
];

const STATUS: &[&str] = &[
    "{",
    "}",
    "\"incidents\":[",
    "]",
    "{\"name\":\"API down\",\"status\":\"investigating\",\"impact\":\"critical\"",
    ",\"shortlink\":\"https://stspg.io/x\"",
    ",\"components\":[{\"name\":\"API\"}]",
    ",\"created_at\":\"2025-06-10T00:00:00Z\"",
    "\"vulns\":[{\"id\":\"GHSA-xxxx\",\"summary\":\"s\",\"affected\":[{\"package\":{\"name\":\"openai\"}}]}]",
    ",",
    "null",
    "\"\\ud800\"",
];

#[test]
fn feeds_and_status_json_never_panic_and_links_stay_web_links() {
    let url = url::Url::parse("https://status.example.com/api/v2/summary.json").unwrap();
    for (kind, pieces) in [
        (SourceKind::Feed, FEED),
        (SourceKind::Statuspage, STATUS),
        (SourceKind::StatusJson, STATUS),
        (SourceKind::Advisories, STATUS),
    ] {
        runner()
            .run(&input(pieces, 800), |body| {
                if let Ok(entries) = discovery::parse(kind, &body, Some("application/json"), &url) {
                    for e in entries {
                        prop_assert!(
                            e.url.is_empty() || e.url.starts_with("https://") || e.url.starts_with("http://"),
                            "{kind:?}: a non-web link kept: {}",
                            e.url
                        );
                    }
                }
                Ok(())
            })
            .unwrap();
    }
    // Found by this test: a multi-byte character across byte 9 of a body
    // that starts like a doctype panicked the root-element sniffing.
    assert!(discovery::parse(SourceKind::Feed, "<!doctyp\u{9375}>".as_bytes(), None, &url).is_err());
    runner()
        .run(&".{0,60}", |s| {
            let _ = discovery::parse_date(&s);
            Ok(())
        })
        .unwrap();
}
