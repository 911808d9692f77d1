//! A diagnostics package a person can attach to a bug report: versions, the
//! OS, profile and schema facts, the non-secret settings, the integrity
//! checks, row counts per table and the tail of the operational log.
//!
//! Never a value, a key name, a profile name or a path inside a home
//! folder: only numbers, schema names and settings are taken from the
//! vault, and each log record is rebuilt from its known fields, every
//! text passed through [`crate::redact::redact`] and then cleared of the
//! data folder, paths in the home folder and the unlocked profile's key
//! names. Nothing is sent anywhere; the package is a
//! private file the person chooses to share.

use rusqlite::Connection;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Result;
use crate::integrity::{self, IntegrityReport};
use crate::keyclave::KeyClave;
use crate::settings::Settings;
use crate::vault::Vault;

/// Lines of the operational log kept.
pub const LOG_LINES: usize = 500;
/// A log line longer than this is cut (a line is a short JSON record).
const MAX_LINE: usize = 1_000;

/// What the package holds.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostics {
    /// KeyClave's version.
    pub app_version: String,
    /// When it was made (UTC ISO 8601).
    pub created_at: String,
    /// Operating system, architecture and (on Linux) kernel release.
    pub os: OsInfo,
    /// The schema version `index.db` is at, and the latest vault schema.
    pub index_schema_version: i64,
    /// The vault schema version this build migrates to.
    pub vault_schema_latest: usize,
    /// How many profiles the data folder lists.
    pub profile_count: usize,
    /// One entry per profile, numbered (names are left out).
    pub profiles: Vec<ProfileFacts>,
    /// Rows per table of `index.db`.
    pub index_rows: BTreeMap<String, i64>,
    /// The last records of the operational log (`logs/network.log`), its
    /// known fields only, scrubbed.
    pub log_tail: Vec<String>,
    /// Lines of that tail that were not log records (left out whole).
    pub log_lines_left_out: usize,
}

impl Diagnostics {
    /// Whether every integrity check in the package passed (true when no
    /// profile was unlocked to check).
    pub fn integrity_ok(&self) -> bool {
        self.profiles.iter().filter_map(|p| p.integrity.as_ref()).all(IntegrityReport::ok)
    }
}

/// The machine.
#[derive(Debug, Clone, Serialize)]
pub struct OsInfo {
    /// `linux`, `macos`, `windows`.
    pub os: &'static str,
    /// `x86_64`, `aarch64`.
    pub arch: &'static str,
    /// The kernel release, where the OS tells it.
    pub kernel: Option<String>,
}

/// One profile's facts. Only the unlocked profile has a schema version,
/// settings, checks and row counts (the others' files are encrypted).
#[derive(Debug, Clone, Serialize)]
pub struct ProfileFacts {
    /// 1, 2, … in the order the index lists them.
    pub number: usize,
    /// Whether this is the profile the package was made from.
    pub unlocked: bool,
    /// Whether TOTP is on.
    pub totp_enabled: bool,
    /// Size of `vault.db` in bytes (0 when missing).
    pub vault_bytes: u64,
    /// `PRAGMA user_version` of the vault.
    pub schema_version: Option<i64>,
    /// The profile's settings (none of them is secret).
    pub settings: Option<Settings>,
    /// SQLite's and SQLCipher's checks.
    pub integrity: Option<IntegrityReport>,
    /// Rows per table of the vault.
    pub rows: Option<BTreeMap<String, i64>>,
}

/// Gather the package; `unlocked` (a profile of `keyclave`) adds its
/// schema version, settings, checks and row counts.
pub fn collect(keyclave: &KeyClave, unlocked: Option<&Vault>) -> Result<Diagnostics> {
    let root = keyclave.root();
    let unlocked_id = unlocked.map(Vault::profile_id);
    let mut profiles = Vec::new();
    let records = keyclave.profiles()?;
    for (i, rec) in records.iter().enumerate() {
        let vault_bytes = std::fs::metadata(root.vault_db(&rec.id)).map(|m| m.len()).unwrap_or(0);
        let mut facts = ProfileFacts {
            number: i + 1,
            unlocked: false,
            totp_enabled: rec.totp_enabled,
            vault_bytes,
            schema_version: None,
            settings: None,
            integrity: None,
            rows: None,
        };
        if let Some(vault) = unlocked.filter(|_| unlocked_id.as_deref() == Some(rec.id.as_str())) {
            facts.unlocked = true;
            facts.schema_version = Some(vault.read(user_version)?);
            facts.settings = Some(vault.settings());
            facts.integrity = Some(integrity::check(vault)?);
            facts.rows = Some(vault.read(row_counts)?);
        }
        profiles.push(facts);
    }
    let (index_schema_version, index_rows) =
        keyclave.with_index_connection(|c| Ok((user_version(c)?, row_counts(c)?)))?;
    let key_names: Vec<String> = match unlocked {
        Some(v) => {
            crate::secrets::list(v, &Default::default()).items.into_iter().map(|s| s.key_name).collect()
        }
        None => Vec::new(),
    };
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    let scrub = Scrub::new(root.dir(), home.as_deref(), key_names);
    let (log_tail, log_lines_left_out) = log_tail(&root.logs_dir(), &scrub);
    Ok(Diagnostics {
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: crate::time::now(),
        os: OsInfo { os: std::env::consts::OS, arch: std::env::consts::ARCH, kernel: kernel_release() },
        index_schema_version,
        vault_schema_latest: crate::migrations::VAULT_FILES.len(),
        profile_count: records.len(),
        profiles,
        index_rows,
        log_tail,
        log_lines_left_out,
    })
}

/// Write the package as JSON to `path` (private, atomically; an existing
/// file is replaced only with `overwrite`).
pub fn write(diagnostics: &Diagnostics, path: &Path, overwrite: bool) -> Result<()> {
    let json = serde_json::to_vec_pretty(diagnostics).map_err(|e| {
        crate::Error::internal(format!("the package could not be encoded ({:?})", e.classify()))
    })?;
    crate::paths::write_private_atomic(path, &json, overwrite)
}

/// Where a package goes when the person names no file: the Downloads
/// folder (else the home folder), named by the time it was made.
pub fn default_path() -> Option<std::path::PathBuf> {
    let dirs = directories::UserDirs::new()?;
    let folder = dirs.download_dir().unwrap_or(dirs.home_dir()).to_path_buf();
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    Some(folder.join(format!("keyclave-diagnostics-{stamp}.json")))
}

fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Rows per table (schema names only, never a row).
fn row_counts(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut counts = BTreeMap::new();
    for name in names {
        let quoted = name.replace('"', "\"\"");
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| r.get(0))?;
        counts.insert(name, n);
    }
    Ok(counts)
}

fn kernel_release() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned())
}

/// What is taken out of every log line.
struct Scrub {
    /// (text, replacement), longest first so a path is replaced before
    /// its prefix.
    replace: Vec<(String, &'static str)>,
    /// A path inside the home folder, up to the next quote: dropped whole
    /// (folder names are the user's own words, and may hold spaces).
    home_path: Option<regex::Regex>,
}

impl Scrub {
    fn new(data_dir: &Path, home: Option<&Path>, key_names: Vec<String>) -> Scrub {
        let mut replace: Vec<(String, &'static str)> =
            vec![(data_dir.to_string_lossy().into_owned(), "<data folder>")];
        replace.extend(key_names.into_iter().filter(|k| !k.is_empty()).map(|k| (k, "<key name>")));
        replace.sort_by_key(|r| std::cmp::Reverse(r.0.len()));
        let home_path = home
            .map(|h| h.to_string_lossy().into_owned())
            .filter(|h| h.len() > 1)
            .and_then(|h| regex::Regex::new(&format!(r#"{}[^"'\n]*"#, regex::escape(&h))).ok());
        Scrub { replace, home_path }
    }

    fn line(&self, line: &str) -> String {
        let mut out: String = line.chars().take(MAX_LINE).collect();
        // Paths and names first: redaction could cut a path in two.
        for (text, with) in &self.replace {
            if out.contains(text.as_str()) {
                out = out.replace(text.as_str(), with);
            }
        }
        if let Some(re) = &self.home_path {
            out = re.replace_all(&out, "<path in the home folder>").into_owned();
        }
        crate::redact::redact(&out).into_owned()
    }
}

/// The fields of a network log record (`net::oplog`); anything else a
/// line holds is dropped.
const LOG_FIELDS: &[&str] =
    &["at", "provider", "method", "path", "status", "error", "duration_ms", "attempt"];

/// The last [`LOG_LINES`] records of `network.log` (and of its rotated
/// file before it, when the current one is short), rebuilt from the known
/// fields only, every text scrubbed. Lines that are not such records are
/// counted and left out.
fn log_tail(logs: &Path, scrub: &Scrub) -> (Vec<String>, usize) {
    let mut lines: Vec<String> = Vec::new();
    for name in ["network.log.1", "network.log"] {
        if let Ok(text) = std::fs::read_to_string(logs.join(name)) {
            lines.extend(text.lines().map(str::to_owned));
        }
    }
    let skip = lines.len().saturating_sub(LOG_LINES);
    let mut dropped = 0;
    let kept = lines
        .into_iter()
        .skip(skip)
        .filter_map(|l| {
            let record = log_record(&l, scrub);
            dropped += usize::from(record.is_none());
            record
        })
        .collect();
    (kept, dropped)
}

fn log_record(line: &str, scrub: &Scrub) -> Option<String> {
    let serde_json::Value::Object(fields) = serde_json::from_str(line).ok()? else {
        return None;
    };
    let mut kept = serde_json::Map::new();
    for (name, value) in fields {
        if !LOG_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let value = match value {
            serde_json::Value::String(text) => serde_json::Value::String(scrub.line(&text)),
            v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_) | serde_json::Value::Null) => v,
            _ => continue,
        };
        kept.insert(name, value);
    }
    serde_json::to_string(&kept).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_replaces_paths_and_key_names_and_redacts_values() {
        let scrub = Scrub::new(
            Path::new("/home/ana/.local/share/keyclave"),
            Some(Path::new("/home/ana")),
            vec!["ACME_PROD_TOKEN".into()],
        );
        let line = "open /home/ana/.local/share/keyclave/profiles/x for ACME_PROD_TOKEN=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 in \"/home/ana/acme corp/.env\"";
        let out = scrub.line(line);
        assert!(out.contains("<data folder>/profiles/x"), "{out}");
        assert!(out.contains("in \"<path in the home folder>\""), "a quoted path goes whole: {out}");
        assert!(!out.contains("/home/ana") && !out.contains("acme"), "{out}");
        assert!(!out.contains("ACME_PROD_TOKEN") && !out.contains("abcdefghijklmnop"), "{out}");
        let long = "x".repeat(5_000);
        assert_eq!(scrub.line(&long).chars().count(), MAX_LINE);
    }

    #[test]
    fn a_log_record_keeps_its_known_fields_only() {
        let scrub = Scrub::new(Path::new("/data"), None, vec![]);
        let line = r#"{"at":"2026-12-06T10:00:00Z","provider":"github","status":200,"attempt":1,"body":"zqx-secret","headers":{"a":"b"}}"#;
        let kept: serde_json::Value = serde_json::from_str(&log_record(line, &scrub).unwrap()).unwrap();
        let want =
            serde_json::json!({"at":"2026-12-06T10:00:00Z","attempt":1,"provider":"github","status":200});
        assert_eq!(kept, want);
        assert_eq!(log_record("not json zqx-secret", &scrub), None);
    }
}
