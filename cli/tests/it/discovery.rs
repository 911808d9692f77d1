//! `discovery` end to end through the binary, against a fake feed on
//! 127.0.0.1 added as the user's own source.

use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::util::{Home, assert_ok, stdout};

fn feed_server(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(async {
        let s = MockServer::start().await;
        let body = format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Changelog</title>
<item><title>Deprecating the v1 completions endpoint</title><link>{u}/changelog/v1?utm_source=rss</link><description>Retired on 2031-01-01.</description></item>
<item><title>New pricing for batch jobs</title><link>{u}/changelog/batch</link><description>Batch is 50% off.</description></item>
</channel></rss>"#,
            u = s.uri()
        );
        Mock::given(path("/feed.xml"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/rss+xml"))
            .mount(&s)
            .await;
        s
    })
}

#[test]
fn run_list_mark_sources_and_log() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = feed_server(&rt);
    let h = Home::with_profile();
    let url = format!("{}/feed.xml", server.uri());
    // Off by default: nothing is sent.
    assert_ok(&h.run(&["discovery", "source", "add", "perplexity", &url, "--kind", "feed"], None));
    let (code, err) = h.fails(&["discovery", "run"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("net.offline")), "{err}");
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 0);

    assert_ok(&h.run(&["settings", "set", "discovery-network", "on"], None));
    let report = h.json(&["discovery", "run"]);
    assert_eq!(report["new_findings"], 2, "{report}");
    let out = h.run(&["discovery", "list"], None);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("Deprecating the v1 completions endpoint") && text.contains("deprecation"),
        "{text}"
    );
    assert!(text.contains("why: "), "{text}");

    let list = h.json(&["discovery", "list", "--urgency", "advisory"]);
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let id = items[0]["id"].as_str().unwrap().to_owned();
    let marked = h.json(&["discovery", "mark", &id[..8], "reviewed", "--notes", "pinned v2"]);
    assert_eq!(
        (marked["user_status"].as_str(), marked["user_notes"].as_str()),
        (Some("reviewed"), Some("pinned v2"))
    );
    let (_, err) = h.fails(&["discovery", "mark", "zzzzzzzz", "reviewed"], None);
    assert_eq!(err["code"], "discovery.finding_not_found");
    let (code, err) = h.fails(&["discovery", "mark", &id, "closed"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    assert_eq!(h.json(&["discovery", "list", "--status", "new"]).as_array().unwrap().len(), 1);

    let sources = h.json(&["discovery", "source", "list"]);
    let mine = sources.as_array().unwrap().iter().find(|s| s["url"] == url.as_str()).unwrap().clone();
    assert_eq!(mine["last_status"], "changed");
    let (_, err) = h
        .fails(&["discovery", "source", "add", "perplexity", "http://example.com/x", "--kind", "feed"], None);
    assert_eq!(err["code"], "input.invalid");
    let log = h.json(&["discovery", "log"]);
    assert_eq!(log[0]["queries_executed"], 1, "{log}");
    assert_eq!(log[0]["trigger_type"], "on_demand");
    assert_ok(&h.run(&["discovery", "source", "disable", mine["id"].as_str().unwrap()], None));
    let r = h.json(&["discovery", "run"]);
    assert_eq!(r["fetches"], 0, "a disabled source is not fetched: {r}");
    assert_ok(&h.run(&["discovery", "source", "rm", mine["id"].as_str().unwrap()], None));
}
