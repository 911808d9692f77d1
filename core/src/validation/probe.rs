//! One key's check: the request built from the registry's [`Check`] (auth
//! style, fixed headers, companion, the key's own endpoint) and the reading
//! of its answer ([`Verdict`], [`Facts`], and the headers every provider
//! may send: scopes, token expiry, rate limits).

use serde::{Deserialize, Serialize};
use url::Url;

use super::Status;
use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};
use crate::net::{Gate, Request, Response};
use crate::providers::{AuthStyle, Check, Credits, Facts, Text, Verdict};

/// Rate limit as the provider reported it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed in the window.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub limit: Option<u64>,
    /// Requests left in the window.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub remaining: Option<u64>,
}

/// What an answer says about a key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reading {
    /// Valid, limited, invalid or error (never unverifiable: a request was made).
    pub status: Option<Status>,
    /// Why not valid, or what limits it, or why it could not be told.
    pub reason: Option<String>,
    /// The error code when it could not be told (`net.timeout`, …).
    pub error_code: Option<ErrorCode>,
    /// HTTP status, when an answer came.
    pub http_status: Option<u16>,
    /// Who the key belongs to.
    pub account: Option<String>,
    /// Scopes or permissions.
    pub scopes: Vec<String>,
    /// Expiry (as the provider wrote it, normalised to RFC 3339 when possible).
    pub expires_at: Option<String>,
    /// Tier, type or role.
    pub tier: Option<String>,
    /// Rate limit.
    pub rate_limit: Option<RateLimit>,
}

/// Credits, balance or spend, as an answer said ([`Credits`]).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreditFigures {
    /// Credits or money used.
    pub used: Option<f64>,
    /// The credit or spend limit.
    pub limit: Option<f64>,
    /// What is left (remaining credits, or a prepaid balance).
    pub remaining: Option<f64>,
    /// A currency (`USD`) or a unit (`emails`).
    pub unit: Option<String>,
    /// Money spent in `period`.
    pub cost: Option<f64>,
    /// The period of `cost`, or the credits' reset period.
    pub period: Option<String>,
    /// Why the figures could not be read (the key itself was fine).
    pub error: Option<String>,
}

/// The request for one key to `template` (the check's URL, or its credits
/// URL). `key` is the value; `companion` the value of the companion
/// credential (an id: Twilio's SID, AWS's key id); `endpoint` the key's own
/// base URL.
#[allow(clippy::too_many_arguments)]
pub(crate) fn request(
    provider_id: &str,
    check: &Check,
    template: &'static str,
    key: &SecretString,
    companion: Option<&SecretString>,
    endpoint: Option<&Url>,
    max_retries: u32,
) -> Result<Request> {
    let filled = match companion {
        // The companion is an identifier (never the secret): it may be in
        // the path, but is still percent-encoded and kept out of the log.
        Some(c) if template.contains("{COMPANION}") => template.replace(
            "{COMPANION}",
            &url::form_urlencoded::byte_serialize(c.expose_secret().as_bytes()).collect::<String>(),
        ),
        _ => template.to_owned(),
    };
    let default =
        Url::parse(&filled).map_err(|e| Error::internal(format!("a registry URL does not parse: {e}")))?;
    let url = match endpoint {
        Some(base) => {
            let mut u = Url::parse(&format!("{}{}", base.as_str().trim_end_matches('/'), default.path()))
                .map_err(|_| {
                    Error::new(
                        ErrorCode::SecretInvalidEndpoint,
                        "the key's endpoint and the check's path do not make a URL",
                    )
                })?;
            u.set_query(default.query());
            u
        }
        None if check.needs_endpoint => {
            return Err(Error::new(
                ErrorCode::SecretInvalidEndpoint,
                "this key needs its own endpoint to be checked",
            ));
        }
        None => default,
    };
    let path_template = Url::parse(template)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| template.split_once("://").map_or("/", |(_, r)| r).to_owned())
        .replace("%7BCOMPANION%7D", "{id}");
    let mut req = Request::get(Gate::Online, provider_id, url, &path_template);
    req.set_method(check.method)?;
    req.endpoint = endpoint.cloned();
    req.max_retries = max_retries;
    for (name, value) in check.headers {
        req.header(name, value);
    }
    crate::net::auth::attach(&mut req, check.auth, key, companion)?;
    Ok(req)
}

/// Read an answer (or the error that came instead) for `check`.
pub(crate) fn read(check: &Check, answer: Result<Response>) -> Reading {
    let resp = match answer {
        Ok(r) => r,
        Err(e) => {
            return Reading {
                status: Some(Status::Error),
                reason: Some(e.message().to_owned()),
                error_code: Some(e.code()),
                ..Reading::default()
            };
        }
    };
    let mut r = Reading { http_status: Some(resp.status), ..Reading::default() };
    let json = resp.json();
    let could_not_tell = |r: &mut Reading, why: String| {
        r.status = Some(Status::Error);
        r.reason = Some(why);
        r.error_code = Some(ErrorCode::NetBadResponse);
    };
    if resp.is_html() {
        could_not_tell(
            &mut r,
            format!("an HTML page answered (HTTP {}), not the provider's API", resp.status),
        );
        return r;
    }
    let ok = (200..300).contains(&resp.status);
    let is_sts = check.auth == AuthStyle::AwsSigV4;
    let xml = is_sts.then(|| String::from_utf8_lossy(&resp.body).into_owned());
    match (check.verdict, resp.status) {
        (_, 401) => {
            r.status = Some(Status::Invalid);
            r.reason = Some("the provider refused the key (HTTP 401)".into());
        }
        (Verdict::GoogleApiKey, 400) if String::from_utf8_lossy(&resp.body).contains("API_KEY_INVALID") => {
            r.status = Some(Status::Invalid);
            r.reason = Some("the provider says the API key is not valid (API_KEY_INVALID)".into());
        }
        (Verdict::GoogleApiKey, 403) => {
            r.status = Some(Status::Limited);
            r.reason = Some("a real key, but this API is not enabled for its project (HTTP 403)".into());
        }
        (_, 403) if is_sts => {
            r.status = Some(Status::Invalid);
            r.reason = Some(
                "AWS refused the signature (HTTP 403): the key id or secret is wrong or inactive".into(),
            );
        }
        (_, 403) => {
            r.status = Some(Status::Limited);
            r.reason = Some("a real key without the permission this check needs (HTTP 403)".into());
        }
        (Verdict::JsonField { pointer, valid, reason }, _) if ok => match &json {
            Some(j) => {
                let value = j.pointer(pointer).map(text);
                if value.as_deref().is_some_and(|v| valid.contains(&v)) {
                    r.status = Some(Status::Valid);
                } else {
                    r.status = Some(Status::Invalid);
                    let why = j.pointer(reason).map(text).unwrap_or_else(|| "not valid".into());
                    r.reason = Some(format!("the provider says: {}", crate::redact::redact(&why)));
                }
            }
            None => could_not_tell(&mut r, format!("the answer (HTTP {}) is not JSON", resp.status)),
        },
        _ if ok && is_sts => {
            if xml.as_deref().is_some_and(|x| x.contains("<GetCallerIdentityResult>")) {
                r.status = Some(Status::Valid);
            } else {
                could_not_tell(&mut r, "the STS answer is not a GetCallerIdentity result".into());
            }
        }
        _ if ok => {
            if json.is_some() {
                r.status = Some(Status::Valid);
            } else {
                could_not_tell(
                    &mut r,
                    format!("the answer (HTTP {}) is not the JSON the API sends", resp.status),
                );
            }
        }
        (_, s) => {
            could_not_tell(
                &mut r,
                format!("the provider answered HTTP {s}, which says nothing about the key"),
            );
        }
    }
    if matches!(r.status, Some(Status::Valid | Status::Limited)) {
        facts_from_headers(&resp, &mut r);
        if let Some(j) = &json {
            facts_from_json(&check.facts, j, &mut r);
        }
        if let Some(x) = &xml {
            r.account = xml_tag(x, "Account");
            r.tier = xml_tag(x, "Arn");
        }
    }
    r
}

/// Read the credits figures from a JSON answer.
pub(crate) fn credits_from_json(c: &Credits, j: &serde_json::Value) -> CreditFigures {
    let num = |p: Option<&str>| -> Option<f64> {
        match j.pointer(p?)? {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|n| n.is_finite())
    };
    let say = |t: Text| match t {
        Text::Fixed(s) => Some(s.to_owned()).filter(|s| !s.is_empty()),
        Text::At(p) => j.pointer(p).filter(|v| v.is_string()).map(|v| clip(&text(v))),
    };
    CreditFigures {
        used: num(c.used),
        limit: num(c.limit),
        remaining: num(c.remaining),
        unit: say(c.unit),
        cost: num(c.cost),
        period: c.period.and_then(say),
        error: None,
    }
}

/// Read the answer of a credits request (a second request: whatever went
/// wrong says only that the figures are missing, not that the key is bad).
pub(crate) fn read_credits(c: &Credits, answer: Result<Response>) -> CreditFigures {
    let missing = |why: String| CreditFigures { error: Some(why), ..CreditFigures::default() };
    match answer {
        Err(e) => missing(format!("the credits could not be read: {}", e.message())),
        Ok(r) if r.status == 403 => {
            missing("the key may not read its credits (HTTP 403); the key itself works".into())
        }
        Ok(r) if !(200..300).contains(&r.status) || r.is_html() => {
            missing(format!("the credits could not be read (HTTP {})", r.status))
        }
        Ok(r) => match r.json() {
            Some(j) => credits_from_json(c, &j),
            None => missing("the credits answer is not JSON".into()),
        },
    }
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn clip(s: &str) -> String {
    crate::redact::redact(&s.chars().take(200).collect::<String>()).into_owned()
}

fn facts_from_json(f: &Facts, j: &serde_json::Value, r: &mut Reading) {
    if r.account.is_none() {
        r.account =
            f.account.iter().find_map(|p| j.pointer(p)).filter(|v| !v.is_null()).map(|v| clip(&text(v)));
    }
    if let Some(v) = f.scopes.and_then(|p| j.pointer(p)) {
        let scopes: Vec<String> = match v {
            serde_json::Value::Array(a) => a.iter().map(text).collect(),
            other => split_list(&text(other)),
        };
        if !scopes.is_empty() {
            r.scopes = scopes.iter().map(|s| clip(s)).collect();
        }
    }
    if let Some(v) = f.expires.and_then(|p| j.pointer(p)).filter(|v| !v.is_null()) {
        r.expires_at = Some(normalise_time(&text(v)));
    }
    if let Some(v) = f.tier.and_then(|p| j.pointer(p)).filter(|v| !v.is_null()) {
        r.tier = Some(clip(&text(v)));
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ' ']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

fn facts_from_headers(resp: &Response, r: &mut Reading) {
    if let Some(s) = resp.header("x-oauth-scopes") {
        r.scopes = split_list(s).iter().map(|s| clip(s)).collect();
    }
    if let Some(e) = resp.header("github-authentication-token-expiration") {
        r.expires_at = Some(normalise_time(e));
    }
    let num =
        |names: &[&str]| names.iter().find_map(|n| resp.header(n)).and_then(|v| v.trim().parse::<u64>().ok());
    let limit = num(&[
        "x-ratelimit-limit",
        "x-ratelimit-limit-requests",
        "anthropic-ratelimit-requests-limit",
        "ratelimit-limit",
    ]);
    let remaining = num(&[
        "x-ratelimit-remaining",
        "x-ratelimit-remaining-requests",
        "anthropic-ratelimit-requests-remaining",
        "ratelimit-remaining",
    ]);
    if limit.is_some() || remaining.is_some() {
        r.rate_limit = Some(RateLimit { limit, remaining });
    }
}

/// RFC 3339 when the text is a time KeyClave can read (RFC 3339, a date,
/// GitHub's `2026-12-31 00:00:00 UTC`, epoch seconds), else as given.
pub(crate) fn normalise_time(s: &str) -> String {
    let s = s.trim();
    if let Some(t) = crate::time::parse(s) {
        return crate::time::format(t);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return crate::time::format(t.and_utc());
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d %H:%M:%S %z"] {
        if let Ok(t) = chrono::DateTime::parse_from_str(s, fmt) {
            return crate::time::format(t.to_utc());
        }
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return crate::time::format(t.and_utc());
        }
    }
    if let Ok(n) = s.parse::<i64>() {
        if let Some(t) = chrono::DateTime::from_timestamp(n, 0) {
            return crate::time::format(t);
        }
    }
    clip(s)
}

fn xml_tag(x: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = x.find(&open)? + open.len();
    let end = x[start..].find(&format!("</{tag}>"))? + start;
    Some(clip(&x[start..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_normalised() {
        assert_eq!(normalise_time("2026-12-31 00:00:00 UTC"), "2026-12-31T00:00:00.000Z");
        assert_eq!(normalise_time("2027-01-05"), "2027-01-05T00:00:00.000Z");
        assert_eq!(normalise_time("2027-01-05T10:00:00+01:00"), "2027-01-05T09:00:00.000Z");
        assert_eq!(normalise_time("1800000000"), "2027-01-15T08:00:00.000Z");
    }
}
