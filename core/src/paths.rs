//! Where KeyClave keeps its files.
//!
//! The root is per OS (Linux `~/.local/share/keyclave`, macOS
//! `~/Library/Application Support/KeyClave`, Windows
//! `%LOCALAPPDATA%\KeyClave`), or `$KEYCLAVE_HOME` when set.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorCode, Result};

/// Environment variable that overrides the root data directory.
pub const HOME_ENV: &str = "KEYCLAVE_HOME";

/// The root data directory and the layout beneath it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// A root at an explicit directory (tests, `--home`).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Root { dir: dir.into() }
    }

    /// `explicit` if given, else `$KEYCLAVE_HOME`, else the per-OS default.
    pub fn resolve(explicit: Option<PathBuf>) -> Result<Self> {
        if let Some(dir) = explicit {
            return Ok(Root::at(dir));
        }
        if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Root::at(dir));
        }
        Self::os_default()
    }

    fn os_default() -> Result<Self> {
        let base = directories::BaseDirs::new().ok_or_else(|| {
            Error::new(ErrorCode::StorageIo, "cannot find the home directory")
                .with_suggestion(format!("Set {HOME_ENV} to a folder for KeyClave's data."))
        })?;
        let dir = if cfg!(target_os = "windows") {
            base.data_local_dir().join("KeyClave")
        } else if cfg!(target_os = "macos") {
            base.data_dir().join("KeyClave")
        } else {
            base.data_dir().join("keyclave")
        };
        Ok(Root::at(dir))
    }

    /// The root directory itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `index.db`: the profile list (not encrypted).
    pub fn index_db(&self) -> PathBuf {
        self.dir.join("index.db")
    }

    /// `profiles/`: one folder per profile.
    pub fn profiles_dir(&self) -> PathBuf {
        self.dir.join("profiles")
    }

    /// `profiles/<id>/`.
    pub fn profile_dir(&self, profile_id: &str) -> PathBuf {
        self.profiles_dir().join(profile_id)
    }

    /// `profiles/<id>/vault.db`.
    pub fn vault_db(&self, profile_id: &str) -> PathBuf {
        self.profile_dir(profile_id).join("vault.db")
    }

    /// `profiles/<id>/index-copy.json`: the profile's row of index.db, to
    /// rebuild a damaged index ([`crate::index_copy`]).
    pub fn index_copy(&self, profile_id: &str) -> PathBuf {
        self.profile_dir(profile_id).join("index-copy.json")
    }

    /// Where a PVK rotation writes the re-encrypted vault before switching.
    pub fn rotating_vault_db(&self, profile_id: &str) -> PathBuf {
        self.profile_dir(profile_id).join("vault.db.rotating")
    }

    /// `reference_library/manifest.db`.
    pub fn reference_library_manifest(&self) -> PathBuf {
        self.dir.join("reference_library").join("manifest.db")
    }

    /// `logs/`: operational logs (redacted).
    pub fn logs_dir(&self) -> PathBuf {
        self.dir.join("logs")
    }

    /// `automation/`: the automation runtime (a Python virtual environment),
    /// per-run private folders and per-provider browser profiles. Holds no
    /// secret at rest: a run's folder is removed when the run ends.
    pub fn automation_dir(&self) -> PathBuf {
        self.dir.join("automation")
    }
}

/// Tell a full disk and a read-only folder apart from other I/O failures
/// of SQLite: opening a WAL database allocates its shared-memory file and
/// opens its WAL, and SQLite reports those failing as a plain "disk I/O
/// error" or "unable to open database file". Looked into only when such
/// an error happened.
pub(crate) fn explain_storage_failure(err: Error, path: &Path) -> Error {
    if !matches!(err.code(), ErrorCode::StorageDatabase | ErrorCode::StorageIo) {
        return err;
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(path);
    if fs4::available_space(dir).is_ok_and(|free| free < 64 * 1024) {
        return Error::new(ErrorCode::StorageFull, "the disk is full: the database cannot be opened");
    }
    unwritable(dir).unwrap_or(err)
}

/// Why files cannot be made in `dir` (`storage.read_only`: a read-only
/// file system, or permission denied); `None` when they can, or when the
/// probe failed for another reason (the caller's own open reports it).
/// Probes with an unnamed temporary file.
pub(crate) fn unwritable(dir: &Path) -> Option<Error> {
    match tempfile::tempfile_in(dir) {
        Err(e) if crate::error::io_code(&e) == ErrorCode::StorageReadOnly => {
            Some(Error::new(ErrorCode::StorageReadOnly, "the data folder is on a read-only file system"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Some(Error::new(
            ErrorCode::StorageReadOnly,
            "the data folder cannot be written (permission denied)",
        )),
        _ => None,
    }
}

/// Create a directory (and parents) readable only by the user.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Only when needed: a private folder on a read-only disk is fine.
        if std::fs::metadata(dir)?.permissions().mode() & 0o777 != 0o700 {
            match std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
                Ok(()) => {}
                // A copy on a read-only disk (a USB stick's 0755) cannot be
                // narrowed, and nothing can be written into it either.
                Err(e) if crate::error::io_code(&e) == ErrorCode::StorageReadOnly => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// Make a database file readable only by the user before SQLite opens
/// it: created empty with mode 0600 when missing, narrowed to 0600 when
/// others could read it (files of older versions were 0644), and its
/// `-wal` and `-shm` likewise. SQLite gives the WAL and shared-memory
/// files it creates the database file's mode, so they follow. No-op off
/// Unix (the user's profile folder is private there).
pub fn ensure_private_db_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let shared = std::fs::metadata(&file).is_ok_and(|m| m.permissions().mode() & 0o077 != 0);
            if shared {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// fsync a directory so a rename inside it is durable (no-op off Unix).
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Check a file path the user chose to write: its folder exists and it is
/// not itself a folder. A mistake there is the user's to fix (exit 2),
/// named as such, not a storage failure of the data folder.
///
/// The path is not named in the error: the person just gave it, and error
/// redaction would mask a part of it that looks like a token (a time
/// stamp, a run number), which reads as if the path were wrong.
pub fn check_output_file(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(Error::invalid("the output path is a folder, not a file")
            .with_suggestion("Give a file name inside it, e.g. secrets.kcbundle."));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::invalid("the output file's folder does not exist")
            .with_suggestion("Create the folder first, or choose a file in an existing one."));
    }
    Ok(())
}

/// Write `bytes` to `path` atomically, readable only by the user: a
/// temporary file in the same folder (created 0600), written and fsynced,
/// then renamed over `path`, and the folder fsynced. A crash leaves either
/// the old file (or none) or the complete new one; the temporary file is
/// removed on error. With `overwrite` false an existing `path` is an error.
pub fn write_private_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid("the output path has no file name"))?
        .to_string_lossy()
        .into_owned();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !overwrite && path.exists() {
        // Not named: error redaction can mask a file name that looks like
        // a token (a time stamp, a run number), and the caller knows it.
        return Err(Error::invalid("the file exists already")
            .with_suggestion("Choose another file name, or allow replacing it."));
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| -> Result<()> {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_root_wins_and_layout_is_under_it() {
        let r = Root::resolve(Some(PathBuf::from("/tmp/kc"))).expect("resolves");
        assert_eq!(r.index_db(), PathBuf::from("/tmp/kc/index.db"));
        assert_eq!(r.vault_db("abc"), PathBuf::from("/tmp/kc/profiles/abc/vault.db"));
        assert_eq!(r.reference_library_manifest(), PathBuf::from("/tmp/kc/reference_library/manifest.db"));
    }

    #[test]
    fn atomic_write_is_private_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.kcbundle");
        write_private_atomic(&p, b"one", false).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert_eq!(write_private_atomic(&p, b"two", false).unwrap_err().code(), ErrorCode::InputInvalid);
        write_private_atomic(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
