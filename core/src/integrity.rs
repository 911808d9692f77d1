//! Database integrity checks for one unlocked profile: SQLite's page-level
//! `PRAGMA integrity_check` and SQLCipher's per-page HMAC check
//! (`PRAGMA cipher_integrity_check`) on the vault, and SQLite's check on
//! `index.db`. Read-only; the messages name pages and tables, never values.

use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::vault::Vault;

/// Problems reported per check, at most this many (a badly damaged file
/// can report one per page).
const MAX_PROBLEMS: usize = 20;

/// What the checks of one database found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DatabaseCheck {
    /// Whether every check passed.
    pub ok: bool,
    /// SQLite's structural problems (empty when sound).
    pub integrity_problems: Vec<String>,
    /// Pages whose SQLCipher HMAC does not verify (vault only; empty when sound).
    pub cipher_problems: Vec<String>,
}

/// The checks of a profile's vault and of the profile index.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IntegrityReport {
    /// The profile's SQLCipher vault.
    pub vault: DatabaseCheck,
    /// `index.db`, the list of profiles.
    pub index: DatabaseCheck,
}

impl IntegrityReport {
    /// Whether both databases passed.
    pub fn ok(&self) -> bool {
        self.vault.ok && self.index.ok
    }
}

/// Check the vault of `vault` and the index. Reads every page of both, so
/// it takes as long as reading the files (run it off the async runtime).
pub fn check(vault: &Vault) -> Result<IntegrityReport> {
    let vault_check = vault.read(|conn| {
        let integrity_problems = structural_problems(conn);
        let cipher_problems = problems_or_failure(pragma_rows(conn, "PRAGMA cipher_integrity_check"));
        Ok(DatabaseCheck {
            ok: integrity_problems.is_empty() && cipher_problems.is_empty(),
            integrity_problems,
            cipher_problems,
        })
    })?;
    let index_problems = vault.index().with_connection(|c| Ok(structural_problems(c)))?;
    Ok(IntegrityReport {
        vault: vault_check,
        index: DatabaseCheck {
            ok: index_problems.is_empty(),
            integrity_problems: index_problems,
            cipher_problems: vec![],
        },
    })
}

/// `PRAGMA integrity_check` answers one row `ok` when the file is sound.
fn structural_problems(conn: &Connection) -> Vec<String> {
    match pragma_rows(conn, "PRAGMA integrity_check") {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => vec![],
        other => problems_or_failure(other),
    }
}

/// A check that could not read the whole file (a page failing its HMAC
/// stops SQLite's walk) found a problem too.
fn problems_or_failure(rows: Result<Vec<String>>) -> Vec<String> {
    rows.unwrap_or_else(|e| vec![format!("the check stopped on an unreadable page: {}", e.message())])
}

fn pragma_rows(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, Option<String>>(0))?;
    let mut out = Vec::new();
    for row in rows {
        let row = row.map_err(Error::from)?;
        if out.len() < MAX_PROBLEMS {
            out.push(row.unwrap_or_default());
        }
    }
    Ok(out)
}
