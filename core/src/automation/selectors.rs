//! Provider selectors: where a `dashboard_scrape` run finds each figure on
//! the provider's usage page. Versioned per (provider, data type): setting
//! one adds a version; the newest version is the one used. A successful
//! scrape marks the selectors it found `verified` and those it did not
//! find `broken` (shown with their version). Built-in sets for real
//! providers start `unverified`: dashboards change, and nobody has seen
//! them work on this machine yet.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::vault::Vault;

/// The figures a scrape can read, as `provider_selectors.data_type`.
pub const DATA_TYPES: &[&str] =
    &["requests_used", "requests_limit", "credits_used", "credits_limit", "credits_remaining", "cost"];

/// Built-in selectors (provider, data type, CSS), seeded the first time a
/// provider's selectors are read.
const BUILT_IN: &[(&str, &str, &str)] = &[
    ("openai", "cost", "[data-testid='usage-total-spend']"),
    ("openai", "credits_limit", "[data-testid='usage-budget-limit']"),
    ("anthropic", "cost", "[data-testid='usage-cost-total']"),
    ("anthropic", "credits_remaining", "[data-testid='credit-balance']"),
    ("openrouter", "credits_remaining", "[data-testid='credits-remaining']"),
    ("elevenlabs", "credits_used", "[data-testid='character-count-used']"),
    ("elevenlabs", "credits_limit", "[data-testid='character-count-limit']"),
];

/// One selector (its newest version).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    /// Row id.
    pub id: String,
    /// Provider.
    pub provider_id: String,
    /// Which figure.
    pub data_type: String,
    /// `css`, `xpath` or `json_path`.
    pub selector_type: String,
    /// The selector.
    pub value: String,
    /// From 1.
    pub version: u32,
    /// `verified`, `unverified` or `broken`.
    pub status: String,
    /// When last found.
    pub verified_at: Option<String>,
    /// When this version was made or last marked.
    pub updated_at: String,
}

fn seed(vault: &Vault, provider: &str) -> Result<()> {
    let missing: Vec<&(&str, &str, &str)> = BUILT_IN.iter().filter(|(p, _, _)| *p == provider).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let now = crate::time::now();
    vault.write(|w| {
        for (p, data_type, css) in missing {
            w.execute(
                "INSERT INTO provider_selectors (id, provider_id, data_type, selector_type, selector_value, version, created_at, updated_at)
                 SELECT ?1, ?2, ?3, 'css', ?4, 1, ?5, ?5
                 WHERE NOT EXISTS (SELECT 1 FROM provider_selectors WHERE provider_id = ?2 AND data_type = ?3)",
                params![uuid::Uuid::new_v4().to_string(), p, data_type, css, now],
            )?;
        }
        Ok(())
    })
}

/// The newest selector of each data type (`provider`: only its own).
pub fn list(vault: &Vault, provider: Option<&str>) -> Result<Vec<Selector>> {
    match provider {
        Some(p) => seed(vault, p)?,
        None => {
            let mut ps: Vec<&str> = BUILT_IN.iter().map(|(p, _, _)| *p).collect();
            ps.dedup();
            for p in ps {
                seed(vault, p)?;
            }
        }
    }
    vault.read(|conn| {
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.provider_id, s.data_type, s.selector_type, s.selector_value, s.version,
                    s.verification_status, s.verified_at, s.updated_at
             FROM provider_selectors s
             WHERE (?1 IS NULL OR s.provider_id = ?1)
               AND s.version = (SELECT max(version) FROM provider_selectors t
                                WHERE t.provider_id = s.provider_id AND t.data_type = s.data_type)
             ORDER BY s.provider_id, s.data_type",
        )?;
        let rows = stmt
            .query_map([provider], |r| {
                Ok(Selector {
                    id: r.get(0)?,
                    provider_id: r.get(1)?,
                    data_type: r.get(2)?,
                    selector_type: r.get(3)?,
                    value: r.get(4)?,
                    version: r.get(5)?,
                    status: r.get(6)?,
                    verified_at: r.get(7)?,
                    updated_at: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
}

/// Set a selector: a new version, `unverified` until a scrape finds it.
pub fn set(
    vault: &Vault,
    provider: &str,
    data_type: &str,
    selector_type: &str,
    value: &str,
) -> Result<Selector> {
    let provider = crate::secrets::check_provider(provider)?;
    if !DATA_TYPES.contains(&data_type) {
        return Err(Error::invalid(format!("unknown data type {data_type:?}"))
            .with_suggestion(format!("Use one of: {}.", DATA_TYPES.join(", "))));
    }
    if !matches!(selector_type, "css" | "xpath" | "json_path") {
        return Err(Error::invalid(format!("unknown selector type {selector_type:?}"))
            .with_suggestion("Use css, xpath or json_path."));
    }
    let value = value.trim();
    if value.is_empty() || value.len() > 1000 || value.chars().any(char::is_control) {
        return Err(Error::invalid("a selector has 1 to 1000 characters and no control characters"));
    }
    seed(vault, provider)?;
    let now = crate::time::now();
    vault.write(|w| {
        let version: Option<u32> = w
            .query_row(
                "SELECT max(version) FROM provider_selectors WHERE provider_id = ?1 AND data_type = ?2",
                params![provider, data_type],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        w.execute(
            "INSERT INTO provider_selectors (id, provider_id, data_type, selector_type, selector_value, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![uuid::Uuid::new_v4().to_string(), provider, data_type, selector_type, value, version.unwrap_or(0) + 1, now],
        )?;
        Ok(())
    })?;
    list(vault, Some(provider))?
        .into_iter()
        .find(|s| s.data_type == data_type)
        .ok_or_else(|| Error::internal("a selector just set is not listed"))
}

/// Mark the newest selectors of `provider` after a scrape: `found` ones
/// verified, `missing` ones broken (in the caller's transaction).
pub(crate) fn mark(
    conn: &rusqlite::Connection,
    provider: &str,
    found: &[String],
    missing: &[String],
) -> Result<()> {
    let now = crate::time::now();
    let newest = "version = (SELECT max(version) FROM provider_selectors t WHERE t.provider_id = ?1 AND t.data_type = ?2)";
    for d in found {
        conn.execute(
            &format!("UPDATE provider_selectors SET verification_status = 'verified', verified_at = ?3, updated_at = ?3 WHERE provider_id = ?1 AND data_type = ?2 AND {newest}"),
            params![provider, d, now],
        )?;
    }
    for d in missing {
        conn.execute(
            &format!("UPDATE provider_selectors SET verification_status = 'broken', updated_at = ?3 WHERE provider_id = ?1 AND data_type = ?2 AND {newest}"),
            params![provider, d, now],
        )?;
    }
    Ok(())
}
