//! Key validation: an explicit user action that asks each key's provider,
//! with one safe, read-only, free request from the registry
//! ([`crate::providers::Check`]), whether the key works.
//!
//! Four outcomes are told apart: **valid**, **limited** (valid, but missing
//! a permission the check needed), **invalid**, and **error** (could not
//! tell: a timeout, a 429, a 5xx, an HTML page, garbage — never counted as
//! invalid). Keys with no safe check, a missing companion credential or a
//! missing endpoint are **unverifiable**, with the reason; nothing is sent
//! for them.
//!
//! The work follows the vault's rule for background jobs: read the values
//! (a short read), release the vault, talk to the network
//! ([`crate::net`], Online Mode gate), then record every result in one
//! short transaction — `validations` (the last result per key) and one
//! `key.validate` audit event per key (provider and status, never a value).
//! A lock or a cancellation during the network part stops it and writes
//! nothing.

pub mod offline;
pub mod probe;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::audit::EventType;
use crate::catalog::SecretSummary;
use crate::crypto::SecretString;
use crate::error::{Error, ErrorCode, Result};
use crate::net::{Gate, Net};
use crate::providers::{self, Check, Validation};
use crate::secrets;
use crate::settings::Settings;
use crate::vault::Vault;
pub use probe::{CreditFigures, RateLimit, Reading};

/// What a check found.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The provider accepted the key.
    Valid,
    /// Valid, but without a permission the check needed (a restricted key,
    /// an API not enabled).
    Limited,
    /// The provider refused the key (revoked, wrong, expired).
    Invalid,
    /// No safe check exists for this key, or it lacks what the check needs.
    Unverifiable,
    /// The check could not tell (network, rate limit, server error, a page
    /// that is not the API).
    Error,
}

impl Status {
    /// The name, as shown and in `--json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Limited => "limited",
            Status::Invalid => "invalid",
            Status::Unverifiable => "unverifiable",
            Status::Error => "error",
        }
    }

    /// The value of `validations.status` (whose enum has no `limited`: a
    /// limited key is stored valid, with `limited` in its restrictions).
    fn stored(self) -> &'static str {
        match self {
            Status::Limited => "valid",
            other => other.as_str(),
        }
    }
}

/// The result for one key.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The secret's id.
    pub secret_id: String,
    /// Its env var name.
    pub key_name: String,
    /// Its provider.
    pub provider_id: String,
    /// What the check found.
    pub status: Status,
    /// Why not valid, what limits it, or why it could not be told.
    pub reason: Option<String>,
    /// The error code when it could not be told (`net.timeout`, …).
    pub error_code: Option<String>,
    /// Who the key belongs to (login, team, account id), when said.
    pub account: Option<String>,
    /// Scopes or permissions, when said.
    pub scopes: Vec<String>,
    /// When the key expires (RFC 3339), when said.
    pub expires_at: Option<String>,
    /// Tier, type or role, when said.
    pub tier: Option<String>,
    /// What kind of key the value is, from its prefix (offline).
    pub key_kind: Option<String>,
    /// The rate limit the answer reported.
    pub rate_limit: Option<RateLimit>,
    /// HTTP status of the answer, when one came.
    pub http_status: Option<u16>,
    /// When it was checked.
    pub checked_at: String,
    /// Credits, balance or spend (dashboard collection only; validation
    /// never asks).
    pub credits: Option<CreditFigures>,
}

impl Outcome {
    fn new(s: &SecretSummary, status: Status, reason: impl Into<String>) -> Outcome {
        Outcome {
            secret_id: s.id.clone(),
            key_name: s.key_name.clone(),
            provider_id: s.provider_id.clone(),
            status,
            reason: Some(reason.into()),
            error_code: None,
            account: None,
            scopes: Vec::new(),
            expires_at: None,
            tier: None,
            key_kind: None,
            rate_limit: None,
            http_status: None,
            checked_at: crate::time::now(),
            credits: None,
        }
    }
}

/// Which keys: each name is `KEY_NAME` or `provider/KEY_NAME`; `all`
/// (or no names) means every key. `secret.not_found` / `secret.ambiguous`
/// as for any lookup by name.
pub fn select(vault: &Vault, names: &[String], all: bool) -> Result<Vec<SecretSummary>> {
    if all || names.is_empty() {
        return Ok(secrets::list(vault, &Default::default()).items);
    }
    let mut out: Vec<SecretSummary> = Vec::new();
    for n in names {
        let (provider, key) = match n.split_once('/') {
            Some((p, k)) => (Some(p), k),
            None => (None, n.as_str()),
        };
        let s = secrets::find(vault, key, provider)?;
        if !out.iter().any(|o| o.id == s.id) {
            out.push(s);
        }
    }
    Ok(out)
}

/// A key ready to be checked: its check, value and companion (zeroized on
/// drop), or the outcome it has without a request.
pub(crate) struct Probe {
    pub(crate) summary: SecretSummary,
    pub(crate) work: Result<Ready, Outcome>,
}

pub(crate) struct Ready {
    check: Check,
    value: SecretString,
    companion: Option<SecretString>,
    endpoint: Option<Url>,
}

/// Read what each key's check needs (a short read: values and companions),
/// or say why it cannot be checked. Blocking.
pub(crate) fn prepare(vault: &Vault, targets: Vec<SecretSummary>) -> Result<Vec<Probe>> {
    let mut out = Vec::with_capacity(targets.len());
    for s in targets {
        let work = ready(vault, &s)?;
        out.push(Probe { summary: s, work });
    }
    Ok(out)
}

/// What a key's check needs, found without decrypting anything.
struct Plan {
    check: Check,
    companion: Option<SecretSummary>,
    endpoint: Option<Url>,
}

/// The plan for `s`, or why it cannot be checked.
fn plan(vault: &Vault, s: &SecretSummary) -> Result<Result<Plan, String>> {
    let Some(p) = providers::get(&s.provider_id) else {
        return Ok(Err(format!("provider {} is not in the registry", s.provider_id)));
    };
    let check = match p.validation {
        Validation::Check(c) => c,
        Validation::Unverifiable { reason } => return Ok(Err(reason.to_owned())),
    };
    if p.companions.iter().any(|c| c.eq_ignore_ascii_case(&s.key_name)) {
        return Ok(Err(format!(
            "{} is a second credential of {}; KeyClave checks its main key ({})",
            s.key_name, p.display_name, p.env_var
        )));
    }
    let endpoint = match &s.endpoint {
        // Only a damaged vault holds one (every write parses it first): this
        // key cannot be checked, the others still can.
        Some(e) => match crate::endpoint::parse(e).ok().and_then(|n| Url::parse(&n).ok()) {
            Some(u) => Some(u),
            None => {
                return Ok(Err(format!(
                    "the endpoint stored for {} is not a valid URL: set it again (`keyclave secret edit {} --endpoint https://…`)",
                    s.key_name, s.key_name
                )));
            }
        },
        None if check.needs_endpoint => {
            return Ok(Err(format!(
                "a {} key is checked against its own host: set the key's endpoint (e.g. `keyclave secret edit {} --endpoint https://…`)",
                p.display_name, s.key_name
            )));
        }
        None => None,
    };
    let companion = match check.companion {
        None => None,
        Some(name) => match secrets::find(vault, name, Some(&s.provider_id)) {
            Ok(c) => Some(c),
            Err(e) if e.code() == ErrorCode::SecretNotFound => {
                return Ok(Err(format!(
                    "{} is checked together with {name}, which is not in the vault",
                    s.key_name
                )));
            }
            Err(e) => return Err(e),
        },
    };
    Ok(Ok(Plan { check, companion, endpoint }))
}

/// Every host validation or a refresh would contact for the vault's keys
/// (their providers' API hosts, or their own endpoints), sorted: what
/// turning Online Mode on means, shown before it is turned on.
pub fn hosts_to_contact(vault: &Vault) -> Result<Vec<String>> {
    let mut hosts = Vec::new();
    for s in secrets::list(vault, &Default::default()).items {
        if let Ok(plan) = plan(vault, &s)? {
            let url = match &plan.endpoint {
                Some(e) => e.clone(),
                None => Url::parse(plan.check.url)
                    .map_err(|_| Error::internal("a registry URL does not parse"))?,
            };
            if let Some(h) = url.host_str() {
                let h = match url.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_owned(),
                };
                hosts.push(h);
            }
        }
    }
    hosts.sort_unstable();
    hosts.dedup();
    Ok(hosts)
}

/// Why `s` cannot be checked online (`None`: it can). Reads no value.
pub fn not_checkable(vault: &Vault, s: &SecretSummary) -> Result<Option<String>> {
    Ok(plan(vault, s)?.err())
}

/// Providers that ban an address after many refused requests (Discord:
/// 10,000 invalid requests in 10 minutes). A key they refused is not sent
/// again until it changes; its last result stands.
const REFUSED_STAYS_REFUSED: &[&str] = &["discord"];

fn ready(vault: &Vault, s: &SecretSummary) -> Result<Result<Ready, Outcome>> {
    let plan = match plan(vault, s)? {
        Ok(p) => p,
        Err(why) => return Ok(Err(Outcome::new(s, Status::Unverifiable, why))),
    };
    if REFUSED_STAYS_REFUSED.contains(&s.provider_id.as_str()) {
        if let Some(mut prev) = last(vault, s)?.filter(|o| o.status == Status::Invalid) {
            // Timestamps share one RFC 3339 format, so text order is time order.
            if s.updated_at <= prev.checked_at {
                prev.reason = Some(format!(
                    "{} (not sent again: this provider bans an address after many refused keys; edit the key to check it again)",
                    prev.reason.as_deref().unwrap_or("refused")
                ));
                return Ok(Err(prev));
            }
        }
    }
    let companion = plan.companion.as_ref().map(|c| secrets::decrypt_internal(vault, c)).transpose()?;
    let value = secrets::decrypt_internal(vault, s)?;
    Ok(Ok(Ready { check: plan.check, value, companion, endpoint: plan.endpoint }))
}

/// Check one prepared key over the network; with `credits` (the
/// dashboard), also read its credits, balance or spend where the registry
/// says how (one more read-only request at most). Never fails: what went
/// wrong is the outcome's `error` (a cancellation is `job.cancelled`).
pub(crate) async fn run(
    net: &Net,
    settings: &Settings,
    probe: Probe,
    cancel: &CancellationToken,
    credits: bool,
) -> (Outcome, Reading) {
    let s = probe.summary;
    let ready = match probe.work {
        Ok(r) => r,
        Err(outcome) => return (outcome, Reading::default()),
    };
    let offline = offline::facts(&s.provider_id, &ready.value, ready.companion.as_ref());
    let send = |template: &'static str| {
        probe::request(
            &s.provider_id,
            &ready.check,
            template,
            &ready.value,
            ready.companion.as_ref(),
            ready.endpoint.as_ref(),
            settings.automation_max_retries,
        )
    };
    let (reading, json) = match send(ready.check.url) {
        Ok(req) => {
            let answer = net.send(settings, req, cancel).await;
            let json = answer.as_ref().ok().and_then(|r| r.json());
            (probe::read(&ready.check, answer), json)
        }
        Err(e) => (probe::read(&ready.check, Err(e)), None),
    };
    let works = matches!(reading.status, Some(Status::Valid | Status::Limited));
    let figures = match ready.check.credits {
        Some(c) if credits && works => Some(match (c.url, &json) {
            (None, Some(j)) => probe::credits_from_json(c, j),
            (None, None) => CreditFigures::default(),
            (Some(url), _) => match send(url) {
                Ok(req) => probe::read_credits(c, net.send(settings, req, cancel).await),
                Err(e) => probe::read_credits(c, Err(e)),
            },
        }),
        _ => None,
    };
    drop(ready);
    let mut o = Outcome::new(&s, reading.status.unwrap_or(Status::Error), "");
    o.reason = reading.reason.clone();
    o.error_code = reading.error_code.map(|c| c.as_str().to_owned());
    o.account = reading.account.clone().or(offline.account);
    o.scopes = reading.scopes.clone();
    o.expires_at = reading.expires_at.clone();
    o.tier = reading.tier.clone();
    o.key_kind = offline.kind;
    o.rate_limit = reading.rate_limit.clone();
    o.http_status = reading.http_status;
    o.credits = figures;
    (o, reading)
}

/// Check every prepared key, concurrently (the politeness limits of
/// [`crate::net`] still hold per provider); `progress(done, total)` after
/// each. `job.cancelled` if `cancel` fired.
pub(crate) async fn run_all(
    net: &Net,
    settings: &Settings,
    probes: Vec<Probe>,
    cancel: &CancellationToken,
    progress: &(dyn Fn(u32, u32) + Send + Sync),
) -> Result<Vec<(Outcome, Reading)>> {
    let total = probes.len() as u32;
    let mut set = tokio::task::JoinSet::new();
    let settings = Arc::new(settings.clone());
    for (i, p) in probes.into_iter().enumerate() {
        let (net, settings, cancel) = (net.clone(), settings.clone(), cancel.clone());
        set.spawn(async move { (i, run(&net, &settings, p, &cancel, false).await) });
    }
    let mut results: Vec<Option<(Outcome, Reading)>> = (0..total).map(|_| None).collect();
    let mut done = 0;
    while let Some(joined) = set.join_next().await {
        let (i, r) = joined.map_err(|e| Error::internal(format!("a check task failed: {e}")))?;
        results[i] = Some(r);
        done += 1;
        progress(done, total);
    }
    if cancel.is_cancelled() {
        return Err(Error::new(ErrorCode::JobCancelled, "the checks were cancelled; nothing was recorded"));
    }
    Ok(results.into_iter().flatten().collect())
}

/// Validate `targets`: refused with `net.offline` (before any value is
/// read) unless Online Mode is on; then prepare (blocking, off the async
/// threads), check over the network, and record every result in one
/// transaction. Nothing is recorded when `cancel` fires or the vault locks.
pub async fn validate(
    vault: &Vault,
    targets: Vec<SecretSummary>,
    cancel: &CancellationToken,
    progress: &(dyn Fn(u32, u32) + Send + Sync),
) -> Result<Vec<Outcome>> {
    let settings = vault.settings();
    if !Gate::Online.is_open(&settings) {
        return Err(Error::new(
            ErrorCode::NetOffline,
            "Online Mode is off: no key was checked and nothing was sent",
        ));
    }
    let net = vault.net()?;
    let v = vault.clone();
    let probes = blocking(move || prepare(&v, targets)).await?;
    let outcomes: Vec<Outcome> =
        run_all(&net, &settings, probes, cancel, progress).await?.into_iter().map(|(o, _)| o).collect();
    let (v, c, o) = (vault.clone(), cancel.clone(), outcomes.clone());
    blocking(move || record(&v, &o, &c)).await?;
    Ok(outcomes)
}

/// Run blocking vault work off the async runtime's threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("a blocking task failed: {e}")))?
}

fn restrictions(o: &Outcome) -> serde_json::Value {
    json!({
        "limited": o.status == Status::Limited,
        "account": o.account,
        "scopes": o.scopes,
        "expires_at": o.expires_at,
        "tier": o.tier,
        "key_kind": o.key_kind,
        "rate_limit": o.rate_limit,
        "http_status": o.http_status,
    })
}

/// Record outcomes: the `validations` row of each key and a `key.validate`
/// audit event each, in one transaction (refused after a lock or a cancel).
pub(crate) fn record(vault: &Vault, outcomes: &[Outcome], cancel: &CancellationToken) -> Result<()> {
    vault.write_for(Some(cancel), |w| {
        for o in outcomes {
            store(w, o)?;
            w.record(
                EventType::KeyValidate,
                json!({ "secret_id": o.secret_id, "provider_id": o.provider_id, "key_name": o.key_name, "status": o.status.as_str() }),
            )?;
        }
        Ok(())
    })
}

/// Upsert one key's `validations` row (in the caller's transaction).
pub(crate) fn store(conn: &rusqlite::Connection, o: &Outcome) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO validations (secret_id, provider_id, status, checked_at, error_code,
           error_message_redacted, restriction_info_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (secret_id) DO UPDATE SET provider_id = excluded.provider_id, status = excluded.status,
           checked_at = excluded.checked_at, error_code = excluded.error_code,
           error_message_redacted = excluded.error_message_redacted,
           restriction_info_json = excluded.restriction_info_json",
    )?
    .execute(params![
        o.secret_id,
        o.provider_id,
        o.status.stored(),
        o.checked_at,
        o.error_code,
        o.reason.as_deref().map(crate::redact::redact),
        restrictions(o).to_string(),
    ])?;
    Ok(())
}

/// The last recorded result of `secret`, if it was ever checked.
pub fn last(vault: &Vault, secret: &SecretSummary) -> Result<Option<Outcome>> {
    vault.read(|conn| {
        let row = conn
            .prepare_cached(
                "SELECT status, checked_at, error_code, error_message_redacted, restriction_info_json
                 FROM validations WHERE secret_id = ?1",
            )?
            .query_row([&secret.id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .optional()?;
        Ok(row.map(|(status, checked_at, error_code, reason, info)| {
            let info: serde_json::Value =
                info.and_then(|i| serde_json::from_str(&i).ok()).unwrap_or_default();
            let status = match status.as_str() {
                "valid" if info["limited"] == true => Status::Limited,
                "valid" => Status::Valid,
                "invalid" => Status::Invalid,
                "unverifiable" => Status::Unverifiable,
                _ => Status::Error,
            };
            let text = |k: &str| info[k].as_str().map(str::to_owned);
            Outcome {
                secret_id: secret.id.clone(),
                key_name: secret.key_name.clone(),
                provider_id: secret.provider_id.clone(),
                status,
                reason,
                error_code,
                account: text("account"),
                scopes: serde_json::from_value(info["scopes"].clone()).unwrap_or_default(),
                expires_at: text("expires_at"),
                tier: text("tier"),
                key_kind: text("key_kind"),
                rate_limit: serde_json::from_value(info["rate_limit"].clone()).ok(),
                http_status: info["http_status"].as_u64().and_then(|n| u16::try_from(n).ok()),
                checked_at,
                // The snapshot keeps the figures; the last validation does not.
                credits: None,
            }
        }))
    })
}
