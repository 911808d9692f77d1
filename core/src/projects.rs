//! Projects in the vault: registered folders, their scanned Markdown, the
//! requirements and service recommendations inferred from it, and the
//! user's accept/reject decisions.
//!
//! A [`scan`] is read → work → commit: it reads what the last scan
//! recorded, walks the folder with [`crate::scan::scan_folder`] holding no
//! lock (unchanged files are not read, their stored evidence is reused),
//! then registers the folder if it is new and writes docs, requirements
//! and recommendations in one transaction — so a scan that fails or is
//! cancelled part-way leaves nothing behind, and one started before the
//! vault locked cannot write after it. A requirement's or recommendation's
//! decision survives rescans as long as the docs still support it.
//!
//! The audit log gets project ids and counts, never paths.

use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

use crate::audit::EventType;
use crate::dotenv::Document;
use crate::error::{Error, ErrorCode, Result, to_json};
use crate::providers;
use crate::scan::requirements::{
    Citation, ConfidenceLevel, DocEvidence, Inferred, InferredRecommendation, Necessity,
    infer_recommendations, infer_requirements,
};
use crate::scan::{
    self, Evidence, FileScan, FileStat, KnownFile, ScanOptions, ScanProgress, SkippedFile, capabilities,
};
use crate::secrets;
use crate::time;
use crate::vault::{Vault, Write};

/// Skipped files listed in a report (all are counted).
pub const MAX_SKIPPED_LISTED: usize = 200;

/// A registered project folder.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    /// Row id.
    pub id: String,
    /// Absolute, canonical folder path.
    pub root_path: String,
    /// The folder's name unless renamed.
    pub display_name: String,
    /// When it was last scanned (UTC, RFC 3339).
    pub last_scanned_at: Option<String>,
    /// When it was registered.
    pub created_at: String,
}

/// The user's review of a requirement or recommendation.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Not decided yet.
    New,
    /// The project needs it.
    Accepted,
    /// Not needed (a false match).
    Rejected,
}

impl ReviewStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::New => "new",
            ReviewStatus::Accepted => "accepted",
            ReviewStatus::Rejected => "rejected",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<ReviewStatus> {
        match s {
            "new" => Ok(ReviewStatus::New),
            "accepted" => Ok(ReviewStatus::Accepted),
            "rejected" => Ok(ReviewStatus::Rejected),
            other => Err(Error::corruption(format!("unknown decision '{other}' in the vault"))),
        }
    }
}

/// Where a needed env var already is.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvVarState {
    /// Neither in the vault nor in the project's `.env`.
    Missing,
    /// In the vault, not yet in the project's `.env`.
    InVault,
    /// Assigned in the project's `.env` (whether or not the vault has it).
    InDotenv,
}

/// One env var a requirement needs, and where it is.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVarStatus {
    /// The env var name.
    pub name: String,
    /// The vault holds a secret with this name.
    pub in_vault: bool,
    /// The project's root `.env` assigns it.
    pub in_dotenv: bool,
    /// Summary of the two.
    pub state: EnvVarState,
}

/// A provider the project needs, with its evidence and status.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    /// Row id.
    pub id: String,
    /// Provider id.
    pub provider_id: String,
    /// Provider display name.
    pub provider_name: String,
    /// 0.0–1.0.
    pub confidence: f64,
    /// The confidence's band.
    pub confidence_level: ConfidenceLevel,
    /// Required, optional or only mentioned (`None` for a requirement
    /// stored before this was known, until the project is scanned again).
    pub necessity: Option<Necessity>,
    /// The user's decision.
    pub user_status: ReviewStatus,
    /// Needed env vars and where each one is.
    pub env_vars: Vec<EnvVarStatus>,
    /// Citations (capped, see [`scan::requirements::MAX_CITATIONS`]).
    pub citations: Vec<Citation>,
    /// How many citations there were before the cap.
    pub citation_count: u32,
}

/// A service suggested for a capability the docs describe.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// Row id.
    pub id: String,
    /// Capability id (`transactional_email`, …).
    pub capability_needed: String,
    /// Capability for people.
    pub capability_label: String,
    /// Where the docs describe it (path:line: redacted excerpt).
    pub requirement_text: String,
    /// Suggested provider id.
    pub recommended_provider_id: Option<String>,
    /// Suggested service name.
    pub recommended_service_name: String,
    /// Why.
    pub rationale: String,
    /// Whether it has a free tier, when known.
    pub free_tier_available: Option<bool>,
    /// Its documentation.
    pub documentation_url: Option<String>,
    /// 0.0–1.0.
    pub match_score: f64,
    /// The match score's band (the same bands as confidence).
    pub match_level: ConfidenceLevel,
    /// The user's decision.
    pub user_status: ReviewStatus,
}

/// What a scan did and found.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// The project scanned.
    pub project: Project,
    /// Counters.
    pub progress: ScanProgress,
    /// Docs of the last scan that are gone.
    pub files_removed: u32,
    /// Files not read, with the reason (at most [`MAX_SKIPPED_LISTED`]).
    pub skipped: Vec<SkippedFile>,
    /// Wall time of the walk and parse, in milliseconds.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub elapsed_ms: u64,
    /// Requirements: required ones first, then optional, then mentioned;
    /// highest confidence first within each.
    pub requirements: Vec<Requirement>,
    /// Service recommendations, highest score first.
    pub recommendations: Vec<Recommendation>,
}

fn not_found(what: &str) -> Error {
    Error::new(ErrorCode::ProjectNotFound, format!("no project '{what}'"))
}

fn canonical_root(root: &Path) -> Result<PathBuf> {
    scan::check_root(root)?;
    std::fs::canonicalize(root).map_err(|e| {
        Error::new(ErrorCode::ProjectInvalidRoot, format!("the project folder cannot be resolved: {e}"))
    })
}

const PROJECT_COLUMNS: &str = "id, root_path, display_name, last_scanned_at, created_at";

fn project_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        root_path: r.get(1)?,
        display_name: r.get(2)?,
        last_scanned_at: r.get(3)?,
        created_at: r.get(4)?,
    })
}

/// Which kind of row a review decision is about.
#[derive(Clone, Copy)]
enum Reviewed {
    Requirement,
    Recommendation,
}

fn all(conn: &Connection) -> Result<Vec<Project>> {
    let sql =
        format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY display_name COLLATE NOCASE, root_path");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], project_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn by_root(conn: &Connection, root: &Path) -> Result<Option<Project>> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE root_path = ?1");
    Ok(conn.query_row(&sql, [root.to_string_lossy()], project_row).optional()?)
}

fn find_in(conn: &Connection, reference: &str) -> Result<Project> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = ?1 OR root_path = ?1");
    if let Some(p) = conn.query_row(&sql, [reference], project_row).optional()? {
        return Ok(p);
    }
    if let Ok(root) = std::fs::canonicalize(reference) {
        if let Some(p) = by_root(conn, &root)? {
            return Ok(p);
        }
    }
    let named: Vec<Project> =
        all(conn)?.into_iter().filter(|p| p.display_name.eq_ignore_ascii_case(reference)).collect();
    match named.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(not_found(reference)),
        _ => {
            Err(not_found(reference).with_suggestion("Several projects have that name: use the folder path."))
        }
    }
}

/// Every registered project, by name.
pub fn list(vault: &Vault) -> Result<Vec<Project>> {
    vault.read(all)
}

/// The project named by id, folder path or display name.
pub fn find(vault: &Vault, reference: &str) -> Result<Project> {
    vault.read(|conn| find_in(conn, reference))
}

/// Register `root` in a write transaction unless it is registered already.
fn register(w: &Write<'_>, root: &Path) -> Result<Project> {
    if let Some(p) = by_root(w, root)? {
        return Ok(p);
    }
    let root_str = root.to_string_lossy().into_owned();
    let name = root.file_name().map_or_else(|| root_str.clone(), |n| n.to_string_lossy().into_owned());
    let id = uuid::Uuid::new_v4().to_string();
    let now = time::now();
    w.execute(
        "INSERT INTO projects (id, profile_id, root_path, display_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![id, w.profile_id(), root_str, name, now],
    )?;
    w.record(EventType::ProjectAdd, json!({ "project_id": id }))?;
    find_in(w, &id)
}

/// Register a project folder without scanning it (idempotent: an already
/// registered folder is returned as it is).
pub fn add(vault: &Vault, root: &Path) -> Result<Project> {
    let root = canonical_root(root)?;
    vault.write(|w| register(w, &root))
}

/// Forget a project: its docs, requirements and `.env` targets go; its
/// folder and the vault's secrets are untouched.
pub fn remove(vault: &Vault, reference: &str) -> Result<Project> {
    vault.write(|w| {
        let project = find_in(w, reference)?;
        w.execute("DELETE FROM projects WHERE id = ?1", [&project.id])?;
        w.record(EventType::ProjectRemove, json!({ "project_id": project.id }))?;
        Ok(project)
    })
}

/// What the last scan recorded of each doc (no findings: those are read
/// only when something changed).
fn known_docs(conn: &Connection, project_id: &str) -> Result<FxHashMap<String, KnownFile>> {
    let mut stmt = conn.prepare(
        "SELECT path, sha256, size_bytes, mtime_ns, inode, stat_checked_at_ns, rules_version
         FROM project_docs WHERE project_id = ?1",
    )?;
    let rows = stmt.query_map([project_id], |r| {
        let path: String = r.get(0)?;
        if r.get::<_, i64>(6)? != i64::from(scan::rules::RULES_VERSION) {
            // Findings of older rules: known (so a deleted file is noticed)
            // but matching no file, so the doc is read and parsed again.
            return Ok((path, KnownFile { sha256: String::new(), stat: None, checked_at_ns: 0 }));
        }
        let size: Option<i64> = r.get(2)?;
        let mtime: Option<i64> = r.get(3)?;
        let inode: Option<i64> = r.get(4)?;
        let stat = match (size, mtime, inode) {
            (Some(size), Some(mtime_ns), Some(inode)) => Some(FileStat {
                size: u64::try_from(size).unwrap_or(0),
                mtime_ns,
                inode: u64::try_from(inode).unwrap_or(0),
            }),
            _ => None,
        };
        Ok((
            path,
            KnownFile { sha256: r.get(1)?, stat, checked_at_ns: r.get::<_, Option<i64>>(5)?.unwrap_or(0) },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The stored evidence of a project's docs.
fn stored_evidence(conn: &Connection, project_id: &str) -> Result<FxHashMap<String, Vec<Evidence>>> {
    let mut stmt = conn.prepare("SELECT path, findings_json FROM project_docs WHERE project_id = ?1")?;
    let rows = stmt.query_map([project_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = FxHashMap::default();
    for row in rows {
        let (path, json) = row?;
        out.insert(path, serde_json::from_str(&json).map_err(Error::stored_json("scan findings"))?);
    }
    Ok(out)
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Scan a project folder (registering it if needed), store what was found
/// and return the report. `progress` is called while files are read.
///
/// Read → work → commit: the recorded docs are read, the folder is walked
/// and parsed with no lock held, then everything is stored in one
/// transaction. `options.cancel` (a job token) stops the walk; a
/// cancelled or failed scan stores nothing, and a new folder is only
/// registered by a scan that succeeds.
pub fn scan(
    vault: &Vault,
    root: &Path,
    options: &ScanOptions,
    progress: &mut dyn FnMut(&ScanProgress),
) -> Result<ScanReport> {
    let root = canonical_root(root)?;
    // 1. Read.
    let (existing, known) = vault.read(|conn| {
        let existing = by_root(conn, &root)?;
        let known = match &existing {
            Some(p) => known_docs(conn, &p.id)?,
            None => FxHashMap::default(),
        };
        Ok((existing, known))
    })?;
    let checked_at_ns = scan::now_ns();

    // 2. Work, with no lock held.
    let walk = scan::scan_folder(&root, options, &known, progress)?;
    let seen: FxHashSet<&str> =
        walk.files.iter().filter(|f| !matches!(f, FileScan::Skipped(_))).map(FileScan::path).collect();
    let removed: Vec<&String> = known.keys().filter(|p| !seen.contains(p.as_str())).collect();
    let changed = walk.files.iter().any(|f| matches!(f, FileScan::Parsed { .. }));
    let rehashed = walk.files.iter().any(|f| matches!(f, FileScan::Unchanged { rehashed: Some(_), .. }));
    // Requirements are inferred again only when some doc changed, appeared
    // or went away (or on a first scan); otherwise the stored ones stand.
    let infer = existing.is_none() || changed || !removed.is_empty();
    let inferred = if infer {
        let stored = match &existing {
            Some(p) if !known.is_empty() => vault.read(|conn| stored_evidence(conn, &p.id))?,
            _ => FxHashMap::default(),
        };
        let docs: Vec<DocEvidence<'_>> = walk
            .files
            .iter()
            .filter_map(|f| match f {
                FileScan::Parsed { path, evidence, .. } => Some(DocEvidence { path, evidence }),
                FileScan::Unchanged { path, .. } => {
                    stored.get(path).map(|e| DocEvidence { path, evidence: e })
                }
                FileScan::Skipped(_) => None,
            })
            .collect();
        let requirements = infer_requirements(&docs);
        let recommendations = infer_recommendations(&docs, &requirements);
        Some((requirements, recommendations))
    } else {
        None
    };
    if options.cancel.as_ref().is_some_and(|t| t.is_cancelled()) {
        return Err(cancelled());
    }

    // 3. Commit, in one transaction (refused if the vault locked or the
    //    job was cancelled meanwhile).
    let now = time::now();
    let p = walk.progress;
    let (project, files_removed) = vault
        .write_for(options.cancel.as_ref(), |w| {
            let project = register(w, &root)?;
            if changed || rehashed {
                store_docs(w, &project.id, &walk.files, &now, checked_at_ns)?;
            }
            let mut files_removed = 0u32;
            if !removed.is_empty() {
                let mut delete = w.prepare("DELETE FROM project_docs WHERE project_id = ?1 AND path = ?2")?;
                for path in &removed {
                    files_removed += delete.execute(params![project.id, path])? as u32;
                }
            }
            if let Some((requirements, recommendations)) = &inferred {
                store_requirements(w, &project.id, requirements, &now)?;
                store_recommendations(w, &project.id, recommendations, &now)?;
            }
            w.execute(
                "UPDATE projects SET last_scanned_at = ?2, updated_at = ?2 WHERE id = ?1",
                params![project.id, now],
            )?;
            w.record(
                EventType::ProjectScan,
                json!({
                    "project_id": project.id,
                    "files_parsed": p.files_parsed,
                    "files_unchanged": p.files_unchanged,
                    "files_skipped": p.files_skipped,
                    "files_removed": files_removed,
                    "requirements": inferred.as_ref().map(|(r, _)| r.len()),
                    "recommendations": inferred.as_ref().map(|(_, r)| r.len()),
                }),
            )?;
            Ok((project, files_removed))
        })
        .map_err(|e| if e.code() == ErrorCode::JobCancelled { cancelled() } else { e })?;

    let skipped = walk
        .files
        .iter()
        .filter_map(|f| match f {
            FileScan::Skipped(s) => Some(s.clone()),
            _ => None,
        })
        .take(MAX_SKIPPED_LISTED)
        .collect();
    Ok(ScanReport {
        project: find(vault, &project.id)?,
        progress: p,
        files_removed,
        skipped,
        elapsed_ms: walk.elapsed.as_millis() as u64,
        requirements: requirements(vault, &project.id)?,
        recommendations: recommendations(vault, &project.id)?,
    })
}

fn cancelled() -> Error {
    Error::new(ErrorCode::ScanCancelled, "the scan was cancelled")
}

/// Upsert parsed docs and refresh the stat of re-hashed ones.
fn store_docs(
    w: &Write<'_>,
    project_id: &str,
    files: &[FileScan],
    now: &str,
    checked_at_ns: i64,
) -> Result<()> {
    let mut upsert = w.prepare(
        "INSERT INTO project_docs (id, project_id, path, sha256, last_parsed_at, findings_json,
             size_bytes, mtime_ns, inode, stat_checked_at_ns, rules_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT(project_id, path) DO UPDATE SET
             sha256 = excluded.sha256, last_parsed_at = excluded.last_parsed_at,
             findings_json = excluded.findings_json, size_bytes = excluded.size_bytes,
             mtime_ns = excluded.mtime_ns, inode = excluded.inode,
             stat_checked_at_ns = excluded.stat_checked_at_ns, rules_version = excluded.rules_version",
    )?;
    let mut restat = w.prepare(
        "UPDATE project_docs SET size_bytes = ?3, mtime_ns = ?4, inode = ?5, stat_checked_at_ns = ?6
         WHERE project_id = ?1 AND path = ?2",
    )?;
    for f in files {
        match f {
            FileScan::Parsed { path, sha256, evidence, stat } => {
                upsert.execute(params![
                    uuid::Uuid::new_v4().to_string(),
                    project_id,
                    path,
                    sha256,
                    now,
                    to_json(evidence)?,
                    as_i64(stat.size),
                    stat.mtime_ns,
                    as_i64(stat.inode),
                    checked_at_ns,
                    scan::rules::RULES_VERSION
                ])?;
            }
            FileScan::Unchanged { path, rehashed: Some(stat) } => {
                restat.execute(params![
                    project_id,
                    path,
                    as_i64(stat.size),
                    stat.mtime_ns,
                    as_i64(stat.inode),
                    checked_at_ns
                ])?;
            }
            FileScan::Unchanged { rehashed: None, .. } | FileScan::Skipped(_) => {}
        }
    }
    Ok(())
}

/// Env var names assigned in the project's root `.env` (empty when there
/// is none or it cannot be read: listing requirements does not fail on it).
fn dotenv_names(project: &Project) -> FxHashSet<String> {
    let file = Path::new(&project.root_path).join(".env");
    match Document::read(&file) {
        Ok(doc) => doc.entries().map(|e| e.key().to_owned()).collect(),
        Err(_) => Default::default(),
    }
}

/// A project's requirements, highest confidence first, with where each
/// env var is now (vault, the project's `.env`).
pub fn requirements(vault: &Vault, reference: &str) -> Result<Vec<Requirement>> {
    let project = find(vault, reference)?;
    requirements_of(vault, &project, &dotenv_names(&project))
}

/// The stored requirements of a project; `in_dotenv` names the keys its
/// `.env` assigns (empty when the caller has no use for that state).
pub(crate) fn requirements_of(
    vault: &Vault,
    project: &Project,
    in_dotenv: &FxHashSet<String>,
) -> Result<Vec<Requirement>> {
    let rows = vault.read(|conn| {
        let mut stmt = conn.prepare_cached(
            "SELECT id, provider_id, required_env_vars_json, confidence, citations_json, user_status, citation_count,
                    necessity
             FROM project_requirements WHERE project_id = ?1
             ORDER BY CASE necessity WHEN 'required' THEN 0 WHEN 'optional' THEN 1 WHEN 'mentioned' THEN 2
                      ELSE 3 END, confidence DESC, provider_id",
        )?;
        let rows = stmt.query_map([&project.id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, f64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, provider_id, vars, confidence, citations, status, citation_count, necessity) in rows {
        let vars: Vec<String> = serde_json::from_str(&vars).map_err(Error::stored_json("env var list"))?;
        let env_vars = vars
            .into_iter()
            .map(|name| {
                let in_vault = !secrets::named(vault, &name).is_empty();
                let in_dotenv = in_dotenv.contains(&name);
                let state = match (in_dotenv, in_vault) {
                    (true, _) => EnvVarState::InDotenv,
                    (false, true) => EnvVarState::InVault,
                    (false, false) => EnvVarState::Missing,
                };
                EnvVarStatus { name, in_vault, in_dotenv, state }
            })
            .collect();
        out.push(Requirement {
            provider_name: providers::get(&provider_id)
                .map_or(provider_id.clone(), |p| p.display_name.to_owned()),
            id,
            provider_id,
            confidence,
            confidence_level: ConfidenceLevel::of(confidence),
            necessity: necessity.as_deref().and_then(Necessity::parse),
            user_status: ReviewStatus::parse(&status)?,
            env_vars,
            citations: serde_json::from_str(&citations).map_err(Error::stored_json("citations"))?,
            citation_count,
        });
    }
    Ok(out)
}

/// Accept or reject one requirement.
pub fn set_requirement_status(vault: &Vault, requirement_id: &str, decision: ReviewStatus) -> Result<()> {
    set_review(vault, Reviewed::Requirement, requirement_id, decision)
}

/// Accept or reject one service recommendation.
pub fn set_recommendation_status(
    vault: &Vault,
    recommendation_id: &str,
    decision: ReviewStatus,
) -> Result<()> {
    set_review(vault, Reviewed::Recommendation, recommendation_id, decision)
}

/// Record a review decision on a requirement or recommendation row.
fn set_review(vault: &Vault, what: Reviewed, id: &str, decision: ReviewStatus) -> Result<()> {
    let (table, code, noun, id_field) = match what {
        Reviewed::Requirement => {
            ("project_requirements", ErrorCode::RequirementNotFound, "requirement", "requirement_id")
        }
        Reviewed::Recommendation => (
            "service_recommendations",
            ErrorCode::RecommendationNotFound,
            "recommendation",
            "recommendation_id",
        ),
    };
    vault.write(|w| {
        let sql = format!("UPDATE {table} SET user_status = ?2 WHERE id = ?1");
        if w.execute(&sql, params![id, decision.as_str()])? == 0 {
            return Err(Error::new(code, format!("no {noun} '{id}'")));
        }
        w.record(EventType::ProjectDecision, json!({ id_field: id, "decision": decision.as_str() }))
    })
}

/// A project's service recommendations, highest score first.
pub fn recommendations(vault: &Vault, reference: &str) -> Result<Vec<Recommendation>> {
    vault.read(|conn| {
        let project = find_in(conn, reference)?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, capability_needed, requirement_text, recommended_provider_id, recommended_service_name,
                    rationale, free_tier_available, documentation_url, match_score, user_status
             FROM service_recommendations WHERE project_id = ?1 ORDER BY match_score DESC, capability_needed",
        )?;
        let rows = stmt.query_map([&project.id], |r| {
            Ok((
                Recommendation {
                    id: r.get(0)?,
                    capability_needed: r.get(1)?,
                    capability_label: String::new(),
                    requirement_text: r.get(2)?,
                    recommended_provider_id: r.get(3)?,
                    recommended_service_name: r.get(4)?,
                    rationale: r.get(5)?,
                    free_tier_available: r.get(6)?,
                    documentation_url: r.get(7)?,
                    match_score: r.get(8)?,
                    match_level: ConfidenceLevel::Low,
                    user_status: ReviewStatus::New,
                },
                r.get::<_, String>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rec, status) = row?;
            rec.user_status = ReviewStatus::parse(&status)?;
            rec.match_level = ConfidenceLevel::of(rec.match_score);
            rec.capability_label = capabilities::get(&rec.capability_needed)
                .map_or_else(|| rec.capability_needed.clone(), |c| c.label.to_owned());
            out.push(rec);
        }
        Ok(out)
    })
}

/// The project whose folder holds `file`, if one is registered (the
/// deepest one), with the file's canonical path.
fn project_for_file(conn: &Connection, file: &Path) -> Result<Option<(Project, PathBuf)>> {
    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else { return Ok(None) };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(dir) = std::fs::canonicalize(dir) else { return Ok(None) };
    let project =
        all(conn)?.into_iter().filter(|p| dir.starts_with(&p.root_path)).max_by_key(|p| p.root_path.len());
    Ok(project.map(|p| (p, dir.join(name))))
}

/// Remember, in the same transaction as its audit event, that a `.env` of
/// a project was written, with a summary of the changes (counts only).
pub(crate) fn record_dotenv_target(w: &Write<'_>, file: &Path, summary: &serde_json::Value) -> Result<()> {
    if w.unrecorded() {
        return Ok(());
    }
    let Some((project, full)) = project_for_file(w, file)? else { return Ok(()) };
    let rel = scan::relative(Path::new(&project.root_path), &full);
    w.execute(
        "INSERT INTO dotenv_targets (id, project_id, path, last_written_at, last_diff_summary_json)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(project_id, path) DO UPDATE SET
             last_written_at = excluded.last_written_at,
             last_diff_summary_json = excluded.last_diff_summary_json",
        params![uuid::Uuid::new_v4().to_string(), project.id, rel, time::now(), summary.to_string()],
    )?;
    Ok(())
}

/// A project's rows as key → id (`sql` selects key, id for `?1` = project).
fn ids_by_key(tx: &Connection, sql: &str, project_id: &str) -> Result<FxHashMap<String, String>> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map([project_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn store_requirements(tx: &Connection, project_id: &str, inferred: &[Inferred], now: &str) -> Result<()> {
    let mut existing =
        ids_by_key(tx, "SELECT provider_id, id FROM project_requirements WHERE project_id = ?1", project_id)?;
    for r in inferred {
        let vars = to_json(&r.env_vars)?;
        let citations = to_json(&r.citations)?;
        match existing.remove(&r.provider_id) {
            Some(id) => tx.execute(
                "UPDATE project_requirements SET required_env_vars_json = ?2, confidence = ?3,
                     citations_json = ?4, citation_count = ?5, necessity = ?6 WHERE id = ?1",
                params![id, vars, r.confidence, citations, r.citation_count, r.necessity.as_str()],
            )?,
            None => tx.execute(
                "INSERT INTO project_requirements (id, project_id, provider_id, required_env_vars_json,
                     confidence, citations_json, citation_count, created_at, necessity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    uuid::Uuid::new_v4().to_string(),
                    project_id,
                    r.provider_id,
                    vars,
                    r.confidence,
                    citations,
                    r.citation_count,
                    now,
                    r.necessity.as_str()
                ],
            )?,
        };
    }
    // The docs no longer support these.
    for id in existing.values() {
        tx.execute("DELETE FROM project_requirements WHERE id = ?1", [id])?;
    }
    Ok(())
}

fn store_recommendations(
    w: &Write<'_>,
    project_id: &str,
    recommended: &[InferredRecommendation],
    now: &str,
) -> Result<()> {
    let (tx, profile_id): (&Connection, &str) = (w, w.profile_id());
    let mut existing = ids_by_key(
        tx,
        "SELECT capability_needed, id FROM service_recommendations WHERE project_id = ?1",
        project_id,
    )?;
    for r in recommended {
        let Some(cap) = capabilities::get(r.capability) else { continue };
        let provider = providers::get(cap.recommended);
        match existing.remove(r.capability) {
            Some(id) => tx.execute(
                "UPDATE service_recommendations SET requirement_text = ?2, match_score = ?3 WHERE id = ?1",
                params![id, r.requirement_text, r.match_score],
            )?,
            None => tx.execute(
                "INSERT INTO service_recommendations (id, profile_id, project_id, requirement_text,
                     capability_needed, recommended_provider_id, recommended_service_name, rationale,
                     free_tier_available, documentation_url, match_score, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    uuid::Uuid::new_v4().to_string(),
                    profile_id,
                    project_id,
                    r.requirement_text,
                    cap.id,
                    provider.map(|p| p.id),
                    provider.map_or(cap.recommended, |p| p.display_name),
                    cap.rationale,
                    cap.free_tier,
                    provider.map(|p| p.docs_url),
                    r.match_score,
                    now
                ],
            )?,
        };
    }
    for id in existing.values() {
        tx.execute("DELETE FROM service_recommendations WHERE id = ?1", [id])?;
    }
    Ok(())
}
