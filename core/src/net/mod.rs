//! `core::net`: the only HTTP client of KeyClave (security rule 6).
//!
//! Every request goes through [`Net::send`], which in this order:
//!
//! 1. checks the gate of the feature asking ([`Gate`]): Online Mode for
//!    validation and dashboard collection, the Discovery network switch for
//!    discovery. A closed gate is `net.offline` before anything is resolved
//!    or sent — not even DNS;
//! 2. checks the target against the allowlist ([`allow`]): the provider's
//!    own API hosts over HTTPS, or the key's own endpoint; loopback hosts
//!    may be plain HTTP. Anything else is `net.domain_not_allowed`;
//! 3. waits its turn under the provider's politeness rules ([`polite`]): at
//!    most 2 requests in flight, a minimum interval, a circuit breaker;
//! 4. sends with the per-session client (rustls, connect 5 s, whole request
//!    15 s, `User-Agent: KeyClave/<version>`, the system proxy settings),
//!    reads at most 1 MiB of body, and follows a redirect only by hand, only
//!    to an allowlisted host of the same provider, dropping the credential
//!    headers when the host changes;
//! 5. retries what is worth retrying (429 after `Retry-After` or a reset
//!    header, 5xx, timeouts, connection failures) with exponential backoff
//!    and jitter, up to the profile's `automation_max_retries`;
//! 6. writes one line per attempt to the operational log ([`oplog`]):
//!    provider, method, path template, status, duration — never a header,
//!    a query value or a body.
//!
//! The client lives as long as one unlock ([`crate::Vault::net`]), so the
//! breaker and the connection pool are per profile session. Waiting and
//! sending watch a cancellation token: a lock stops a request at once.

pub mod allow;
pub(crate) mod auth;
pub mod oplog;
pub mod polite;
pub mod proxy;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::{Error, ErrorCode, Result};
use crate::settings::Settings;

/// Which switch a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Online Mode: key validation and dashboard collection.
    Online,
    /// The Discovery network switch (independent of Online Mode).
    Discovery,
}

impl Gate {
    /// Whether `settings` open this gate.
    pub fn is_open(self, settings: &Settings) -> bool {
        match self {
            Gate::Online => settings.online_mode_enabled,
            Gate::Discovery => settings.discovery_network_enabled,
        }
    }

    fn refusal(self) -> Error {
        match self {
            Gate::Online => Error::new(ErrorCode::NetOffline, "Online Mode is off: nothing was sent"),
            Gate::Discovery => {
                Error::new(ErrorCode::NetOffline, "the Discovery network is off: nothing was sent")
                    .with_suggestion(
                        "Turn the Discovery network on (`keyclave settings set discovery-network on`).",
                    )
            }
        }
    }
}

/// Limits of the client; [`NetConfig::default`] is what the app uses,
/// tests shorten the waits.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of one whole request, body included.
    pub request_timeout: Duration,
    /// Largest body read; more is `net.bad_response`.
    pub max_body: usize,
    /// Requests in flight per provider.
    pub max_in_flight: usize,
    /// Minimum time between two request starts to one provider.
    pub min_interval: Duration,
    /// First backoff delay (doubled per retry, with jitter).
    pub backoff_base: Duration,
    /// Longest `Retry-After` honoured by waiting; a longer one fails the
    /// request with `net.rate_limited` and the delay.
    pub max_retry_wait: Duration,
    /// Consecutive failures that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker pauses the provider.
    pub breaker_pause: Duration,
    /// Redirects followed at most.
    pub max_redirects: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            max_body: 1024 * 1024,
            max_in_flight: 2,
            min_interval: Duration::from_millis(50),
            backoff_base: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(30),
            breaker_threshold: 5,
            breaker_pause: Duration::from_secs(600),
            max_redirects: 5,
        }
    }
}

/// One request to make.
#[derive(Debug)]
pub struct Request {
    /// Which switch it needs.
    pub gate: Gate,
    /// The provider it is for (politeness, allowlist, log).
    pub provider_id: String,
    /// `GET`, or `POST` for the few read-only POSTs (Slack `auth.test`, STS).
    pub method: reqwest::Method,
    /// Where.
    pub url: Url,
    /// The path as logged, without ids or values (`/2010-04-01/Accounts/{sid}.json`).
    pub path_template: String,
    /// Headers; credential headers are marked sensitive and dropped on a
    /// redirect to another host.
    pub headers: HeaderMap,
    /// Request body, if any.
    pub body: Option<Vec<u8>>,
    /// The key's own endpoint, when set: allowlisted for this request.
    pub endpoint: Option<Url>,
    /// Retries allowed (the profile's `automation_max_retries`).
    pub max_retries: u32,
    /// Largest body read for this request, when not [`NetConfig::max_body`]
    /// (discovery reads feeds and pages of a few MiB).
    pub max_body: Option<usize>,
}

impl Request {
    /// A GET with no headers.
    pub fn get(gate: Gate, provider_id: &str, url: Url, path_template: &str) -> Request {
        Request {
            gate,
            provider_id: provider_id.to_owned(),
            method: reqwest::Method::GET,
            url,
            path_template: path_template.to_owned(),
            headers: HeaderMap::new(),
            body: None,
            endpoint: None,
            max_retries: 3,
            max_body: None,
        }
    }

    /// Add a header that carries a credential (sensitive: never logged,
    /// never sent across hosts).
    pub fn credential(&mut self, name: HeaderName, value: &str) -> Result<()> {
        let mut v = HeaderValue::from_str(value)
            .map_err(|_| Error::invalid("the key holds characters an HTTP header cannot carry"))?;
        v.set_sensitive(true);
        self.headers.insert(name, v);
        Ok(())
    }

    /// Use `method` (`GET`, `POST`).
    pub fn set_method(&mut self, method: &str) -> Result<()> {
        self.method =
            method.parse().map_err(|_| Error::internal(format!("{method} is not an HTTP method")))?;
        Ok(())
    }

    /// Add a non-secret header known only at run time (a stored `ETag`
    /// sent back as `If-None-Match`); a value no header can carry is
    /// left out.
    pub fn header_text(&mut self, name: &'static str, value: &str) {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(HeaderName::from_static(name), v);
        }
    }

    /// Make it a POST of `body` as JSON (OSV's read-only queries).
    pub fn post_json(&mut self, body: Vec<u8>) {
        self.method = reqwest::Method::POST;
        self.headers.insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Some(body);
    }

    /// Add a fixed, non-secret header (`anthropic-version`).
    pub fn header(&mut self, name: &'static str, value: &'static str) {
        self.headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
}

/// An answer (any status: reading it is the caller's business).
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body, at most [`NetConfig::max_body`] bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the body is an HTML page (an error page of a proxy or a
    /// CDN, a login page): never evidence about a key.
    pub fn is_html(&self) -> bool {
        let ct = self.header("content-type").unwrap_or("").to_ascii_lowercase();
        if ct.contains("text/html") {
            return true;
        }
        let start = self.body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(self.body.len());
        let head =
            String::from_utf8_lossy(&self.body[start..self.body.len().min(start + 15)]).to_ascii_lowercase();
        head.starts_with("<!doctype html") || head.starts_with("<html")
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The HTTP client of one profile session (cheap to clone).
#[derive(Clone)]
pub struct Net {
    inner: Arc<NetInner>,
}

struct NetInner {
    client: reqwest::Client,
    config: NetConfig,
    providers: polite::Registry,
    log: oplog::OpLog,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net").finish_non_exhaustive()
    }
}

/// The `User-Agent` of every request.
pub fn user_agent() -> String {
    format!("KeyClave/{}", env!("CARGO_PKG_VERSION"))
}

fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Net {
    /// A client writing its request log under `logs_dir`. Builds no
    /// connection and resolves nothing.
    pub fn new(logs_dir: PathBuf, config: NetConfig) -> Result<Net> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(user_agent())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // Redirects are followed by hand, against the allowlist.
            .redirect(reqwest::redirect::Policy::none())
            .https_only(false)
            .build()
            .map_err(|e| Error::internal(format!("the HTTP client could not be built: {e}")))?;
        Ok(Net {
            inner: Arc::new(NetInner {
                client,
                providers: polite::Registry::new(&config),
                config,
                log: oplog::OpLog::new(logs_dir),
            }),
        })
    }

    /// The limits in force.
    pub fn config(&self) -> &NetConfig {
        &self.inner.config
    }

    /// Where the request log is written.
    pub fn log_path(&self) -> PathBuf {
        self.inner.log.path()
    }

    /// Whether requests to `provider_id` are paused by the circuit breaker,
    /// and until when (seconds from now).
    pub fn paused_for(&self, provider_id: &str) -> Option<Duration> {
        self.inner.providers.get(provider_id).paused_for()
    }

    /// Send `req` (see the module documentation for the order of checks).
    /// Any HTTP status is an answer; `Err` is for what gave no answer:
    /// `net.offline`, `net.domain_not_allowed`, `net.timeout`,
    /// `net.rate_limited` (after the retries), `net.unavailable` (5xx after
    /// the retries, connection failures), `net.provider_paused`,
    /// `net.bad_response` (too large), `job.cancelled`.
    pub async fn send(
        &self,
        settings: &Settings,
        req: Request,
        cancel: &CancellationToken,
    ) -> Result<Response> {
        if !req.gate.is_open(settings) {
            return Err(req.gate.refusal());
        }
        allow::check(&req.provider_id, &req.url, req.endpoint.as_ref())?;
        let state = self.inner.providers.get(&req.provider_id);
        let mut attempt: u32 = 0;
        loop {
            let outcome = self.attempt(&state, &req, attempt, cancel).await;
            let retry_in = match &outcome {
                Ok(resp) if resp.status == 429 => {
                    let wait = polite::retry_after(&resp.headers, chrono::Utc::now())
                        .unwrap_or_else(|| polite::backoff(self.inner.config.backoff_base, attempt));
                    if wait > self.inner.config.max_retry_wait || attempt >= req.max_retries {
                        state.failed(&self.inner.config);
                        let secs = wait.as_secs().max(1);
                        return Err(Error::new(
                            ErrorCode::NetRateLimited,
                            format!("{} asked to slow down (HTTP 429); retry in {secs} s", req.provider_id),
                        )
                        .with_retry_after(secs));
                    }
                    Some(wait)
                }
                Ok(resp) if resp.status >= 500 => {
                    state.failed(&self.inner.config);
                    if attempt >= req.max_retries {
                        return Err(Error::new(
                            ErrorCode::NetUnavailable,
                            format!("{} answered HTTP {} (a server error)", req.provider_id, resp.status),
                        ));
                    }
                    Some(polite::backoff(self.inner.config.backoff_base, attempt))
                }
                Ok(_) => {
                    state.succeeded();
                    None
                }
                Err(e) if matches!(e.code(), ErrorCode::NetTimeout | ErrorCode::NetUnavailable) => {
                    state.failed(&self.inner.config);
                    if attempt >= req.max_retries {
                        return outcome;
                    }
                    Some(polite::backoff(self.inner.config.backoff_base, attempt))
                }
                Err(_) => None,
            };
            match retry_in {
                None => return outcome,
                Some(wait) => {
                    attempt += 1;
                    tokio::select! {
                        _ = cancel.cancelled() => return Err(cancelled()),
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// One attempt, redirects included.
    async fn attempt(
        &self,
        state: &polite::ProviderState,
        req: &Request,
        attempt: u32,
        cancel: &CancellationToken,
    ) -> Result<Response> {
        let _permit = state.admit(&self.inner.config, cancel).await?;
        let mut url = req.url.clone();
        let mut headers = req.headers.clone();
        let mut method = req.method.clone();
        let mut body = req.body.clone();
        for _ in 0..=self.inner.config.max_redirects {
            let started = Instant::now();
            let result = tokio::select! {
                _ = cancel.cancelled() => Err(cancelled()),
                r = self.once(&method, &url, &headers, body.as_deref(), req.max_body) => r,
            };
            self.inner.log.write(&oplog::Line {
                provider: &req.provider_id,
                method: method.as_str(),
                path: &req.path_template,
                status: result.as_ref().ok().map(|r| r.status),
                error: result.as_ref().err().map(|e| e.code().as_str()),
                duration_ms: started.elapsed().as_millis() as u64,
                attempt,
            });
            let resp = result?;
            if !(300..400).contains(&resp.status) || resp.status == 304 {
                return Ok(resp);
            }
            let Some(next) = resp.header("location").and_then(|l| url.join(l).ok()) else {
                return Ok(resp);
            };
            // Only to the same provider's allowlisted hosts; nothing is
            // sent to another host at all.
            allow::check(&req.provider_id, &next, req.endpoint.as_ref()).map_err(|_| {
                Error::new(
                    ErrorCode::NetDomainNotAllowed,
                    format!(
                        "{} redirected to a host that is not on its allowlist; not followed",
                        req.provider_id
                    ),
                )
            })?;
            if next.host_str() != url.host_str()
                || next.port_or_known_default() != url.port_or_known_default()
            {
                headers.retain_sensitive_dropped();
                if url.query().is_some() {
                    // The key may be a query value (Mapbox): never across hosts.
                    return Err(Error::new(
                        ErrorCode::NetDomainNotAllowed,
                        "a redirect to another host with the key in the URL was not followed",
                    ));
                }
            }
            if resp.status == 303
                || ((resp.status == 301 || resp.status == 302) && method == reqwest::Method::POST)
            {
                method = reqwest::Method::GET;
                body = None;
            }
            url = next;
        }
        Err(Error::new(ErrorCode::NetBadResponse, format!("{} redirected too many times", req.provider_id)))
    }

    async fn once(
        &self,
        method: &reqwest::Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        max_body: Option<usize>,
    ) -> Result<Response> {
        let mut builder = self.inner.client.request(method.clone(), url.clone()).headers(headers.clone());
        if let Some(b) = body {
            builder = builder.body(b.to_vec());
        }
        let mut resp = builder.send().await.map_err(transport_error)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let max = max_body.unwrap_or(self.inner.config.max_body);
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_large(max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > max {
                // Dropping the response closes the connection: the rest is
                // never read.
                return Err(too_large(max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response { status, headers, body })
    }
}

trait DropSensitive {
    fn retain_sensitive_dropped(&mut self);
}

impl DropSensitive for HeaderMap {
    /// Remove every credential header (marked sensitive, or named like one).
    fn retain_sensitive_dropped(&mut self) {
        let names: Vec<HeaderName> = self
            .iter()
            .filter(|(n, v)| v.is_sensitive() || *n == reqwest::header::AUTHORIZATION)
            .map(|(n, _)| n.clone())
            .collect();
        for n in names {
            self.remove(n);
        }
    }
}

fn too_large(max: usize) -> Error {
    Error::new(ErrorCode::NetBadResponse, format!("the answer is larger than {} KiB; not read", max / 1024))
}

fn cancelled() -> Error {
    Error::new(ErrorCode::JobCancelled, "the request was cancelled")
}

/// Map a transport failure to the taxonomy, without the URL (it may hold
/// a query value).
fn transport_error(e: reqwest::Error) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        Error::new(ErrorCode::NetTimeout, "the provider did not answer in time")
    } else if e.is_connect() {
        Error::new(ErrorCode::NetUnavailable, "the provider could not be reached (connection failed)")
    } else if e.is_body() || e.is_decode() {
        Error::new(ErrorCode::NetBadResponse, "the answer broke off or could not be read")
    } else {
        Error::new(ErrorCode::NetUnavailable, "the request failed before an answer came")
    }
}
