//! Fetching one source, politely: through `core::net` behind the Discovery
//! gate, to the source's own origin only (a redirect to another host is
//! refused and the next fallback tried), conditionally (`If-None-Match` /
//! `If-Modified-Since` from the stored validators; a 304 is "no change",
//! not a failure), never retried within a run (the next daily run is the
//! retry), and each request taken from the provider's daily budget first.

use tokio_util::sync::CancellationToken;
use url::Url;

use super::sources::{Source, SourceKind, sdks};
use crate::error::{Error, ErrorCode, Result};
use crate::net::{Gate, Net, Request, Response};
use crate::settings::Settings;

/// Largest answer read from a source.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// One answer body.
#[derive(Debug, Clone)]
pub struct Body {
    /// The address that answered.
    pub url: Url,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
}

/// What a source answered.
#[derive(Debug, Clone)]
pub enum Answer {
    /// New content (one body; one per SDK package for OSV).
    Changed {
        /// The bodies.
        bodies: Vec<Body>,
        /// The new `ETag`.
        etag: Option<String>,
        /// The new `Last-Modified`.
        last_modified: Option<String>,
    },
    /// 304: the same as last time.
    Unchanged,
}

/// A fetch: its answer, and how many requests it took from the budget.
#[derive(Debug)]
pub struct Fetch {
    /// The answer, or why there is none.
    pub answer: Result<Answer>,
    /// Requests made.
    pub requests: u32,
}

fn budget_spent(provider: &str) -> Error {
    Error::new(
        ErrorCode::DiscoveryBudgetReached,
        format!("the daily budget of {} fetches for {provider} is spent", super::log::DAILY_FETCHES),
    )
}

fn accept(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Feed => {
            "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"
        }
        SourceKind::Statuspage | SourceKind::StatusJson | SourceKind::Advisories => {
            "application/json, */*;q=0.5"
        }
        SourceKind::Page => "text/markdown, text/html;q=0.9, text/plain;q=0.8, */*;q=0.5",
    }
}

fn origin(url: &Url) -> Url {
    let mut o = url.clone();
    o.set_path("");
    o.set_query(None);
    o.set_fragment(None);
    o
}

fn request(src: &Source, url: &Url, post: Option<Vec<u8>>) -> Request {
    let mut req = Request::get(
        Gate::Discovery,
        &src.provider_id,
        url.clone(),
        &format!("discovery:{}", src.kind.as_str()),
    );
    // The source's own origin is what this request may reach; a redirect
    // elsewhere is refused by core::net.
    req.endpoint = Some(origin(url));
    req.max_retries = 0;
    req.max_body = Some(MAX_BODY);
    req.header("accept", accept(src.kind));
    match post {
        Some(body) => req.post_json(body),
        None => {
            if let Some(v) = &src.state.etag {
                req.header_text("if-none-match", v);
            }
            if let Some(v) = &src.state.last_modified {
                req.header_text("if-modified-since", v);
            }
        }
    }
    req
}

fn body(url: &Url, r: Response) -> Body {
    Body { url: url.clone(), content_type: r.header("content-type").map(str::to_owned), bytes: r.body }
}

/// Whether the next address of a source is worth trying after `e`.
fn try_next(e: &Error) -> bool {
    !matches!(e.code(), ErrorCode::JobCancelled | ErrorCode::NetOffline | ErrorCode::DiscoveryBudgetReached)
}

fn http_error(status: u16, url: &Url) -> Error {
    let host = url.host_str().unwrap_or("the source");
    let code = if status >= 500 { ErrorCode::NetUnavailable } else { ErrorCode::NetBadResponse };
    Error::new(code, format!("{host} answered HTTP {status}"))
}

/// Fetch `src`, spending at most `budget` requests (decremented as they go).
pub async fn fetch(
    net: &Net,
    settings: &Settings,
    src: &Source,
    budget: &mut u32,
    cancel: &CancellationToken,
) -> Fetch {
    let mut requests = 0;
    let answer = if src.kind == SourceKind::Advisories {
        advisories(net, settings, src, budget, &mut requests, cancel).await
    } else {
        addresses(net, settings, src, budget, &mut requests, cancel).await
    };
    Fetch { answer, requests }
}

async fn addresses(
    net: &Net,
    settings: &Settings,
    src: &Source,
    budget: &mut u32,
    requests: &mut u32,
    cancel: &CancellationToken,
) -> Result<Answer> {
    let mut last: Option<Error> = None;
    for raw in &src.urls {
        let url = Url::parse(raw).map_err(|_| Error::invalid(format!("{raw} is not a URL")))?;
        if *budget == 0 {
            return Err(last.unwrap_or_else(|| budget_spent(&src.provider_id)));
        }
        *budget -= 1;
        *requests += 1;
        let outcome = net.send(settings, request(src, &url, None), cancel).await;
        let e = match outcome {
            Ok(r) if r.status == 304 => return Ok(Answer::Unchanged),
            Ok(r) if (200..300).contains(&r.status) => {
                return Ok(Answer::Changed {
                    etag: r.header("etag").map(str::to_owned),
                    last_modified: r.header("last-modified").map(str::to_owned),
                    bodies: vec![body(&url, r)],
                });
            }
            Ok(r) => http_error(r.status, &url),
            Err(e) => e,
        };
        if !try_next(&e) {
            return Err(e);
        }
        last = Some(e);
    }
    Err(last.unwrap_or_else(|| Error::internal("a source without an address")))
}

/// OSV takes one package per POST; a GitHub-style address with a query
/// (`?ecosystem=pip&affects=openai`) is one GET.
async fn advisories(
    net: &Net,
    settings: &Settings,
    src: &Source,
    budget: &mut u32,
    requests: &mut u32,
    cancel: &CancellationToken,
) -> Result<Answer> {
    let raw = src.urls.first().ok_or_else(|| Error::internal("a source without an address"))?;
    let url = Url::parse(raw).map_err(|_| Error::invalid(format!("{raw} is not a URL")))?;
    if url.query().is_some() {
        return addresses(net, settings, src, budget, requests, cancel).await;
    }
    let packages = sdks(&src.provider_id);
    if packages.is_empty() {
        return Err(Error::invalid(format!(
            "no official SDK packages of {} are known to ask advisories for",
            src.provider_id
        )));
    }
    let mut bodies = Vec::new();
    let mut last: Option<Error> = None;
    for (ecosystem, name) in packages {
        if *budget == 0 {
            last = Some(budget_spent(&src.provider_id));
            break;
        }
        *budget -= 1;
        *requests += 1;
        let query = serde_json::json!({ "package": { "name": name, "ecosystem": ecosystem } });
        let query = serde_json::to_vec(&query).map_err(|e| Error::internal(format!("an OSV query: {e}")))?;
        match net.send(settings, request(src, &url, Some(query)), cancel).await {
            Ok(r) if (200..300).contains(&r.status) => bodies.push(body(&url, r)),
            Ok(r) => last = Some(http_error(r.status, &url)),
            Err(e) if !try_next(&e) => return Err(e),
            Err(e) => last = Some(e),
        }
    }
    match (bodies.is_empty(), last) {
        (true, Some(e)) => Err(e),
        _ => Ok(Answer::Changed { bodies, etag: None, last_modified: None }),
    }
}
