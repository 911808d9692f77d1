//! Cross-process exclusion on a profile: which KeyClave processes have its
//! vault open.
//!
//! Every process with the vault open (a command, the unlock agent, the
//! desktop app) holds a **shared** OS file lock on `profiles/<id>/vault.lock`
//! for as long as its [`crate::Vault`] lives. Work that replaces `vault.db`
//! — a key rotation, finishing an interrupted one, deleting the profile —
//! holds it **exclusively**, so no other process can be writing into the
//! file that is about to be swapped out (its commits would land in the old
//! inode and be lost). SQLite's own locking keeps ordinary concurrent
//! writers apart; this is only about the file itself being replaced.
//!
//! A second file, `vault.lock.gate`, keeps the exclusive side from being
//! starved: openers pass it with a moment's shared lock, and the exclusive
//! side closes it first, so new openers queue while the current ones
//! finish.
//!
//! Both waits are bounded and end in `vault.busy`: a person is never left
//! looking at a command that hangs. The OS drops a lock when its process
//! dies, so a `kill -9` never leaves a profile locked.

use fs4::FileExt;
use std::fs::File;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorCode, Result};
use crate::paths::Root;

/// How long opening the vault waits for a rotation in another process.
pub const SHARED_WAIT: Duration = Duration::from_secs(30);
/// How long work that replaces the vault file waits for other processes
/// to close it (short commands end well within this).
pub const EXCLUSIVE_WAIT: Duration = Duration::from_secs(5);

const POLL: Duration = Duration::from_millis(20);

/// A held lock on a profile; released when dropped (or when the process
/// ends, however it ends).
#[derive(Debug)]
pub struct Hold {
    main: File,
    /// An exclusive hold keeps the gate too, so that new openers queue
    /// behind it instead of starving it.
    gate: Option<File>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        // Closing the files releases the locks anyway; unlocking makes the
        // release immediate even if another handle shares a file.
        let _ = FileExt::unlock(&self.main);
        if let Some(gate) = &self.gate {
            let _ = FileExt::unlock(gate);
        }
    }
}

/// Take the shared lock: the vault is open in this process. Waits up to
/// `wait` while another process replaces the vault file (or waits to).
pub fn shared(root: &Root, profile_id: &str, wait: Duration) -> Result<Hold> {
    let deadline = Instant::now() + wait;
    let busy = || {
        Error::new(ErrorCode::VaultBusy, "another KeyClave process is replacing the profile's vault file")
            .with_suggestion(
                "A key rotation is running in another KeyClave; wait for it to finish, then try again.",
            )
    };
    // Pass the gate (a moment's shared lock), then hold the main lock.
    let gate = open(root, profile_id, "vault.lock.gate")?;
    if !lock_until(&gate, false, deadline)? {
        return Err(busy());
    }
    let main = open(root, profile_id, "vault.lock")?;
    let got = lock_until(&main, false, deadline);
    let _ = FileExt::unlock(&gate);
    if !got? {
        return Err(busy());
    }
    Ok(Hold { main, gate: None })
}

/// Take the exclusive lock: no other process has the vault open. Closes
/// the gate to new openers, then waits up to `wait` for the others to
/// close the vault.
pub fn exclusive(root: &Root, profile_id: &str, wait: Duration) -> Result<Hold> {
    let deadline = Instant::now() + wait;
    let gate = open(root, profile_id, "vault.lock.gate")?;
    let main = open(root, profile_id, "vault.lock")?;
    if lock_until(&gate, true, deadline)? && lock_until(&main, true, deadline)? {
        return Ok(Hold { main, gate: Some(gate) });
    }
    let _ = FileExt::unlock(&gate);
    Err(Error::new(ErrorCode::VaultBusy, "the profile is open in another KeyClave process").with_suggestion(
        "Another KeyClave has this profile open (the desktop app, the unlock agent or a running command); lock it there (`keyclave lock`), then try again.",
    ))
}

fn open(root: &Root, profile_id: &str, name: &str) -> Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let path = root.profile_dir(profile_id).join(name);
    match opts.open(&path) {
        Ok(f) => Ok(f),
        // A read-only data root: a lock works on a file opened for reading.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            File::open(&path).map_err(|_| e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Try to lock `file` until `deadline`; whether it was locked.
fn lock_until(file: &File, exclusive: bool, deadline: Instant) -> Result<bool> {
    loop {
        // Called as trait functions: newer toolchains have inherent
        // `File` methods of the same names.
        let attempt = if exclusive { FileExt::try_lock(file) } else { FileExt::try_lock_shared(file) };
        match attempt {
            Ok(()) => return Ok(true),
            Err(fs4::TryLockError::WouldBlock) if Instant::now() < deadline => std::thread::sleep(POLL),
            Err(fs4::TryLockError::WouldBlock) => return Ok(false),
            Err(fs4::TryLockError::Error(e)) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with_profile() -> (tempfile::TempDir, Root) {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::at(dir.path());
        std::fs::create_dir_all(root.profile_dir("p")).unwrap();
        (dir, root)
    }

    #[test]
    fn shared_holds_coexist_and_keep_out_an_exclusive_one() {
        let (_d, root) = root_with_profile();
        let a = shared(&root, "p", Duration::ZERO).unwrap();
        let b = shared(&root, "p", Duration::ZERO).unwrap();
        let err = exclusive(&root, "p", Duration::from_millis(50)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::VaultBusy);
        drop(a);
        assert_eq!(exclusive(&root, "p", Duration::ZERO).unwrap_err().code(), ErrorCode::VaultBusy);
        drop(b);
        let x = exclusive(&root, "p", Duration::ZERO).unwrap();
        assert_eq!(shared(&root, "p", Duration::from_millis(50)).unwrap_err().code(), ErrorCode::VaultBusy);
        drop(x);
        shared(&root, "p", Duration::ZERO).unwrap();
    }

    #[test]
    fn a_waiting_exclusive_hold_is_not_starved_by_new_openers() {
        let (_d, root) = root_with_profile();
        let first = shared(&root, "p", Duration::ZERO).unwrap();
        let root2 = root.clone();
        let rotation = std::thread::spawn(move || exclusive(&root2, "p", Duration::from_secs(5)).map(drop));
        std::thread::sleep(Duration::from_millis(100));
        // The exclusive hold is queued: a new opener waits behind it.
        assert_eq!(shared(&root, "p", Duration::from_millis(50)).unwrap_err().code(), ErrorCode::VaultBusy);
        drop(first);
        rotation.join().unwrap().unwrap();
        shared(&root, "p", Duration::ZERO).unwrap();
    }

    #[test]
    fn a_wait_ends_when_the_holder_lets_go() {
        let (_d, root) = root_with_profile();
        let held = shared(&root, "p", Duration::ZERO).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(held);
        });
        exclusive(&root, "p", Duration::from_secs(5)).unwrap();
        release.join().unwrap();
    }
}
