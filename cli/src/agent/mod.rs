//! The unlock agent: one process per user and data folder that holds
//! unlocked profiles, so commands skip the KDF and the passphrase prompt
//! (as `rbw-agent` and `ssh-agent` do).
//!
//! `keyclave unlock` starts it (or reuses it) and unlocks a profile in it;
//! commands then ask it to carry out their vault operation ([`ops`]) over a
//! unix socket, 0600 in a 0700 folder of the user's runtime directory,
//! and it checks that each peer is the same user. A profile locks after
//! its auto-lock timeout without a command, or on `keyclave lock`; the
//! agent exits once nothing has been unlocked in it for a few seconds.
//! Without an agent, every command unlocks the profile itself.
//!
//! Unix only: on other systems `keyclave unlock` says so and every command
//! unlocks by itself.

pub mod client;
pub mod ops;
pub mod protocol;
#[cfg(unix)]
pub mod server;

use keyclave_core::paths::Root;
use keyclave_core::{Error, ErrorCode, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Whether to make the runtime folder when it is missing: only to start
/// an agent; a command looking for one does not leave a folder behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    Yes,
    No,
}

/// The user's private runtime folder for agent sockets:
/// `$XDG_RUNTIME_DIR/keyclave`, else `/tmp/keyclave-UID`. Created 0700
/// (with [`Create::Yes`]); `None` when missing (with [`Create::No`]).
/// Refused unless it is a real folder owned by this user that no one else
/// can enter.
#[cfg(unix)]
pub fn runtime_dir(create: Create) -> Result<Option<PathBuf>> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let uid = nix::unistd::geteuid().as_raw();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(base) => PathBuf::from(base).join("keyclave"),
        None => std::env::temp_dir().join(format!("keyclave-{uid}")),
    };
    if create == Create::No && std::fs::symlink_metadata(&dir).is_err() {
        return Ok(None);
    }
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(Error::new(
                ErrorCode::AgentUnavailable,
                format!("cannot create the agent folder {}: {e}", dir.display()),
            ));
        }
    }
    let meta = std::fs::symlink_metadata(&dir).map_err(|e| {
        Error::new(
            ErrorCode::AgentUnavailable,
            format!("cannot read the agent folder {}: {e}", dir.display()),
        )
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if !meta.is_dir() || meta.uid() != uid || mode & 0o077 != 0 {
        return Err(Error::new(
            ErrorCode::AgentRefused,
            format!(
                "the agent folder {} is not private to this user (owner uid {}, mode {mode:04o})",
                dir.display(),
                meta.uid()
            ),
        ));
    }
    Ok(Some(dir))
}

/// The agent's socket for a data folder: one agent per folder, so two
/// `--home`s never share unlocked profiles.
#[cfg(unix)]
pub fn socket_path(root: &Root, create: Create) -> Result<Option<PathBuf>> {
    Ok(runtime_dir(create)?.map(|d| d.join(socket_name(root.dir()))))
}

fn socket_name(data_dir: &Path) -> String {
    let canonical = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    format!("agent-v{}-{}.sock", protocol::VERSION, &hex::encode(digest)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_folder_has_its_own_socket() {
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        assert_ne!(socket_name(a.path()), socket_name(b.path()));
        assert_eq!(socket_name(a.path()), socket_name(&a.path().join(".")));
        assert!(socket_name(a.path()).len() < 40, "sockets have a short path limit");
    }
}
