//! The normalized snapshot: one shape for every provider, built from a
//! check's answer ([`crate::validation`]) and stored in
//! `dashboard_snapshots`.
//!
//! | column | JSON |
//! |---|---|
//! | `usage_stats_json` | `requests_used`, `requests_limit` (the rate-limit window), `credits_used`, `credits_limit`, `credits_remaining`, `credits_unit` (a currency or `emails`; a prepaid balance is `credits_remaining`), `quota_percent` (of the credit limit when there is one, else of the rate-limit window), `cost`, `currency`, `period` |
//! | `config_attributes_json` | `account`, `org`, `tier`, `region`, `api_version`, `key_kind` |
//! | `restrictions_json` | `scopes`, `rate_limit` (`limit`, `remaining`), `ip_rules`, `expires_at` |
//! | `warnings_json` | `[{ "code", "message" }]`: expiring within 14 days, quota ≥ 80 %, a scope a scanned project's docs name that the key lacks, usage or cost that need an admin key |
//!
//! `health_status` is `valid` / `invalid` / `degraded` (valid but limited)
//! / `unknown` (could not tell); `service_status` is `degraded` when the
//! provider answered with server errors, else `unknown` until a status page
//! says more (discovery).

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::SecretSummary;
use crate::error::Result;
use crate::validation::{Outcome, RateLimit, Status};

/// Days before expiry from which a key is "expiring".
pub const EXPIRY_WARNING_DAYS: i64 = 14;
/// Share of the quota from which usage warns.
pub const QUOTA_WARNING_PERCENT: f64 = 80.0;

/// Usage, as far as the API says.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Requests used in the current window.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub requests_used: Option<u64>,
    /// Requests allowed in the window.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub requests_limit: Option<u64>,
    /// Credits or money used.
    pub credits_used: Option<f64>,
    /// The credit or spend limit.
    pub credits_limit: Option<f64>,
    /// Credits left, or a prepaid balance.
    pub credits_remaining: Option<f64>,
    /// What the credits count: a currency (`USD`) or a unit (`emails`).
    pub credits_unit: Option<String>,
    /// `credits_used / credits_limit` in percent when there is a credit
    /// limit, else `requests_used / requests_limit`.
    pub quota_percent: Option<f64>,
    /// Cost in the period.
    pub cost: Option<f64>,
    /// Currency of the cost.
    pub currency: Option<String>,
    /// The period the figures are for (`rate-limit window`, `month`).
    pub period: Option<String>,
}

/// Configuration of the key's account.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Who the key belongs to.
    pub account: Option<String>,
    /// Organisation.
    pub org: Option<String>,
    /// Tier, type or role.
    pub tier: Option<String>,
    /// Region or site.
    pub region: Option<String>,
    /// API version the check used.
    pub api_version: Option<String>,
    /// Kind of key from its prefix.
    pub key_kind: Option<String>,
}

/// What the key may do.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Restrictions {
    /// Scopes or permissions.
    pub scopes: Vec<String>,
    /// Rate limit.
    pub rate_limit: Option<RateLimit>,
    /// IP rules, when the API says.
    pub ip_rules: Vec<String>,
    /// Expiry.
    pub expires_at: Option<String>,
}

/// A warning on a snapshot.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code: `expiring`, `expired`, `quota`, `missing_scope`,
    /// `needs_admin_key`, `limited`, `credits_unavailable`.
    pub code: String,
    /// For the user.
    pub message: String,
}

/// One collection of one key.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Row id.
    pub id: String,
    /// The key.
    pub secret_id: String,
    /// Its provider.
    pub provider_id: String,
    /// When collected.
    pub collected_at: String,
    /// `api` (browser scraping, `scrape`, comes with automation).
    pub collection_method: String,
    /// `success`, `partial` or `failed`.
    pub collection_status: String,
    /// Usage.
    pub usage: Usage,
    /// Configuration.
    pub config: Config,
    /// Restrictions.
    pub restrictions: Restrictions,
    /// `valid`, `invalid`, `degraded`, `outage`, `unknown`.
    pub health_status: String,
    /// `operational`, `degraded`, `outage`, `unknown`.
    pub service_status: String,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Why collection failed, redacted.
    pub error_message: Option<String>,
}

/// Build the snapshot of `outcome` at `now`; `project_scopes` are the
/// scopes the scanned projects' docs name for this provider (with the
/// project's name).
pub(crate) fn build(
    secret: &SecretSummary,
    outcome: &Outcome,
    project_scopes: &[(String, String)],
    now: chrono::DateTime<chrono::Utc>,
) -> Snapshot {
    let rl = outcome.rate_limit.clone();
    let used = rl.as_ref().and_then(|r| Some(r.limit?.saturating_sub(r.remaining?)));
    let limit = rl.as_ref().and_then(|r| r.limit);
    let percent = |u: f64, l: f64| (l > 0.0).then(|| (u / l * 1000.0).round() / 10.0);
    let credits = outcome.credits.clone().unwrap_or_default();
    let credit_used = credits.used.or_else(|| Some(credits.limit? - credits.remaining?));
    let credit_percent = credit_used.zip(credits.limit).and_then(|(u, l)| percent(u, l));
    let rate_percent = used.zip(limit).and_then(|(u, l)| percent(u as f64, l as f64));
    let quota_percent = credit_percent.or(rate_percent);
    let is_currency = |u: &str| u.len() == 3 && u.bytes().all(|b| b.is_ascii_uppercase());
    let usage = Usage {
        requests_used: used,
        requests_limit: limit,
        credits_used: credit_used,
        credits_limit: credits.limit,
        credits_remaining: credits.remaining,
        credits_unit: credits.unit.clone(),
        quota_percent,
        cost: credits.cost,
        currency: credits.cost.and(credits.unit.clone().filter(|u| is_currency(u))),
        period: match (credits.cost.is_some() || credit_percent.is_some(), rate_percent) {
            (true, _) => credits.period.clone(),
            (false, Some(_)) => Some("rate-limit window".to_owned()),
            (false, None) => None,
        },
    };
    let (health, collection) = match outcome.status {
        Status::Valid if credits.error.is_some() => ("valid", "partial"),
        Status::Valid => ("valid", "success"),
        Status::Limited => ("degraded", "partial"),
        Status::Invalid => ("invalid", "success"),
        Status::Unverifiable | Status::Error => ("unknown", "failed"),
    };
    let service =
        if outcome.error_code.as_deref() == Some("net.unavailable") { "degraded" } else { "unknown" };
    let mut warnings = Vec::new();
    if let Some(exp) = outcome.expires_at.as_deref().and_then(crate::time::parse) {
        let left = exp - now;
        if left < chrono::Duration::zero() {
            warnings.push(warn("expired", format!("the key expired on {}", exp.format("%Y-%m-%d"))));
        } else if left < chrono::Duration::days(EXPIRY_WARNING_DAYS) {
            warnings.push(warn(
                "expiring",
                format!("the key expires in {} days ({})", left.num_days(), exp.format("%Y-%m-%d")),
            ));
        }
    }
    if let Some(q) = quota_percent.filter(|q| *q >= QUOTA_WARNING_PERCENT) {
        let of = if credit_percent.is_some() { "credit limit" } else { "rate limit" };
        warnings.push(warn("quota", format!("{q:.0} % of the {of} is used")));
    }
    if let Some(why) = &credits.error {
        warnings.push(warn("credits_unavailable", why.clone()));
    }
    if outcome.status == Status::Limited {
        warnings.push(warn("limited", outcome.reason.clone().unwrap_or_else(|| "the key is limited".into())));
    }
    if matches!(outcome.status, Status::Valid | Status::Limited) && !outcome.scopes.is_empty() {
        for (project, scope) in project_scopes {
            if !super::scopes::satisfied(&secret.provider_id, scope, &outcome.scopes) {
                warnings.push(warn(
                    "missing_scope",
                    format!("project {project}'s docs name the `{scope}` scope, which this key lacks"),
                ));
            }
        }
    }
    if let Some(why) = super::needs_admin_key(&secret.provider_id) {
        warnings.push(warn("needs_admin_key", why.to_owned()));
    }
    Snapshot {
        id: uuid::Uuid::new_v4().to_string(),
        secret_id: secret.id.clone(),
        provider_id: secret.provider_id.clone(),
        collected_at: crate::time::format(now),
        collection_method: "api".into(),
        collection_status: collection.into(),
        usage,
        config: Config {
            account: outcome.account.clone(),
            org: None,
            tier: outcome.tier.clone(),
            region: None,
            api_version: None,
            key_kind: outcome.key_kind.clone(),
        },
        restrictions: Restrictions {
            scopes: outcome.scopes.clone(),
            rate_limit: rl,
            ip_rules: Vec::new(),
            expires_at: outcome.expires_at.clone(),
        },
        health_status: health.into(),
        service_status: service.into(),
        warnings,
        error_message: (collection == "failed").then(|| outcome.reason.clone()).flatten(),
    }
}

fn warn(code: &str, message: String) -> Warning {
    Warning { code: code.into(), message }
}

/// Store a snapshot (in the caller's transaction).
pub(crate) fn insert(conn: &Connection, profile_id: &str, s: &Snapshot) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO dashboard_snapshots (id, profile_id, secret_id, provider_id, collected_at, collection_method,
           collection_status, usage_stats_json, config_attributes_json, restrictions_json, health_status,
           service_status, warnings_json, error_message_redacted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        s.id,
        profile_id,
        s.secret_id,
        s.provider_id,
        s.collected_at,
        s.collection_method,
        s.collection_status,
        to_json(&s.usage),
        to_json(&s.config),
        to_json(&s.restrictions),
        s.health_status,
        s.service_status,
        to_json(&s.warnings),
        s.error_message.as_deref().map(crate::redact::redact),
    ])?;
    Ok(())
}

pub(crate) const COLUMNS: &str = "id, secret_id, provider_id, collected_at, collection_method, collection_status, \
     usage_stats_json, config_attributes_json, restrictions_json, health_status, service_status, warnings_json, \
     error_message_redacted";

/// Read a row selected with [`COLUMNS`].
pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Snapshot> {
    let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
        Ok(r.get::<_, Option<String>>(i)?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(json!({})))
    };
    Ok(Snapshot {
        id: r.get(0)?,
        secret_id: r.get(1)?,
        provider_id: r.get(2)?,
        collected_at: r.get(3)?,
        collection_method: r.get(4)?,
        collection_status: r.get(5)?,
        usage: serde_json::from_value(json(6)?).unwrap_or_default(),
        config: serde_json::from_value(json(7)?).unwrap_or_default(),
        restrictions: serde_json::from_value(json(8)?).unwrap_or_default(),
        health_status: r.get(9)?,
        service_status: r.get(10)?,
        warnings: serde_json::from_value(json(11)?).unwrap_or_default(),
        error_message: r.get(12)?,
    })
}

/// Serializing these plain structs cannot fail (no maps with non-string
/// keys, no custom serializers); `{}` rather than an `expect` per column.
fn to_json(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}
