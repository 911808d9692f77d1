//! What a successful `dashboard_scrape` run gives the dashboard.
//!
//! The run's result is `{"figures": {data_type: text}, "missing": [data_type]}`
//! (the template's shape). Each figure's text ("1,234", "$5.10") becomes a
//! number of the snapshot's usage; a snapshot with `collection_method =
//! scrape` is written for every key of the provider, keeping the health,
//! configuration and restrictions the key's last API snapshot knew; the
//! provider's selectors are marked verified or broken — all in one
//! transaction.

use rusqlite::OptionalExtension;
use serde_json::Value;

use super::selectors;
use crate::catalog::SecretQuery;
use crate::dashboard::snapshot::{self, Snapshot, Usage};
use crate::error::Result;
use crate::vault::Vault;

/// What a scrape wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Snapshots written (one per key of the provider).
    pub snapshots: usize,
    /// Figures read.
    pub found: Vec<String>,
    /// Figures whose selector found nothing.
    pub missing: Vec<String>,
}

/// A figure's text as a number and its currency, if it names one.
pub fn parse_figure(text: &str) -> Option<(f64, Option<&'static str>)> {
    let currency = if text.contains('$') {
        Some("USD")
    } else if text.contains('€') {
        Some("EUR")
    } else if text.contains('£') {
        Some("GBP")
    } else {
        None
    };
    let number: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
    number.parse::<f64>().ok().filter(|n| n.is_finite()).map(|n| (n, currency))
}

fn usage_from(figures: &serde_json::Map<String, Value>, base: Usage) -> (Usage, Vec<String>) {
    let mut usage = base;
    let mut read = Vec::new();
    for (data_type, text) in figures {
        let Some((n, currency)) = text.as_str().and_then(parse_figure) else { continue };
        let whole = || (n >= 0.0).then_some(n.round() as u64);
        let done = match data_type.as_str() {
            "requests_used" => whole().map(|v| usage.requests_used = Some(v)).is_some(),
            "requests_limit" => whole().map(|v| usage.requests_limit = Some(v)).is_some(),
            "credits_used" => {
                usage.credits_used = Some(n);
                true
            }
            "credits_limit" => {
                usage.credits_limit = Some(n);
                true
            }
            "credits_remaining" => {
                usage.credits_remaining = Some(n);
                true
            }
            "cost" => {
                usage.cost = Some(n);
                usage.currency = currency.map(str::to_string).or(usage.currency);
                true
            }
            _ => false,
        };
        if done {
            if currency.is_some() && data_type.starts_with("credits") {
                usage.credits_unit = currency.map(str::to_string);
            }
            read.push(data_type.clone());
        }
    }
    usage.quota_percent =
        match (usage.credits_used, usage.credits_limit, usage.requests_used, usage.requests_limit) {
            (Some(u), Some(l), _, _) if l > 0.0 => Some(u / l * 100.0),
            (_, _, Some(u), Some(l)) if l > 0 => Some(u as f64 / l as f64 * 100.0),
            _ => usage.quota_percent,
        };
    (usage, read)
}

/// Store a scrape's result for `provider_id`'s keys.
pub fn store(vault: &Vault, provider_id: &str, result: &Value) -> Result<Stored> {
    let figures = result.get("figures").and_then(Value::as_object).cloned().unwrap_or_default();
    let missing: Vec<String> = result
        .get("missing")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let keys = crate::secrets::list(
        vault,
        &SecretQuery { provider_id: Some(provider_id.to_string()), ..Default::default() },
    );
    let now = crate::time::now();
    let found = usage_from(&figures, Usage::default()).1;
    let count = keys.items.len();
    vault.write(|w| {
        let profile_id = w.profile_id().to_string();
        for key in &keys.items {
            let last: Option<Snapshot> = w
                .prepare_cached(&format!(
                    "SELECT {} FROM dashboard_snapshots WHERE secret_id = ?1 ORDER BY collected_at DESC LIMIT 1",
                    snapshot::COLUMNS
                ))?
                .query_row([&key.id], snapshot::from_row)
                .optional()?;
            let last = last.unwrap_or_else(|| Snapshot {
                id: String::new(),
                secret_id: key.id.clone(),
                provider_id: key.provider_id.clone(),
                collected_at: now.clone(),
                collection_method: "scrape".into(),
                collection_status: "success".into(),
                usage: Usage::default(),
                config: Default::default(),
                restrictions: Default::default(),
                health_status: "unknown".into(),
                service_status: "unknown".into(),
                warnings: Vec::new(),
                error_message: None,
            });
            let (usage, _) = usage_from(&figures, last.usage.clone());
            let s = Snapshot {
                id: uuid::Uuid::new_v4().to_string(),
                collected_at: now.clone(),
                collection_method: "scrape".into(),
                collection_status: if missing.is_empty() { "success".into() } else { "partial".into() },
                usage,
                warnings: Vec::new(),
                error_message: None,
                ..last
            };
            snapshot::insert(w, &profile_id, &s)?;
        }
        selectors::mark(w, provider_id, &found, &missing)
    })?;
    Ok(Stored { snapshots: count, found, missing })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_numbers_with_their_currency() {
        assert_eq!(parse_figure("1,234"), Some((1234.0, None)));
        assert_eq!(parse_figure("$5.10"), Some((5.1, Some("USD"))));
        assert_eq!(parse_figure("€ 12"), Some((12.0, Some("EUR"))));
        assert_eq!(parse_figure("n/a"), None);
    }
}
