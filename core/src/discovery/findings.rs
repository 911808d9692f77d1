//! Findings as stored: one per canonical URL per provider; an updated entry
//! updates its finding (and brings it back to `new` when it became more
//! urgent), and the user moves it `new → reviewed → actioned | dismissed`,
//! with a note.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Category, FindingStatus, Urgency};
use crate::audit::EventType;
use crate::error::{Error, ErrorCode, Result};
use crate::vault::{Vault, Write};

/// Longest note kept.
pub const MAX_NOTES: usize = 2_000;

/// One finding.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Id (for `discovery mark`).
    pub id: String,
    /// The provider it is about.
    pub provider_id: String,
    /// When KeyClave first found it.
    pub discovered_at: String,
    /// The entry's canonical address (opened in the browser).
    pub source_url: String,
    /// Its title.
    pub source_title: String,
    /// Its text (for a watched page: the lines added).
    pub source_snippet: String,
    /// What it is about.
    pub category: Category,
    /// What it means for the user.
    pub impact_summary: String,
    /// What to do.
    pub action_recommendation: String,
    /// How soon.
    pub urgency: Urgency,
    /// 0.0 ..= 1.0.
    pub relevance_score: f64,
    /// Why it is relevant.
    pub relevance_reason: String,
    /// The date the entry carries.
    pub published_at: Option<String>,
    /// The kind of source it came from.
    pub source_kind: Option<String>,
    /// Where the user is with it.
    pub user_status: FindingStatus,
    /// When they marked it.
    pub reviewed_at: Option<String>,
    /// Their note.
    pub user_notes: Option<String>,
    /// When it last changed.
    pub updated_at: Option<String>,
}

/// A finding about to be stored (made by a run).
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    /// Provider.
    pub provider_id: String,
    /// Canonical URL (the dedup key).
    pub url: String,
    /// Title.
    pub title: String,
    /// Snippet.
    pub snippet: String,
    /// Category.
    pub category: Category,
    /// Impact summary.
    pub impact: String,
    /// Recommended action.
    pub action: String,
    /// Urgency.
    pub urgency: Urgency,
    /// Relevance.
    pub score: f64,
    /// Why.
    pub reason: String,
    /// The entry's date.
    pub published_at: Option<String>,
    /// Source kind.
    pub source_kind: &'static str,
    /// SHA-256 of title and snippet: a change updates the finding.
    pub content_sha256: String,
}

/// What storing a finding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new finding.
    New,
    /// An existing one changed.
    Updated,
    /// The same content again.
    Unchanged,
}

/// The hash of a finding's content.
pub fn content_hash(title: &str, snippet: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(format!("{title}\n{snippet}").as_bytes()))
}

/// Store `f`: insert it, update it when its content changed, or leave it.
pub(crate) fn upsert(w: &Write<'_>, f: &NewFinding) -> Result<Stored> {
    let now = crate::time::now();
    let existing: Option<(String, Option<String>, String)> = w
        .query_row(
            "SELECT id, content_sha256, urgency FROM discovery_findings WHERE provider_id = ?1 AND source_url = ?2",
            params![f.provider_id, f.url],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match existing {
        None => {
            w.execute(
                "INSERT INTO discovery_findings (id, profile_id, provider_id, discovered_at, source_url, source_title,
                     source_snippet, category, impact_summary, action_recommendation, urgency, relevance_score,
                     relevance_reason, published_at, content_sha256, source_kind, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?4, ?4)",
                params![
                    uuid::Uuid::new_v4().to_string(),
                    w.profile_id(),
                    f.provider_id,
                    now,
                    f.url,
                    f.title,
                    f.snippet,
                    f.category.as_str(),
                    f.impact,
                    f.action,
                    f.urgency.as_str(),
                    f.score,
                    f.reason,
                    f.published_at,
                    f.content_sha256,
                    f.source_kind,
                ],
            )?;
            Ok(Stored::New)
        }
        Some((_, Some(hash), _)) if hash == f.content_sha256 => Ok(Stored::Unchanged),
        Some((id, _, old_urgency)) => {
            // More urgent than what the user saw: it asks for their eyes again.
            let rises = Urgency::parse(&old_urgency).is_ok_and(|u| f.urgency > u);
            w.execute(
                "UPDATE discovery_findings SET source_title = ?1, source_snippet = ?2, category = ?3,
                     impact_summary = ?4, action_recommendation = ?5, urgency = ?6, relevance_score = ?7,
                     relevance_reason = ?8, published_at = ?9, content_sha256 = ?10, updated_at = ?11,
                     user_status = CASE WHEN ?12 THEN 'new' ELSE user_status END
                 WHERE id = ?13",
                params![
                    f.title,
                    f.snippet,
                    f.category.as_str(),
                    f.impact,
                    f.action,
                    f.urgency.as_str(),
                    f.score,
                    f.reason,
                    f.published_at,
                    f.content_sha256,
                    now,
                    rises,
                    id
                ],
            )?;
            Ok(Stored::Updated)
        }
    }
}

/// Which findings to list.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingQuery {
    /// Only this status.
    pub status: Option<FindingStatus>,
    /// Only this urgency.
    pub urgency: Option<Urgency>,
    /// Only this category.
    pub category: Option<Category>,
    /// Only this provider.
    pub provider_id: Option<String>,
}

const COLUMNS: &str = "id, provider_id, discovered_at, source_url, source_title, source_snippet, category,
    impact_summary, action_recommendation, urgency, relevance_score, relevance_reason, published_at, source_kind,
    user_status, reviewed_at, user_notes, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Finding, [String; 3])> {
    let text = |i: usize| r.get::<_, String>(i);
    Ok((
        Finding {
            id: text(0)?,
            provider_id: text(1)?,
            discovered_at: text(2)?,
            source_url: text(3)?,
            source_title: text(4)?,
            source_snippet: text(5)?,
            category: Category::CapabilityChange,
            impact_summary: text(7)?,
            action_recommendation: text(8)?,
            urgency: Urgency::Informational,
            relevance_score: r.get(10)?,
            relevance_reason: text(11)?,
            published_at: r.get(12)?,
            source_kind: r.get(13)?,
            user_status: FindingStatus::New,
            reviewed_at: r.get(15)?,
            user_notes: r.get(16)?,
            updated_at: r.get(17)?,
        },
        [text(6)?, text(9)?, text(14)?],
    ))
}

fn finish((mut f, [category, urgency, status]): (Finding, [String; 3])) -> Result<Finding> {
    f.category = Category::parse(&category)?;
    f.urgency = Urgency::parse(&urgency)?;
    f.user_status = FindingStatus::parse(&status)?;
    Ok(f)
}

/// The findings matching `q`: most urgent first, then newest.
pub fn list(vault: &Vault, q: &FindingQuery) -> Result<Vec<Finding>> {
    let q = q.clone();
    vault.read(move |conn| {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM discovery_findings
             WHERE (?1 IS NULL OR user_status = ?1) AND (?2 IS NULL OR urgency = ?2)
               AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR provider_id = ?4)
             ORDER BY CASE urgency WHEN 'critical' THEN 0 WHEN 'action_needed' THEN 1 WHEN 'advisory' THEN 2 ELSE 3 END,
                      coalesce(published_at, discovered_at) DESC, id"
        ))?;
        let rows = stmt.query_map(
            params![
                q.status.map(FindingStatus::as_str),
                q.urgency.map(Urgency::as_str),
                q.category.map(Category::as_str),
                q.provider_id
            ],
            from_row,
        )?;
        rows.map(|r| finish(r?)).collect()
    })
}

/// How many findings are `new` (the navigation badge).
pub fn count_new(vault: &Vault) -> Result<u32> {
    vault.read(|conn| {
        Ok(conn.query_row("SELECT count(*) FROM discovery_findings WHERE user_status = 'new'", [], |r| {
            r.get(0)
        })?)
    })
}

/// Mark a finding `status` with an optional note (replacing the note when
/// one is given). `discovery.finding_not_found` for an unknown id.
pub fn mark(vault: &Vault, id: &str, status: FindingStatus, notes: Option<&str>) -> Result<Finding> {
    let notes = notes.map(str::trim).filter(|n| !n.is_empty());
    if notes.is_some_and(|n| n.chars().count() > MAX_NOTES) {
        return Err(Error::invalid(format!("a note holds at most {MAX_NOTES} characters")));
    }
    let now = crate::time::now();
    vault.write(|w| {
        let n = w.execute(
            "UPDATE discovery_findings SET user_status = ?1, reviewed_at = CASE WHEN ?1 = 'new' THEN NULL ELSE ?2 END,
                 user_notes = coalesce(?3, user_notes)
             WHERE id = ?4",
            params![status.as_str(), now, notes, id],
        )?;
        if n == 0 {
            return Err(Error::new(ErrorCode::DiscoveryFindingNotFound, format!("no finding {id:?}")));
        }
        // Counts and the status only: the note is the user's own text.
        w.record(EventType::DiscoveryMark, json!({ "status": status.as_str(), "noted": notes.is_some() }))
    })?;
    vault.read(|conn| {
        let row = conn.query_row(
            &format!("SELECT {COLUMNS} FROM discovery_findings WHERE id = ?1"),
            [id],
            from_row,
        )?;
        finish(row)
    })
}

/// The finding whose id is `id` or starts with it (lists show 8
/// characters): `discovery.finding_not_found` for none, `input.invalid`
/// when the prefix names more than one.
pub fn find(vault: &Vault, id: &str) -> Result<Finding> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::invalid("give a finding's id"));
    }
    let mut hits: Vec<Finding> =
        list(vault, &FindingQuery::default())?.into_iter().filter(|f| f.id.starts_with(id)).collect();
    match hits.len() {
        1 => Ok(hits.remove(0)),
        0 => Err(Error::new(ErrorCode::DiscoveryFindingNotFound, format!("no finding {id:?}"))),
        _ => {
            Err(Error::invalid(format!("{id:?} is the start of more than one finding's id; give more of it")))
        }
    }
}
