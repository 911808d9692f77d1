//! How KeyClave opens its SQLite files (`index.db`, each `vault.db`):
//! read-write as usual, or read-only when the folder cannot be written (a
//! read-only disk or mount, a backup on a write-protected medium, a folder
//! the user may not write), so the keys stay readable there.
//!
//! A WAL database cannot be read in place where its shared-memory file
//! (`-shm`) cannot be made. Read-only, a file whose WAL is empty or gone
//! (every clean close checkpoints and removes it) is opened *immutable*:
//! SQLite then needs no `-shm` and takes no locks, which is right because
//! nothing can change it there. A file whose WAL still holds commits (a
//! crash) is read through that WAL when its `-shm` is there too; without
//! it those commits cannot be read and the open is refused, never a silent
//! read of the older state.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, ErrorCode, Result};

/// Whether a database was opened to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The usual mode.
    ReadWrite,
    /// The folder cannot be written: every write is refused with
    /// `storage.read_only` ([`read_only_error`]).
    ReadOnly,
}

impl Access {
    /// Whether files can be made in `dir`: `ReadOnly` on a read-only file
    /// system or a folder this user may not write. A folder that does not
    /// exist is `ReadWrite` (the open reports it).
    pub fn of(dir: &Path) -> Access {
        if crate::paths::unwritable(dir).is_some() { Access::ReadOnly } else { Access::ReadWrite }
    }
}

/// The error for a write refused because the data folder is read-only.
pub fn read_only_error() -> Error {
    Error::new(ErrorCode::StorageReadOnly, "the data folder is read-only: KeyClave can read it but not change it")
        .with_suggestion(
            "Remount the disk read-write, or copy the KeyClave data folder to a writable disk and point KEYCLAVE_HOME at the copy.",
        )
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Open the database at `path` (made when `create`), in the access its
/// folder allows. Read-write files are made private first. The caller sets
/// the key and the pragmas; `journal_mode` only when [`Access::ReadWrite`].
pub(crate) fn open(path: &Path, create: bool) -> Result<(Connection, Access)> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let access = Access::of(dir);
    if access == Access::ReadWrite {
        crate::paths::ensure_private_db_file(path)?;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        return Ok((Connection::open_with_flags(path, flags)?, access));
    }
    if !path.exists() {
        return Err(if create {
            read_only_error()
        } else {
            Error::new(ErrorCode::StorageIo, "the database file is missing from the read-only folder")
        });
    }
    let wal_has_commits = std::fs::metadata(with_suffix(path, "-wal")).is_ok_and(|m| m.len() > 0);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if wal_has_commits {
        // Read through the WAL, which needs its index beside it.
        if !with_suffix(path, "-shm").exists() {
            return Err(unreadable_wal());
        }
        Connection::open_with_flags(path, flags)?
    } else {
        let mut uri = url::Url::from_file_path(std::path::absolute(path)?)
            .map_err(|()| Error::new(ErrorCode::StorageIo, "the data folder's path cannot be opened"))?;
        uri.set_query(Some("immutable=1"));
        Connection::open_with_flags(uri.as_str(), flags | OpenFlags::SQLITE_OPEN_URI)?
    };
    Ok((conn, access))
}

fn unreadable_wal() -> Error {
    Error::new(
        ErrorCode::StorageReadOnly,
        "the database has recent changes in its journal (-wal) that cannot be read on a read-only disk",
    )
    .with_suggestion(
        "Copy the KeyClave data folder to a writable disk and open the copy (KEYCLAVE_HOME): the changes are kept.",
    )
}
