//! SQL migrations for the three databases, embedded at build time.
//!
//! Each database has a folder under `migrations/` with numbered SQL files.
//! A migration is never edited once shipped: a change is a new file, added
//! to the list here (a test checks that every file on disk is listed).

use rusqlite_migration::{M, Migrations};

/// One embedded migration file: its file name and SQL text.
#[derive(Debug, Clone, Copy)]
pub struct MigrationFile {
    /// File name inside the database's migrations folder.
    pub name: &'static str,
    /// SQL applied inside one transaction.
    pub sql: &'static str,
}

macro_rules! migration {
    ($dir:literal, $name:literal) => {
        MigrationFile { name: $name, sql: include_str!(concat!("../../migrations/", $dir, "/", $name)) }
    };
}

/// `index.db`: profile list and KDF metadata, readable before unlock.
pub const INDEX_FILES: &[MigrationFile] =
    &[migration!("index", "0001_init.sql"), migration!("index", "0002_keychain.sql")];

/// `profiles/<id>/vault.db`: everything about one profile (SQLCipher).
pub const VAULT_FILES: &[MigrationFile] = &[
    migration!("vault", "0001_core.sql"),
    migration!("vault", "0002_automation.sql"),
    migration!("vault", "0003_totp.sql"),
    migration!("vault", "0004_scan.sql"),
    migration!("vault", "0005_scan_stat.sql"),
    migration!("vault", "0006_requirement_necessity.sql"),
    migration!("vault", "0007_scan_rules_version.sql"),
    migration!("vault", "0008_secret_endpoint.sql"),
    migration!("vault", "0009_automation_versions.sql"),
    migration!("vault", "0010_discovery_sources.sql"),
    migration!("vault", "0011_identity.sql"),
];

/// `reference_library/manifest.db`: downloaded reference content (no secrets).
pub const REFERENCE_LIBRARY_FILES: &[MigrationFile] = &[migration!("reference_library", "0001_manifest.sql")];

fn build(files: &'static [MigrationFile]) -> Migrations<'static> {
    Migrations::new(files.iter().map(|f| M::up(f.sql)).collect())
}

/// Migrations of `index.db`, in order.
pub fn index() -> Migrations<'static> {
    build(INDEX_FILES)
}

/// Migrations of a profile's `vault.db`, in order.
pub fn vault() -> Migrations<'static> {
    build(VAULT_FILES)
}

/// Migrations of `reference_library/manifest.db`, in order.
pub fn reference_library() -> Migrations<'static> {
    build(REFERENCE_LIBRARY_FILES)
}
