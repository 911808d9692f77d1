//! Writing a plan to disk: backup, then an atomic replace.
//!
//! [`apply`] (1) re-reads the file and refuses it if it is not the text the
//! plan was made from (`dotenv.changed_on_disk`); (2) copies it to a
//! timestamped backup beside it, `<name>.keyclave-backup-YYYYMMDDTHHMMSSZ`
//! (`-1`, `-2`… on a clash), mode 0600, itself written through a temp file
//! and a rename; (3) writes the new text to a temp file in the same
//! directory (`<name>.keyclave-tmp-…`), with the original's permissions
//! (0600 for a new file), fsyncs it, renames it over the original and
//! fsyncs the directory; (4) deletes the oldest backups beyond
//! [`ApplyOptions::keep_backups`] (10 by default).
//!
//! A crash at any point leaves the original file or the new one, never a
//! torn one, and the backup once it was written. Temp files a crash left
//! behind are removed by the next apply to the same file. A symlink is
//! followed: the file it points to is replaced, the link stays.
//!
//! Backups are plaintext copies of a plaintext file: they hold what the
//! `.env` holds, readable by its owner only.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::parse::Document;
use super::plan::{Counts, Plan};
use crate::error::{Error, ErrorCode, Result};

/// Largest `.env` file read (16 MiB).
pub const MAX_FILE_LEN: u64 = 16 << 20;
/// Backups kept per file unless told otherwise.
pub const DEFAULT_KEEP_BACKUPS: usize = 10;
/// What follows the file name in a backup's name.
pub const BACKUP_MARKER: &str = ".keyclave-backup-";
const TEMP_MARKER: &str = ".keyclave-tmp-";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// A point in [`apply`] after which a test can stop it as a crash would:
/// no cleanup, an error returned at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyStage {
    /// The backup is on disk; nothing else happened.
    BackupWritten,
    /// The new text is in a synced temp file; the original is untouched.
    TempWritten,
    /// The temp file replaced the original; the directory is not synced
    /// and old backups are not rotated yet.
    Renamed,
}

/// How [`apply`] writes.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Backups kept per file, newest first (at least 1).
    pub keep_backups: usize,
    /// The time stamped on the backup (now when `None`).
    pub now: Option<DateTime<Utc>>,
    /// Fault injection for crash tests: stop right after this stage,
    /// without any cleanup, and fail with `dotenv.interrupted`.
    pub stop_after: Option<ApplyStage>,
    /// Make an existing file the user's alone (mode 0600) as it is
    /// written; otherwise it keeps its mode (a new file is always 0600).
    pub private: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { keep_backups: DEFAULT_KEEP_BACKUPS, now: None, stop_after: None, private: false }
    }
}

/// What [`apply`] did: counts and flags, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Keys per action.
    pub counts: Counts,
    /// Whether the file was written (false when the plan changes nothing).
    pub written: bool,
    /// Whether the file did not exist before and was created.
    pub created: bool,
    /// The backup made, if any (a path: keep it out of audit events).
    #[serde(skip)]
    pub backup: Option<PathBuf>,
    /// How many old backups were deleted.
    pub backups_removed: usize,
    /// The written file's mode when others may read it (an existing 0644
    /// file keeps its mode): a front warns, and offers
    /// [`ApplyOptions::private`].
    pub shared_mode: Option<u32>,
}

impl ApplyReport {
    /// Metadata for an audit event: counts and flags only (no path, no
    /// key, no value).
    pub fn audit_metadata(&self) -> serde_json::Value {
        serde_json::json!({
            "added": self.counts.added,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "kept": self.counts.kept,
            "skipped": self.counts.skipped,
            "written": self.written,
            "created": self.created,
        })
    }
}

fn io_error(what: &str, e: io::Error) -> Error {
    Error::new(crate::error::io_code(&e), format!("{what}: {e}"))
}

fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The file a path names, following a symlink; whether it exists.
fn resolve(path: &Path) -> Result<(PathBuf, bool)> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match fs::canonicalize(path) {
            Ok(real) => resolve(&real),
            // A dangling link: create the file it points to.
            Err(_) => {
                let target = fs::read_link(path).map_err(|e| io_error("cannot read the link", e))?;
                let parent = path.parent().unwrap_or(Path::new("."));
                Ok((parent.join(target), false))
            }
        },
        Ok(m) if m.is_file() => Ok((path.to_path_buf(), true)),
        Ok(_) => {
            Err(Error::new(ErrorCode::DotenvNotAFile, format!("{} is not a regular file", file_label(path))))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((path.to_path_buf(), false)),
        Err(e) => Err(io_error(&format!("cannot read {}", file_label(path)), e)),
    }
}

/// Read a file's text; `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>> {
    let (path, exists) = resolve(path)?;
    if !exists {
        return Ok(None);
    }
    let label = file_label(&path);
    let len = fs::metadata(&path).map_err(|e| io_error(&format!("cannot read {label}"), e))?.len();
    if len > MAX_FILE_LEN {
        return Err(Error::new(
            ErrorCode::DotenvTooLarge,
            format!("{label} is {len} bytes; the limit is {MAX_FILE_LEN}"),
        ));
    }
    let bytes = fs::read(&path).map_err(|e| io_error(&format!("cannot read {label}"), e))?;
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let mut bytes = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        Error::new(ErrorCode::DotenvNotUtf8, format!("{label} is not UTF-8 text (byte {at})"))
    })
}

impl Document {
    /// Read and parse a file; an empty document when it does not exist (a
    /// plan made from it creates the file).
    ///
    /// Errors: `dotenv.not_a_file`, `dotenv.too_large`, `dotenv.not_utf8`,
    /// `storage.io`.
    pub fn read(path: &Path) -> Result<Document> {
        let text = zeroize::Zeroizing::new(read_text(path)?.unwrap_or_default());
        Ok(Document::parse(&text))
    }
}

fn interrupted(stage: ApplyStage) -> Error {
    Error::new(ErrorCode::DotenvInterrupted, format!("stopped after {stage:?} (fault injection)"))
}

fn stop(options: &ApplyOptions, stage: ApplyStage) -> Result<()> {
    if options.stop_after == Some(stage) {
        return Err(interrupted(stage));
    }
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error("cannot sync the directory", e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &fs::Metadata) -> u32 {
    0o600
}

/// A synced temp file beside `target` holding `bytes`, mode `mode`.
fn temp_with(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> Result<tempfile::NamedTempFile> {
    let mut temp = tempfile::Builder::new()
        .prefix(&format!("{name}{TEMP_MARKER}"))
        .tempfile_in(dir)
        .map_err(|e| io_error("cannot create a temporary file", e))?;
    set_mode(temp.as_file(), mode).map_err(|e| io_error("cannot set permissions", e))?;
    temp.write_all(bytes).map_err(|e| io_error("cannot write the temporary file", e))?;
    temp.as_file().sync_all().map_err(|e| io_error("cannot sync the temporary file", e))?;
    Ok(temp)
}

/// Write a backup of `bytes` beside the file; its path.
fn write_backup(dir: &Path, name: &str, bytes: &[u8], now: DateTime<Utc>) -> Result<PathBuf> {
    let stamp = now.format(STAMP).to_string();
    let mut temp = temp_with(dir, name, bytes, 0o600)?;
    for n in 0..1000u32 {
        let suffix = if n == 0 { String::new() } else { format!("-{n}") };
        let path = dir.join(format!("{name}{BACKUP_MARKER}{stamp}{suffix}"));
        match temp.persist_noclobber(&path) {
            Ok(_) => {
                sync_dir(dir)?;
                return Ok(path);
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => temp = e.file,
            Err(e) => return Err(io_error("cannot write the backup", e.error)),
        }
    }
    Err(Error::new(ErrorCode::StorageIo, "too many backups with the same time stamp"))
}

/// The backups of the file at `path` (beside it), oldest first.
pub fn list_backups(path: &Path) -> Result<Vec<PathBuf>> {
    let (path, _) = resolve(path)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = file_label(&path);
    backups_in(dir, &name)
}

fn backups_in(dir: &Path, name: &str) -> Result<Vec<PathBuf>> {
    let prefix = format!("{name}{BACKUP_MARKER}");
    let mut found: Vec<((NaiveDateTime, u32), PathBuf)> = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| io_error("cannot list the directory", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error("cannot list the directory", e))?;
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|s| s.strip_prefix(&prefix)) else { continue };
        let (stamp, n) = match rest.split_once('-') {
            Some((stamp, n)) => match n.parse::<u32>() {
                Ok(n) => (stamp, n),
                Err(_) => continue,
            },
            None => (rest, 0),
        };
        let Ok(t) = NaiveDateTime::parse_from_str(stamp, STAMP) else { continue };
        found.push(((t, n), entry.path()));
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// Remove temp files an interrupted apply left beside the file.
fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = format!("{name}{TEMP_MARKER}");
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
            // Best effort: a leftover we cannot remove does no harm here.
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Write `plan` to `path` (see the module documentation for the steps).
///
/// Errors: `dotenv.changed_on_disk` (the file is not the text the plan was
/// made from), `dotenv.already_exists` (a generated plan and the file
/// exists), `dotenv.not_a_file`, `dotenv.too_large`, `dotenv.not_utf8`,
/// `dotenv.interrupted` (fault injection), `input.invalid` (keep_backups of
/// 0), `storage.io`.
pub fn apply(path: &Path, plan: &Plan, options: &ApplyOptions) -> Result<ApplyReport> {
    if options.keep_backups == 0 {
        return Err(Error::invalid("keep_backups must be at least 1"));
    }
    let (target, exists) = resolve(path)?;
    let label = file_label(&target);
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let current = zeroize::Zeroizing::new(read_text(&target)?.unwrap_or_default());
    if exists && plan.requires_absent() {
        return Err(Error::new(ErrorCode::DotenvAlreadyExists, format!("{label} exists already")));
    }
    if !plan.made_from(&current) || (!exists && !current.is_empty()) {
        return Err(Error::new(
            ErrorCode::DotenvChangedOnDisk,
            format!("{label} changed since the preview was made"),
        ));
    }
    let mut report = ApplyReport {
        counts: plan.counts(),
        written: false,
        created: false,
        backup: None,
        backups_removed: 0,
        shared_mode: None,
    };
    if plan.is_noop() {
        return Ok(report);
    }
    replace(&target, &dir, &label, exists, &current, plan.expose_new_text(), options, &mut report)?;
    Ok(report)
}

/// Back up `current` (when the file exists), then atomically replace the
/// file with `new_text` and rotate old backups; fills `report`.
#[allow(clippy::too_many_arguments)]
fn replace(
    target: &Path,
    dir: &Path,
    label: &str,
    exists: bool,
    current: &str,
    new_text: &str,
    options: &ApplyOptions,
    report: &mut ApplyReport,
) -> Result<()> {
    remove_stale_temps(dir, label);

    let mode = if exists && !options.private {
        mode_of(&fs::metadata(target).map_err(|e| io_error(&format!("cannot read {label}"), e))?)
    } else {
        0o600
    };
    if mode & 0o077 != 0 {
        report.shared_mode = Some(mode);
    }
    if exists {
        let now = options.now.unwrap_or_else(Utc::now);
        report.backup = Some(write_backup(dir, label, current.as_bytes(), now)?);
    }
    stop(options, ApplyStage::BackupWritten)?;

    let temp = temp_with(dir, label, new_text.as_bytes(), mode)?;
    if options.stop_after == Some(ApplyStage::TempWritten) {
        // As a crash would: the temp file stays.
        let _ = temp.keep();
        return Err(interrupted(ApplyStage::TempWritten));
    }
    temp.persist(target).map_err(|e| io_error(&format!("cannot replace {label}"), e.error))?;
    stop(options, ApplyStage::Renamed)?;
    sync_dir(dir)?;
    report.written = true;
    report.created = !exists;

    let backups = backups_in(dir, label)?;
    let excess = backups.len().saturating_sub(options.keep_backups);
    for old in &backups[..excess] {
        fs::remove_file(old).map_err(|e| io_error("cannot remove an old backup", e))?;
        report.backups_removed += 1;
    }
    Ok(())
}

/// Put a backup back: the file's current text is itself backed up first
/// (so a restore can be undone), then replaced atomically as [`apply`]
/// does. `backup` must be one of [`list_backups`] of `path`.
pub fn restore_backup(path: &Path, backup: &Path, options: &ApplyOptions) -> Result<ApplyReport> {
    if options.keep_backups == 0 {
        return Err(Error::invalid("keep_backups must be at least 1"));
    }
    let (target, exists) = resolve(path)?;
    let label = file_label(&target);
    let known = list_backups(&target)?;
    let wanted = backup.file_name();
    let Some(source) = known.iter().find(|b| wanted.is_some() && b.file_name() == wanted) else {
        return Err(Error::invalid(format!("{} is not a backup of {label}", file_label(backup)))
            .with_suggestion("Pick one of the backups listed for this file."));
    };
    let restored = zeroize::Zeroizing::new(read_text(source)?.unwrap_or_default());
    let current = zeroize::Zeroizing::new(read_text(&target)?.unwrap_or_default());
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut report = ApplyReport {
        counts: Counts::default(),
        written: false,
        created: false,
        backup: None,
        backups_removed: 0,
        shared_mode: None,
    };
    if exists && *current == *restored {
        return Ok(report);
    }
    replace(&target, &dir, &label, exists, &current, &restored, options, &mut report)?;
    Ok(report)
}
